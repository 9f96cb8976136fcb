// Every answer carries the body Tencent expects. Each failure has its own ErrorCode (listed in the
// README) and a plain ErrorInfo that never echoes a secret.
export const ErrorCodes = {
  OK: 0,
  SOURCE_NOT_ALLOWED: 40301,
  BODY_TOO_LARGE: 41301,
  SDKAPPID_MISSING: 40302,
  SDKAPPID_UNKNOWN: 40303,
  SIGN_MISSING: 40101,
  REQUEST_TIME_MALFORMED: 40102,
  REQUEST_TIME_STALE: 40103,
  SIGN_MISMATCH: 40104,
  BODY_NOT_JSON: 40001,
  BODY_NOT_OBJECT: 40002,
  COMMAND_MISMATCH: 40003,
  SCHEMA_VIOLATION: 42201,
  COMMAND_MISSING: 42202,
  METHOD_NOT_ALLOWED: 40501,
  JOURNAL_UNAVAILABLE: 50301,
  INTERNAL: 50001,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface Answer {
  status: number;
  code: ErrorCode;
  info: string;
}

// Prebuilt Headers: converting an object literal on every answer showed in the profile.
const JSON_HEADERS = new Headers({ "content-type": "application/json; charset=utf-8" });
const OK_BODY = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

export function ackBody(a: Answer): string {
  return a.code === 0 ? OK_BODY : JSON.stringify({ ActionStatus: "FAIL", ErrorInfo: a.info, ErrorCode: a.code });
}

const CLOSE_HEADERS = new Headers({ "content-type": "application/json; charset=utf-8", connection: "close" });

/**
 * `bodyUnread`: the answer was decided and the rest of the body was too big to read and drop;
 * closing the connection stops the client from streaming it into a socket nobody reads, which
 * would otherwise hold the connection (and a graceful shutdown) until the idle timeout.
 */
export function ackResponse(a: Answer, bodyUnread = false): Response {
  return new Response(ackBody(a), { status: a.status, headers: bodyUnread ? CLOSE_HEADERS : JSON_HEADERS });
}

export const OK: Answer = { status: 200, code: 0, info: "" };

export function fail(status: number, code: ErrorCode, info: string): Answer {
  return { status, code, info };
}
