// What a PubAck or a publish error means for the event: stored, retry (outages), dead (never storable).
import { describe, expect, test } from "bun:test";
import { classifyPubAck, classifyPublishError, publishBackoff } from "../../src/nats/publish-outcome.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("publish outcomes", () => {
  test("a PubAck, a duplicate, and JetStream errors", () => {
    expect(classifyPubAck(bytes('{"stream":"S","seq":7}'))).toEqual({
      kind: "published",
      streamSeq: 7,
      duplicate: false,
    });
    expect(classifyPubAck(bytes('{"stream":"S","seq":7,"duplicate":true}'))).toMatchObject({ duplicate: true });
    const tooBig = '{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"}}';
    expect(classifyPubAck(bytes(tooBig)).kind).toBe("dead");
    const full = '{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}';
    expect(classifyPubAck(bytes(full)).kind).toBe("retry");
    expect(classifyPubAck(bytes("not json")).kind).toBe("retry");
    expect(classifyPubAck(bytes("{}")).kind).toBe("retry");
  });

  test("client errors: max_payload is dead, anything unknown is retried", () => {
    const e = Object.assign(new Error("'payload' max_payload size exceeded"), { name: "InvalidArgumentError" });
    expect(classifyPublishError(e).kind).toBe("dead");
    expect(classifyPublishError(new Error("connection closed")).kind).toBe("retry");
    expect(classifyPublishError(Object.assign(new Error("x"), { name: "JetStreamNotEnabled" })).kind).toBe("retry");
  });

  test("backoff doubles from 100 ms to the cap, jittered within half of it", () => {
    const at = (n: number, r: number) => publishBackoff(n, 30_000, () => r);
    expect([at(1, 1), at(2, 1), at(3, 1)]).toEqual([100, 200, 400]);
    expect(at(1, 0)).toBe(50);
    expect(at(50, 1)).toBe(30_000);
  });
});
