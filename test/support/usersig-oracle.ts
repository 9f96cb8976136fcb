// UserSigs from Tencent's own npm package (tls-sig-api-v2), the oracle roomhook's are checked against.
import { Api } from "tls-sig-api-v2/TLSSigAPIv2.js";

export function oracleUserSig(sdkAppId: number, secretKey: string, identifier: string, expireS = 86400): string {
  return new Api(sdkAppId, secretKey).genUserSig(identifier, expireS);
}

export function oraclePrivateMapKey(sdkAppId: number, secretKey: string, identifier: string): string {
  return new Api(sdkAppId, secretKey).genPrivateMapKey(identifier, 300, 1234, 255);
}

/**
 * Tencent's own verification, taken from the oracle's genUserSig: a sig is valid when the oracle,
 * made to sign at the same time with the same expiry, produces the same HMAC (tls-sig-api-v2 has
 * no verify function, so its HMAC is compared field by field).
 */
export function oracleHmacMatches(sdkAppId: number, secretKey: string, doc: Record<string, unknown>): boolean {
  const api = new Api(sdkAppId, secretKey) as unknown as {
    _hmacsha256(identifier: string, time: number, expire: number, userbuf: null): string;
  };
  const expected = api._hmacsha256(
    String(doc["TLS.identifier"]),
    Number(doc["TLS.time"]),
    Number(doc["TLS.expire"]),
    null,
  );
  return expected === doc["TLS.sig"];
}
