// Numbers the ingest thread and the fan-out thread share without a message: the journal's head (the
// ingest writes it on every commit, the fan-out reads it on every pump), the lowest cursor a restart
// could resume from (the fan-out writes it, retention reads it), how long the ingest thread was kept
// from running (for the fan-out's ingest-priority rule) and the fan-out's delivery rate cap and
// the one-nudge-in-flight flag. Seqs are BigInt64 so every
// read and write is atomic (Atomics); one SharedArrayBuffer crosses to the thread once, at start.

const HEAD = 0;
const MIN_CURSOR = 1;
const I64_SLOTS = 2;
// Int32 slots, in a view that starts after the BigInt64 ones.
const INGEST_STALL_US = 0;
const WANTS_NUDGE = 1;
const RATE_CAP = 2;
const I32_SLOTS = 3;

/** minCursor before the fan-out thread has loaded its cursors: nothing may be removed yet. */
const UNKNOWN = -1n;
/** minCursor with no targets (Infinity does not fit a BigInt64). */
const NO_TARGETS = -2n;

export class SharedSlots {
  private readonly i64: BigInt64Array;
  private readonly i32: Int32Array;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.i64 = new BigInt64Array(buffer, 0, I64_SLOTS);
    this.i32 = new Int32Array(buffer, I64_SLOTS * 8, I32_SLOTS);
  }

  static create(headSeq: number): SharedSlots {
    const s = new SharedSlots(new SharedArrayBuffer(I64_SLOTS * 8 + I32_SLOTS * 4));
    s.headSeq = headSeq;
    Atomics.store(s.i64, MIN_CURSOR, UNKNOWN);
    Atomics.store(s.i32, WANTS_NUDGE, 1);
    return s;
  }

  /** The other thread's view of the same memory. */
  static attach(buffer: SharedArrayBuffer): SharedSlots {
    return new SharedSlots(buffer);
  }

  get headSeq(): number {
    return Number(Atomics.load(this.i64, HEAD));
  }

  set headSeq(seq: number) {
    Atomics.store(this.i64, HEAD, BigInt(seq));
  }

  /** The lowest cursor a restart could resume from: 0 until known, Infinity with no targets. */
  get minCursor(): number {
    const v = Atomics.load(this.i64, MIN_CURSOR);
    if (v === UNKNOWN) return 0;
    if (v === NO_TARGETS) return Infinity;
    return Number(v);
  }

  set minCursor(seq: number) {
    Atomics.store(this.i64, MIN_CURSOR, seq === Infinity ? NO_TARGETS : BigInt(seq));
  }

  /** How long the ingest thread recently waited for a core, µs per 100 ms (ingest-priority.ts). */
  get ingestStallUs(): number {
    return Atomics.load(this.i32, INGEST_STALL_US);
  }

  set ingestStallUs(us: number) {
    Atomics.store(this.i32, INGEST_STALL_US, Math.min(0x7fffffff, Math.round(us)));
  }

  /** Deliveries/s the fan-out allows itself now (ingest-priority.ts); Infinity when none is set. */
  get deliveryRateCap(): number {
    const v = Atomics.load(this.i32, RATE_CAP);
    return v === 0 ? Infinity : v;
  }

  set deliveryRateCap(rps: number) {
    Atomics.store(this.i32, RATE_CAP, rps === Infinity ? 0 : Math.max(1, Math.min(0x7fffffff, Math.round(rps))));
  }

  /** The ingest side: true when a nudge should be posted (and marks it posted). */
  takeNudge(): boolean {
    return Atomics.exchange(this.i32, WANTS_NUDGE, 0) === 1;
  }

  /** The fan-out side, on receiving a nudge: the next commit may post another. */
  armNudge(): void {
    Atomics.store(this.i32, WANTS_NUDGE, 1);
  }
}
