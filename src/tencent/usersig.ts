// Tencent's UserSig (TLSSigAPIv2, reference §6): HMAC-SHA256 keyed with the app's secret key (as
// UTF-8 text) over four "TLS.name:value\n" lines, put in a JSON document, zlib-compressed and
// base64-encoded with Tencent's own substitutions (+ → *, / → -, = → _). Verification follows the
// order of Tencent's Go verifier. PrivateMapKey (TLS.userbuf) is not needed for REST and is refused.
import { createHmac, timingSafeEqual } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";

export interface UserSigParams {
  sdkAppId: number;
  identifier: string;
  /** Validity in seconds, counted from `nowS`. */
  expireS: number;
  nowS: number;
}

function hmac(key: string, p: { sdkAppId: number; identifier: string; time: number; expire: number }): string {
  const content =
    `TLS.identifier:${p.identifier}\n` +
    `TLS.sdkappid:${p.sdkAppId}\n` +
    `TLS.time:${p.time}\n` +
    `TLS.expire:${p.expire}\n`;
  return createHmac("sha256", key).update(content).digest("base64");
}

function toTencentBase64(b64: string): string {
  return b64.replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_");
}

function fromTencentBase64(s: string): string {
  return s.replace(/_/g, "=").replace(/-/g, "/").replace(/\*/g, "+");
}

export function genUserSig(secretKey: string, p: UserSigParams): string {
  const doc = {
    "TLS.ver": "2.0",
    "TLS.identifier": p.identifier,
    "TLS.sdkappid": p.sdkAppId,
    "TLS.expire": p.expireS,
    "TLS.time": p.nowS,
    "TLS.sig": hmac(secretKey, { sdkAppId: p.sdkAppId, identifier: p.identifier, time: p.nowS, expire: p.expireS }),
  };
  return toTencentBase64(deflateSync(Buffer.from(JSON.stringify(doc))).toString("base64"));
}

export type UserSigProblem = "malformed" | "sdkappid" | "identifier" | "expired" | "userbuf" | "signature";

export interface UserSigCheck {
  sdkAppId: number;
  identifier: string;
  nowS: number;
}

interface SigDoc {
  identifier: string;
  sdkAppId: number;
  time: number;
  expire: number;
  sig: string;
  hasUserbuf: boolean;
}

/** The sig's JSON document, or null when it is not one (bad base64, not zlib, not the fields). */
export function decodeUserSig(userSig: string): SigDoc | null {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(inflateSync(Buffer.from(fromTencentBase64(userSig), "base64")).toString("utf8"));
  } catch {
    return null;
  }
  if (!doc || typeof doc !== "object") return null;
  const { "TLS.identifier": identifier, "TLS.sdkappid": sdkAppId, "TLS.time": time } = doc;
  const { "TLS.expire": expire, "TLS.sig": sig } = doc;
  if (typeof identifier !== "string" || typeof sig !== "string") return null;
  if (![sdkAppId, time, expire].every((n) => typeof n === "number" && Number.isSafeInteger(n))) return null;
  return {
    identifier,
    sdkAppId: sdkAppId as number,
    time: time as number,
    expire: expire as number,
    sig,
    hasUserbuf: "TLS.userbuf" in doc,
  };
}

/** null when `userSig` is a valid, unexpired UserSig of `want.identifier` for `want.sdkAppId`. */
export function verifyUserSig(secretKey: string, userSig: string, want: UserSigCheck): UserSigProblem | null {
  const d = decodeUserSig(userSig);
  if (!d) return "malformed";
  if (d.sdkAppId !== want.sdkAppId) return "sdkappid";
  if (d.identifier !== want.identifier) return "identifier";
  if (want.nowS > d.time + d.expire) return "expired";
  if (d.hasUserbuf) return "userbuf";
  const expected = Buffer.from(hmac(secretKey, d), "base64");
  const given = Buffer.from(d.sig, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : "signature";
}
