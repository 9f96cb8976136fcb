// The dashboard's per-second ingest series: the ring forgets what is older than its window, the
// answers land in the right second and column, percentiles come from the buckets, refusals keep
// their reason.
import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { fail, OK } from "../../src/callback/ack.ts";
import type { IngestReport } from "../../src/callback/ingest.ts";
import { IngestStatsRecorder, percentileMs, WINDOW_SECONDS } from "../../src/stats/ingest-stats.ts";
import { IngestStats } from "../../src/stats/schema.ts";
import { SecondRing } from "../../src/stats/second-ring.ts";

const accepted: IngestReport = { answer: OK, outcome: "accepted", command: "Room.CallbackAfterMemberEnter" };
const unknownApp: IngestReport = {
  answer: fail(403, 40303, "SdkAppid is not configured on this receiver"),
  outcome: "rejected",
};
const badSign: IngestReport = { answer: fail(401, 40104, "Sign does not match"), outcome: "rejected" };

describe("SecondRing", () => {
  test("rows skipped over are zeroed, and a row older than the window is gone", () => {
    const r = new SecondRing(5, 2);
    r.add(100, 0, 3);
    r.add(101, 1);
    r.add(103, 0);
    expect(r.column(0)).toEqual([0, 3, 0, 0, 1]);
    expect(r.column(1)).toEqual([0, 0, 1, 0, 0]);
    r.advance(105); // 100 falls out of the five seconds 101..105
    expect(r.column(0)).toEqual([0, 0, 1, 0, 0]);
    expect(r.sums(5)).toEqual([1, 1]);
    r.advance(1000); // a long idle gap clears everything
    expect(r.sums(5)).toEqual([0, 0]);
    expect(r.at(103, 0)).toBe(0);
  });

  test("a report stamped before the head counts in the head", () => {
    const r = new SecondRing(4, 1);
    r.add(50, 0);
    r.add(49, 0);
    expect(r.column(0)).toEqual([0, 0, 0, 2]);
  });
});

describe("percentileMs", () => {
  test("no samples is null; one bucket interpolates inside it", () => {
    expect(percentileMs([0, 0, 0], 0.5)).toBeNull();
    // 10 samples, all in the (0.1, 0.25] ms bucket: the median is halfway through it
    const b = new Array(17).fill(0);
    b[1] = 10;
    expect(percentileMs(b, 0.5)).toBeCloseTo(0.175, 5);
    // 99 fast and 1 slow (in (1000, 2500] ms): p99 stays fast, the max is slow
    b[1] = 99;
    b[13] = 1;
    expect(percentileMs(b, 0.99)!).toBeLessThanOrEqual(0.25);
    expect(percentileMs(b, 1)!).toBeGreaterThan(1000);
  });
});

describe("IngestStatsRecorder", () => {
  test("answers by second, status and outcome; latency; refusals with their last reason", () => {
    let now = 1_800_000_000_000;
    const s = new IngestStatsRecorder(() => now);
    for (let i = 0; i < 5; i++) s.record(accepted, 0.4);
    s.record(unknownApp, 0.05);
    now += 2000;
    s.record(accepted, 30);
    s.record(badSign, 0.06);
    s.record(unknownApp, 0.05);
    now += 1000;
    const snap = s.snapshot();
    expect(Value.Check(IngestStats, snap)).toBe(true);
    expect(snap.seconds).toBe(WINDOW_SECONDS);
    expect(snap.requests).toHaveLength(WINDOW_SECONDS);
    expect(snap.fromMs).toBe(1_800_000_003_000 - (WINDOW_SECONDS - 1) * 1000);
    expect(snap.requests.slice(-4)).toEqual([6, 0, 3, 0]);
    expect(snap.byStatus["200"]!.slice(-4)).toEqual([5, 0, 1, 0]);
    expect(snap.byStatus["403"]!.slice(-4)).toEqual([1, 0, 1, 0]);
    expect(snap.byStatus["401"]!.slice(-4)).toEqual([0, 0, 1, 0]);
    expect(snap.byOutcome.rejected!.slice(-4)).toEqual([1, 0, 2, 0]);
    expect(snap.p50Ms.slice(-4)[1]).toBeNull();
    expect(snap.p99Ms.slice(-4)[2]!).toBeGreaterThan(25);
    expect(snap.window.count).toBe(9);
    expect(snap.refusals).toEqual([
      { code: 40303, status: 403, reason: "SdkAppid is not configured on this receiver", count: 2, lastAt: now - 1000 },
      { code: 40104, status: 401, reason: "Sign does not match", count: 1, lastAt: now - 1000 },
    ]);
  });

  test("after 15 idle minutes the window is empty again", () => {
    let now = 1_800_000_000_000;
    const s = new IngestStatsRecorder(() => now);
    s.record(unknownApp, 1);
    now += WINDOW_SECONDS * 1000;
    const snap = s.snapshot();
    expect(snap.requests.every((n) => n === 0)).toBe(true);
    expect(snap.refusals).toEqual([]);
    expect(snap.window).toEqual({ count: 0, p50Ms: null, p99Ms: null });
  });
});
