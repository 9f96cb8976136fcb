// The adaptive ingest priority: no cap without ingest or without a stall, a cut while callbacks
// arrive and the ingest thread waits for a core, never below the ingest's pace, and the cut given back.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ADJUST_EVERY_MS,
  HIGH_STALL_US,
  IngestPriority,
  MIN_RPS,
  MONITOR_EVERY_MS,
  PACE_MARGIN,
  readRunQueueWaitNs,
  SEVERE_STALL_US,
  StallMonitor,
} from "../../src/delivery/ingest-priority.ts";
import { SharedSlots } from "../../src/delivery/shared-slots.ts";

/** A fake clock and ingest: `advance` moves time, `commit` the head, `stall` the measured wait. */
function rig(width = 2) {
  const s = { now: 0, ingestStallUs: 0, headSeq: 0 };
  const p = new IngestPriority(
    s,
    () => width,
    () => s.now,
  );
  /** Tries `attempts` starts spread over `ms`, the targets t0..t(width-1) in turn; returns how many were allowed. */
  const run = (ms: number, attempts: number, commitsPerS: number) => {
    let ok = 0;
    const step = ms / attempts;
    for (let i = 0; i < attempts; i++) {
      s.now += step;
      s.headSeq += (commitsPerS * step) / 1000;
      if (p.take(`t${i % width}`)) ok++;
    }
    return ok;
  };
  return { s, p, run };
}

describe("IngestPriority", () => {
  test("no ingest: nothing is capped, however long the ingest thread waits", () => {
    const { s, p, run } = rig();
    s.ingestStallUs = 50_000;
    expect(run(1000, 20_000, 0)).toBe(20_000);
    expect(p.rateCap).toBe(Infinity);
  });

  test("ingest without a stall: nothing is capped", () => {
    const { p, run } = rig();
    expect(run(1000, 20_000, 2000)).toBe(20_000);
    expect(p.rateCap).toBe(Infinity);
  });

  test("ingest and a stall: the rate is cut, but never below the ingest's pace × targets × margin", () => {
    const { s, p, run } = rig(2);
    s.ingestStallUs = HIGH_STALL_US * 2;
    run(3000, 60_000, 1000); // 20,000 tries/s for 3 s while 1,000 callbacks/s arrive
    const pace = 1000 * 2 * PACE_MARGIN;
    expect(p.rateCap).toBeLessThan(20_000);
    expect(p.rateCap).toBeGreaterThanOrEqual(pace * 0.99);
    const allowed = run(1000, 20_000, 1000);
    expect(allowed).toBeGreaterThanOrEqual(pace * 0.9);
    expect(allowed).toBeLessThan(20_000 / 2);
  });

  test("under a cap each target gets its share, however much more often another one asks", () => {
    const { s, p, run } = rig(2);
    s.ingestStallUs = HIGH_STALL_US * 2;
    run(3000, 60_000, 1000);
    expect(p.rateCap).toBeLessThan(5000);
    const got = { busy: 0, quiet: 0 };
    for (let i = 0; i < 10_000; i++) {
      s.now += 0.1; // 1 s: "busy" asks first and twice as often as "quiet"; both more than a share
      s.headSeq += 0.1;
      if (p.take("busy")) got.busy++;
      if (i % 2 === 0 && p.take("quiet")) got.quiet++;
    }
    expect(got.quiet).toBeGreaterThan((p.rateCap / 2) * 0.8);
    expect(got.busy).toBeLessThan((p.rateCap / 2) * 1.2);
  });

  test("a severe stall (the CPU really short) may cut below the ingest's pace, down to MIN_RPS", () => {
    const { s, p, run } = rig(2);
    s.ingestStallUs = SEVERE_STALL_US * 2;
    run(3000, 60_000, 1000);
    expect(p.rateCap).toBeLessThan(1000 * 2 * PACE_MARGIN * 0.5);
    expect(p.rateCap).toBeGreaterThanOrEqual(MIN_RPS);
  });

  test("the cut never goes below MIN_RPS, even when the ingest is slow", () => {
    const { s, p, run } = rig(1);
    s.ingestStallUs = HIGH_STALL_US * 2;
    run(3000, 30_000, 10);
    expect(p.rateCap).toBeGreaterThanOrEqual(MIN_RPS);
    expect(p.rateCap).toBeLessThan(MIN_RPS * 2);
  });

  test("once the stall is gone the cut is given back until nothing is capped", () => {
    const { s, p, run } = rig(1);
    s.ingestStallUs = HIGH_STALL_US * 2;
    run(2000, 20_000, 100);
    expect(p.rateCap).toBeLessThan(Infinity);
    s.ingestStallUs = 0;
    run(ADJUST_EVERY_MS * 40, 40_000, 100);
    expect(p.rateCap).toBe(Infinity);
  });

  test("when the ingest stops, the cap is dropped at the next adjustment", () => {
    const { s, p, run } = rig(1);
    s.ingestStallUs = HIGH_STALL_US * 2;
    run(2000, 20_000, 500);
    expect(p.rateCap).toBeLessThan(Infinity);
    run(ADJUST_EVERY_MS * 2, 2000, 0);
    expect(p.rateCap).toBe(Infinity);
  });

  test("refresh() drops the cap after the ingest stops even when nothing asks to deliver", () => {
    const { s, p, run } = rig(1);
    s.ingestStallUs = HIGH_STALL_US * 2;
    run(2000, 20_000, 500);
    expect(p.rateCap).toBeLessThan(Infinity);
    for (let i = 0; i < 2; i++) {
      s.now += ADJUST_EVERY_MS; // the first window still holds the load's last commits
      p.refresh();
    }
    expect(p.rateCap).toBe(Infinity);
  });
});

describe("StallMonitor", () => {
  test("reads the run-queue wait from a schedstat file, publishing µs per 100 ms", () => {
    const dir = mkdtempSync(join(tmpdir(), "roomhook-stall-"));
    try {
      const file = join(dir, "schedstat");
      writeFileSync(file, "1000 5000000 10\n");
      expect(readRunQueueWaitNs(file)).toBe(5_000_000);
      expect(readRunQueueWaitNs(join(dir, "missing"))).toBeNull();
      const slots = SharedSlots.create(0);
      let now = 0;
      const m = new StallMonitor(slots, file, () => now);
      m.start();
      m.stop(); // ticks are driven by hand below
      now += 50;
      writeFileSync(file, "2000 8000000 12\n"); // waited 3 ms in 50 ms: 6 ms per 100 ms
      m.tick();
      expect(slots.ingestStallUs).toBe(6000);
      now += 50;
      m.tick(); // no more waiting, but the worst of the last two is published
      expect(slots.ingestStallUs).toBe(6000);
      now += 50;
      m.tick();
      expect(slots.ingestStallUs).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without schedstat it publishes how late its own timer fired", () => {
    const slots = SharedSlots.create(0);
    let now = 0;
    const m = new StallMonitor(slots, null, () => now);
    m.start();
    m.stop();
    now += MONITOR_EVERY_MS + 8; // 8 ms late
    m.tick();
    expect(slots.ingestStallUs).toBeCloseTo((8000 * 100) / (MONITOR_EVERY_MS + 8), 0);
  });
});

describe("SharedSlots", () => {
  test("two views of one buffer see the same numbers; seqs beyond 2^32 survive", () => {
    const a = SharedSlots.create(5_000_000_000);
    const b = SharedSlots.attach(a.buffer);
    expect(b.headSeq).toBe(5_000_000_000);
    expect(b.minCursor).toBe(0); // unknown until the fan-out says: nothing may be removed
    a.minCursor = Infinity;
    expect(b.minCursor).toBe(Infinity);
    a.minCursor = 4_294_967_297;
    expect(b.minCursor).toBe(4_294_967_297);
    expect(b.deliveryRateCap).toBe(Infinity);
    a.deliveryRateCap = 1234.4;
    expect(b.deliveryRateCap).toBe(1234);
  });

  test("at most one nudge is outstanding until the fan-out re-arms", () => {
    const ingest = SharedSlots.create(0);
    const fanout = SharedSlots.attach(ingest.buffer);
    expect(ingest.takeNudge()).toBe(true);
    expect(ingest.takeNudge()).toBe(false);
    fanout.armNudge();
    expect(ingest.takeNudge()).toBe(true);
  });
});
