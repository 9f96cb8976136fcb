import { describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { secretKey, signatureHeader, webhookHeaders } from "../../src/delivery/signature.ts";

const A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const B = `whsec_${Buffer.from("a second secret, 24+ bytes long").toString("base64")}`;
const BODY =
  '{"seq":7,"id":"0123456789abcdef0123456789abcdef","type":"Room.X","data":{"n":144115233775727695,"s":"é✓"}}';

describe("Standard Webhooks signing", () => {
  test("the reference library verifies our headers, with one secret and with two", () => {
    const now = Date.now();
    const one = webhookHeaders([secretKey(A)], "msg_1", BODY, now);
    expect(new Webhook(A).verify(BODY, one)).toBeTruthy();
    const two = webhookHeaders([secretKey(A), secretKey(B)], "msg_1", BODY, now);
    expect(two["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(A).verify(BODY, two)).toBeTruthy();
    expect(new Webhook(B).verify(BODY, two)).toBeTruthy();
    expect(two["webhook-timestamp"]).toBe(String(Math.floor(now / 1000)));
    expect(two["content-type"]).toBe("application/json");
  });

  test("matches the library's own signature, and any change to id, time or body breaks it", () => {
    const ts = 1_700_000_000;
    const ours = signatureHeader([secretKey(A)], "msg_2", ts, BODY);
    expect(ours).toBe(new Webhook(A).sign("msg_2", new Date(ts * 1000), BODY));
    const headers = {
      "webhook-id": "msg_2",
      "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
      "webhook-signature": "",
    };
    headers["webhook-signature"] = signatureHeader([secretKey(A)], "msg_2", Number(headers["webhook-timestamp"]), BODY);
    expect(() => new Webhook(A).verify(BODY.replace("7", "8"), headers)).toThrow();
    expect(() => new Webhook(A).verify(BODY, { ...headers, "webhook-id": "msg_3" })).toThrow();
    expect(() => new Webhook(B).verify(BODY, headers)).toThrow();
  });
});
