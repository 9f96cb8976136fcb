import { describe, expect, test } from "bun:test";
import { JITTER, MAX_RETRY_AFTER_MS, jittered, retryDelay } from "../../src/delivery/backoff.ts";
import { CircuitBreaker, FAILURE_THRESHOLD } from "../../src/delivery/breaker.ts";
import { classifyError, classifyStatus, parseRetryAfter } from "../../src/delivery/outcome.ts";
import { DEFAULT_RETRY_DELAYS_MS } from "../../src/config/schema.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");

describe("classification", () => {
  test.each([
    [200, "delivered"],
    [204, "delivered"],
    [299, "delivered"],
    [408, "retry"],
    [429, "retry"],
    [500, "retry"],
    [502, "retry"],
    [503, "retry"],
    [504, "retry"],
    [301, "retry"],
    [400, "dead"],
    [401, "dead"],
    [403, "dead"],
    [404, "dead"],
    [413, "dead"],
    [422, "dead"],
    [410, "gone"],
  ])("HTTP %d is %s", (status, kind) => {
    expect(classifyStatus(status, null, NOW).kind).toBe(kind as never);
  });

  test("network errors and timeouts are retried, and say which", () => {
    const t = classifyError(Object.assign(new Error("timed out"), { name: "TimeoutError" }), 5000);
    expect(t.kind).toBe("retry");
    expect(t.kind === "retry" && t.error).toContain("timeout after 5000 ms");
    const n = classifyError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), 5000);
    expect(n.kind === "retry" && n.error).toContain("ECONNREFUSED");
  });

  test("Retry-After: delay-seconds, an HTTP date, or nothing usable", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    for (const bad of [null, undefined, "", "soon", "1.5", "-3"]) expect(parseRetryAfter(bad, NOW)).toBeNull();
    const r = classifyStatus(429, "7", NOW);
    expect(r.kind === "retry" && r.retryAfterMs).toBe(7000);
  });
});

describe("backoff", () => {
  test("jitter stays within ±20 % and uses the whole range", () => {
    expect(jittered(1000, () => 0)).toBe(1000 * (1 - JITTER));
    expect(jittered(1000, () => 0.999999)).toBeCloseTo(1000 * (1 + JITTER), -1);
    const seen = Array.from({ length: 2000 }, () => jittered(10_000));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(8000);
    expect(Math.max(...seen)).toBeLessThanOrEqual(12_000);
    expect(Math.max(...seen) - Math.min(...seen)).toBeGreaterThan(3000);
  });

  test("follows the schedule, then gives up (dead letter); the default spans more than 24 h", () => {
    const d = [100, 1000, 10_000];
    const mid = () => 0.5;
    expect([1, 2, 3].map((r) => retryDelay(d, r, null, mid))).toEqual([100, 1000, 10_000]);
    expect(retryDelay(d, 4, null, mid)).toBeNull();
    expect(retryDelay([], 1, null, mid)).toBeNull();
    const total = DEFAULT_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total * (1 - JITTER)).toBeGreaterThan(24 * 3600_000);
  });

  test("Retry-After replaces the scheduled wait, with a floor against hot loops and a cap", () => {
    const d = [5000, 60_000];
    const mid = () => 0.5;
    expect(retryDelay(d, 1, 30_000, mid)).toBe(30_000);
    expect(retryDelay(d, 2, 2000, mid)).toBe(2000); // shorter than scheduled: honoured
    expect(retryDelay(d, 1, 0, mid)).toBe(1000); // floor: min(scheduled, 1 s)
    expect(retryDelay([50], 1, 0, mid)).toBe(50); // a fast schedule keeps its pace
    expect(retryDelay(d, 1, 30 * 24 * 3600_000, mid)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryDelay(d, 3, 1000, mid)).toBeNull(); // Retry-After does not extend the schedule
  });
});

describe("circuit breaker", () => {
  test("opens after consecutive failures, lets one probe through, closes on its success", () => {
    const b = new CircuitBreaker(100, 1000);
    for (let i = 0; i < FAILURE_THRESHOLD - 1; i++) b.failure(0);
    expect(b.state).toBe("closed");
    b.success(); // a success in between resets the count
    for (let i = 0; i < FAILURE_THRESHOLD - 1; i++) b.failure(0);
    expect(b.state).toBe("closed");
    b.failure(0);
    expect(b.state).toBe("open");
    expect(b.allow(50)).toBe(false);
    expect(b.allow(100)).toBe(true); // the probe
    expect(b.state).toBe("half-open");
    expect(b.allow(101)).toBe(false); // only one
    b.success();
    expect(b.state).toBe("closed");
    expect(b.allow(102)).toBe(true);
  });

  test("a failed probe reopens for twice as long, capped", () => {
    const b = new CircuitBreaker(100, 300);
    for (let i = 0; i < FAILURE_THRESHOLD; i++) b.failure(0);
    expect(b.reopensAt).toBe(100);
    expect(b.allow(100)).toBe(true);
    b.failure(100);
    expect(b.reopensAt).toBe(300);
    expect(b.allow(300)).toBe(true);
    b.failure(300);
    expect(b.reopensAt).toBe(600); // capped at 300
    expect(b.allow(599)).toBe(false);
  });

  test("a probe slot given back unused is available again", () => {
    const b = new CircuitBreaker(100, 100);
    for (let i = 0; i < FAILURE_THRESHOLD; i++) b.failure(0);
    expect(b.allow(100)).toBe(true);
    b.release();
    expect(b.allow(100)).toBe(true);
  });

  test("its rhythm follows the target's schedule", () => {
    const fast = CircuitBreaker.forSchedule([50, 100, 200]);
    for (let i = 0; i < FAILURE_THRESHOLD; i++) fast.failure(0);
    expect(fast.reopensAt).toBe(50);
  });
});
