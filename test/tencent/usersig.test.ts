// roomhook's UserSig against Tencent's tls-sig-api-v2: each side's sig verifies on the other, and
// expiry, identifier, SDKAppID, key and tampering are all caught.
import { describe, expect, test } from "bun:test";
import { deflateSync, inflateSync } from "node:zlib";
import { decodeUserSig, genUserSig, verifyUserSig } from "../../src/tencent/usersig.ts";
import { oracleHmacMatches, oraclePrivateMapKey, oracleUserSig } from "../support/usersig-oracle.ts";

const APP = 1400000000;
const KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const ADMIN = "administrator";
const nowS = () => Math.floor(Date.now() / 1000);

function docOf(sig: string): Record<string, unknown> {
  const b64 = sig.replace(/_/g, "=").replace(/-/g, "/").replace(/\*/g, "+");
  return JSON.parse(inflateSync(Buffer.from(b64, "base64")).toString("utf8"));
}

describe("UserSig (TLSSigAPIv2)", () => {
  test("a sig made by tls-sig-api-v2 verifies with roomhook", () => {
    for (const id of [ADMIN, "user_1", "a-b-c"]) {
      const sig = oracleUserSig(APP, KEY, id, 3600);
      expect(verifyUserSig(KEY, sig, { sdkAppId: APP, identifier: id, nowS: nowS() })).toBeNull();
    }
  });

  test("a sig made by roomhook verifies with tls-sig-api-v2's HMAC and has its document", () => {
    const t = nowS();
    const sig = genUserSig(KEY, { sdkAppId: APP, identifier: ADMIN, expireS: 600, nowS: t });
    const doc = docOf(sig);
    expect(doc).toMatchObject({
      "TLS.ver": "2.0",
      "TLS.identifier": ADMIN,
      "TLS.sdkappid": APP,
      "TLS.time": t,
      "TLS.expire": 600,
    });
    expect(oracleHmacMatches(APP, KEY, doc)).toBe(true);
    expect(oracleHmacMatches(APP, "another-key", doc)).toBe(false);
    // Tencent's alphabet: no +, / or = survive the substitution.
    expect(sig).toMatch(/^[A-Za-z0-9*_-]+$/);
  });

  test("both sides agree byte for byte when they sign the same second", () => {
    // The oracle reads the clock itself: retry across a second boundary (not a timing assertion).
    for (let i = 0; i < 3; i++) {
      const t = nowS();
      const theirs = oracleUserSig(APP, KEY, ADMIN, 900);
      if (nowS() !== t) continue;
      expect(docOf(genUserSig(KEY, { sdkAppId: APP, identifier: ADMIN, expireS: 900, nowS: t }))["TLS.sig"]).toBe(
        docOf(theirs)["TLS.sig"],
      );
      return;
    }
    throw new Error("the clock moved on three times");
  });

  test("expiry is honoured on both sides' sigs", () => {
    const t = nowS();
    const ours = genUserSig(KEY, { sdkAppId: APP, identifier: ADMIN, expireS: 60, nowS: t });
    expect(verifyUserSig(KEY, ours, { sdkAppId: APP, identifier: ADMIN, nowS: t + 60 })).toBeNull();
    expect(verifyUserSig(KEY, ours, { sdkAppId: APP, identifier: ADMIN, nowS: t + 61 })).toBe("expired");
    const theirs = oracleUserSig(APP, KEY, ADMIN, 60);
    const d = decodeUserSig(theirs)!;
    expect(verifyUserSig(KEY, theirs, { sdkAppId: APP, identifier: ADMIN, nowS: d.time + 61 })).toBe("expired");
  });

  test("wrong key, identifier, SDKAppID, a PrivateMapKey and garbage are refused", () => {
    const sig = oracleUserSig(APP, KEY, ADMIN);
    const want = { sdkAppId: APP, identifier: ADMIN, nowS: nowS() };
    expect(verifyUserSig("wrong", sig, want)).toBe("signature");
    expect(verifyUserSig(KEY, sig, { ...want, identifier: "user1" })).toBe("identifier");
    expect(verifyUserSig(KEY, sig, { ...want, sdkAppId: 1400000001 })).toBe("sdkappid");
    expect(verifyUserSig(KEY, oraclePrivateMapKey(APP, KEY, ADMIN), want)).toBe("userbuf");
    expect(verifyUserSig(KEY, "not-a-sig", want)).toBe("malformed");
    expect(verifyUserSig(KEY, "", want)).toBe("malformed");
  });

  test("a sig whose document was altered and re-packed does not verify", () => {
    const doc = docOf(oracleUserSig(APP, KEY, ADMIN, 60));
    doc["TLS.expire"] = 86400 * 365;
    const forged = deflateSync(Buffer.from(JSON.stringify(doc)))
      .toString("base64")
      .replace(/\+/g, "*")
      .replace(/\//g, "-")
      .replace(/=/g, "_");
    expect(verifyUserSig(KEY, forged, { sdkAppId: APP, identifier: ADMIN, nowS: nowS() })).toBe("signature");
  });
});
