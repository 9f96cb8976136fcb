// Ingest first, adaptively. The fan-out runs on its own thread, so on a machine with a spare core
// deliveries and acks do not compete and nothing here limits anything. Where the CPU really is short
// (more runnable threads than cores: the ingest, the fan-out, Bun's HTTP client thread, other
// processes), the OS makes the ingest thread wait for a core, and that wait is added to every ack.
// The ingest thread measures it (StallMonitor: its run-queue wait from /proc schedstat, or where that
// file is missing how late its own timer fires) and the fan-out thread reads it (IngestPriority):
// while the ingest waits, the delivery rate is cut multiplicatively; while it does not, the cut is
// given back step by step until no cap is left. No fixed rate: the cap follows what this machine can
// do at this moment. A wait only counts while callbacks are arriving (the head moved): with no ingest
// there is no ack to protect, so a backlog drains at full speed however busy the machine is.
import { readFileSync } from "node:fs";
import type { SharedSlots } from "./shared-slots.ts";

/** How often the ingest thread measures itself. */
export const MONITOR_EVERY_MS = 50;
/** The fan-out re-decides its cap this often. */
export const ADJUST_EVERY_MS = 100;
/** Above this much ingest stall per 100 ms the fan-out backs off... */
export const HIGH_STALL_US = 10_000;
/**
 * Above this the CPU is really short (the ingest waits half of the time): the cut may then go below
 * the ingest's pace, the lag grows, and the acks keep their speed. (At 20 ms a soak at 3,000/s with
 * one target, ingest p99 10-14 ms, kept tripping it: many short waits add up without hurting acks.)
 */
export const SEVERE_STALL_US = 50_000;
/** ...and below this it gives the cut back. */
export const LOW_STALL_US = 4000;
/** The cap never goes below this, so a starved machine still drains its backlog. */
export const MIN_RPS = 200;
/** Above this the cap no longer binds and is dropped. */
export const UNCAPPED_RPS = 100_000;
/** Deliveries are never capped below this many times the ingest's pace (see IngestPriority). */
export const PACE_MARGIN = 1.25;
/**
 * The pace is the highest commit rate of this many adjustments (1 s): a starved ingest commits in
 * fits, and a floor that followed each dip would let the cut hold deliveries below the arrivals.
 */
const PACE_WINDOWS = 10;
const DECREASE = 0.7;
const INCREASE = 1.25;

/** The calling thread's run-queue wait so far, ns (schedstat's second field); null where missing. */
export function readRunQueueWaitNs(path: string): number | null {
  try {
    const wait = Number(readFileSync(path, "latin1").split(" ")[1]);
    return Number.isFinite(wait) ? wait : null;
  } catch {
    return null;
  }
}

/**
 * The ingest thread: how long it was kept from running (µs per 100 ms), published as the worst of
 * the last two measurements. `schedstat` is the main thread's file (its tid is the pid).
 */
export class StallMonitor {
  private timer: ReturnType<typeof setInterval> | null = null;
  private last = 0;
  private lastWaitNs: number | null = null;
  private previous = 0;

  constructor(
    private readonly slots: SharedSlots,
    private readonly schedstat: string | null = `/proc/self/task/${process.pid}/schedstat`,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): this {
    this.last = this.now();
    this.lastWaitNs = this.schedstat ? readRunQueueWaitNs(this.schedstat) : null;
    this.timer = setInterval(() => this.tick(), MONITOR_EVERY_MS);
    this.timer.unref?.();
    return this;
  }

  tick(): void {
    const t = this.now();
    const elapsedMs = Math.max(1, t - this.last);
    let stallUs: number;
    const waitNs = this.lastWaitNs === null ? null : readRunQueueWaitNs(this.schedstat!);
    if (waitNs !== null && this.lastWaitNs !== null) {
      stallUs = (waitNs - this.lastWaitNs) / 1000;
      this.lastWaitNs = waitNs;
    } else {
      stallUs = Math.max(0, elapsedMs - MONITOR_EVERY_MS) * 1000; // how late this tick fired
    }
    this.last = t;
    const per100 = (stallUs * 100) / elapsedMs;
    this.slots.ingestStallUs = Math.max(per100, this.previous);
    this.previous = per100;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** What the fan-out thread reads of the ingest (SharedSlots). */
export interface IngestSignals {
  readonly ingestStallUs: number;
  readonly headSeq: number;
}

/**
 * The fan-out thread: may one more delivery start now? Shared by all targets. Unless the stall is
 * severe, the cap never goes below the pace of the ingest (events committed per second × `width`,
 * the targets, × PACE_MARGIN): the rule may slow a backlog's catch-up while callbacks arrive, but
 * lets the lag grow only when the CPU really is short.
 */
export class IngestPriority {
  private cap = Infinity;
  /** Each target's share of the cap: tokens refill at cap / width, up to 50 ms worth. */
  private readonly buckets = new Map<string, { tokens: number; refilledAt: number }>();
  private adjustedAt: number;
  private started = 0;
  private headAtAdjust: number;
  private readonly commitRates: number[] = [];

  constructor(
    private readonly ingest: IngestSignals,
    private readonly width: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.adjustedAt = this.now();
    this.headAtAdjust = ingest.headSeq;
  }

  /** Deliveries per second allowed now; Infinity when nothing is cut. */
  get rateCap(): number {
    return this.cap;
  }

  /** Re-decides the cap when it is due, also while nothing asks to deliver (the cap is published). */
  refresh(): void {
    const t = this.now();
    if (t - this.adjustedAt >= ADJUST_EVERY_MS) this.adjust(t);
  }

  /**
   * May `target` start one more delivery now? While a cap is set each target draws on its own share
   * of it (cap / width), so the first target to ask cannot take the whole of it.
   */
  take(target = ""): boolean {
    const t = this.now();
    if (t - this.adjustedAt >= ADJUST_EVERY_MS) this.adjust(t);
    if (this.cap === Infinity) {
      this.started++;
      return true;
    }
    let b = this.buckets.get(target);
    if (!b) {
      b = { tokens: 0, refilledAt: t };
      this.buckets.set(target, b);
    }
    const rate = this.cap / Math.max(1, this.width());
    b.tokens = Math.min(Math.max(1, rate / 20), b.tokens + ((t - b.refilledAt) * rate) / 1000);
    b.refilledAt = t;
    if (b.tokens < 1) return false;
    b.tokens--;
    this.started++;
    return true;
  }

  private adjust(t: number): void {
    const elapsed = t - this.adjustedAt;
    const rate = (this.started * 1000) / elapsed;
    const head = this.ingest.headSeq;
    const commitRate = ((head - this.headAtAdjust) * 1000) / elapsed;
    this.commitRates.push(commitRate);
    if (this.commitRates.length > PACE_WINDOWS) this.commitRates.shift();
    const pace = Math.max(...this.commitRates) * this.width() * PACE_MARGIN;
    this.adjustedAt = t;
    this.started = 0;
    this.headAtAdjust = head;
    const stall = this.ingest.ingestStallUs;
    if (commitRate === 0) {
      this.cap = Infinity; // no callback arriving: no ack to protect
    } else if (stall > HIGH_STALL_US) {
      const from = this.cap === Infinity ? rate : Math.min(this.cap, rate);
      const floor = stall > SEVERE_STALL_US ? MIN_RPS : Math.max(MIN_RPS, pace);
      this.cap = Math.max(floor, from * DECREASE);
    } else if (stall < LOW_STALL_US && this.cap !== Infinity) {
      this.cap = Math.max(pace, this.cap * INCREASE);
      if (this.cap >= UNCAPPED_RPS) this.cap = Infinity;
    }
  }
}
