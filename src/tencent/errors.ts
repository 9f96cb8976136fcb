// Tencent's REST error codes in plain words, with what to do about them (reference §4.2 and §5).
const EXPLAINED: Record<number, string> = {
  60002: "Tencent could not parse the HTTP request (check the URL and its query parameters)",
  60003: "Tencent could not parse the JSON body",
  60004: "the identifier or its UserSig is wrong: check --sdk-app-id, --identifier and the secret key",
  60005:
    "the identifier or its UserSig is wrong (or the UserSig expired): check --sdk-app-id, --identifier and the secret key",
  60006: "the SDKAppID is invalid: check --sdk-app-id (and that --region matches the app's region)",
  60007: "too many REST calls: the limit is 200 calls per second; wait and retry",
  60008: "Tencent's service timed out, or the HTTP request was malformed; retry",
  60009: "no such REST API: check --endpoint",
  60010: "the identifier is not an app administrator: pass an administrator account as --identifier",
  60011: "the SDKAppID's call rate limit was exceeded; wait and retry",
  60012: "the SDKAppID is missing from the request URL",
  60016: "the SDKAppID is disabled",
  60020: "the app's plan has expired",
  60021: "this machine's IP address is not allowed to call the REST API",
  100001: "Tencent had an internal error; retry",
  100002: "a parameter is invalid (ErrorInfo says which)",
  100003: "a room with that RoomId already exists",
  100004: "the room does not exist, or it was destroyed",
  100005: "the user is not a member of the room",
  100006: "the operation is not permitted",
  100300: "a callback configuration already exists for this app: use update-callback to change it",
  100301: "no callback configuration exists for this app yet: use set-callback to create it",
};

/** A sentence for `code`, or null when we know nothing better than Tencent's ErrorInfo. */
export function explainError(code: number): string | null {
  return EXPLAINED[code] ?? null;
}
