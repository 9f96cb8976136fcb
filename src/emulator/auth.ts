// The checks Tencent makes on a REST call's query string before looking at the body (reference
// §4.1, §6.2): sdkappid, identifier, usersig, random, contenttype=json; the UserSig must verify
// with the app's secret key and the identifier must be an app administrator. The exact codes for a
// bad or expired UserSig are unconfirmed: 60004 for a wrong one, 60005 for an expired one.
import { verifyUserSig } from "../tencent/usersig.ts";
import { fail, type Fail } from "./model.ts";

export interface AuthConfig {
  sdkAppId: number;
  secretKey: string;
  admins: readonly string[];
}

const SIG_WORDS = {
  malformed: "the UserSig is not a UserSig (it does not decode)",
  sdkappid: "the UserSig was made for another SDKAppID",
  identifier: "the UserSig was made for another identifier",
  userbuf: "the UserSig carries a userbuf (a PrivateMapKey is not a UserSig)",
  signature: "the UserSig's signature does not verify with this app's secret key",
} as const;

/** The calling administrator, or Tencent's FAIL. */
export function checkRestQuery(q: URLSearchParams, auth: AuthConfig, nowS: number): { identifier: string } | Fail {
  const sdkappid = q.get("sdkappid");
  if (sdkappid === null || sdkappid === "") return fail(60012, "sdkappid is missing from the URL");
  if (sdkappid !== String(auth.sdkAppId)) return fail(60006, `invalid SDKAppID ${sdkappid}`);
  const random = q.get("random");
  if (random === null || !/^\d{1,10}$/.test(random) || Number(random) > 0xffffffff)
    return fail(60002, "random must be a 32-bit unsigned integer");
  if (q.get("contenttype") !== "json") return fail(60002, "contenttype must be json");
  const identifier = q.get("identifier");
  const usersig = q.get("usersig");
  if (!identifier || !usersig) return fail(60004, "identifier and usersig are required");
  const problem = verifyUserSig(auth.secretKey, usersig, { sdkAppId: auth.sdkAppId, identifier, nowS });
  if (problem === "expired") return fail(60005, "the UserSig has expired");
  if (problem !== null) return fail(60004, `account or signature wrong: ${SIG_WORDS[problem]}`);
  if (!auth.admins.includes(identifier)) return fail(60010, `${identifier} is not an app administrator`);
  return { identifier };
}
