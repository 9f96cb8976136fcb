// The numbers the ingest thread and the fan-out thread share without a message
// (src/threads/shared-numbers.ts): the journal's head (the ingest writes it on every commit, the
// fan-out reads it on every pump), the lowest cursor a restart could resume from (the fan-out writes
// it, retention reads it), how long the ingest thread was kept from running and the fan-out's
// delivery rate cap (ingest-priority.ts), and the one-nudge-outstanding flag.
import { SharedNumbers } from "../threads/shared-numbers.ts";

const NAMES = ["head", "minCursor", "ingestStallUs", "rateCap"] as const;

/** minCursor before the fan-out thread has loaded its cursors: nothing may be removed yet. */
const UNKNOWN = -1;
/** minCursor with no targets, and rateCap with no cap (Infinity does not fit a 64-bit integer). */
const NONE = -2;

export class SharedSlots {
  private readonly n: SharedNumbers<(typeof NAMES)[number]>;

  private constructor(buffer?: SharedArrayBuffer) {
    this.n = new SharedNumbers(NAMES, buffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.n.buffer;
  }

  static create(headSeq: number): SharedSlots {
    const s = new SharedSlots();
    s.headSeq = headSeq;
    s.n.set("minCursor", UNKNOWN);
    s.n.set("rateCap", NONE);
    s.n.askForNudge();
    return s;
  }

  /** The other thread's view of the same memory. */
  static attach(buffer: SharedArrayBuffer): SharedSlots {
    return new SharedSlots(buffer);
  }

  get headSeq(): number {
    return this.n.get("head");
  }

  set headSeq(seq: number) {
    this.n.set("head", seq);
  }

  /** The lowest cursor a restart could resume from: 0 until known, Infinity with no targets. */
  get minCursor(): number {
    const v = this.n.get("minCursor");
    return v === UNKNOWN ? 0 : v === NONE ? Infinity : v;
  }

  set minCursor(seq: number) {
    this.n.set("minCursor", seq === Infinity ? NONE : seq);
  }

  /** How long the ingest thread recently waited for a core, µs per 100 ms (ingest-priority.ts). */
  get ingestStallUs(): number {
    return this.n.get("ingestStallUs");
  }

  set ingestStallUs(us: number) {
    this.n.set("ingestStallUs", us);
  }

  /** Deliveries/s the fan-out allows itself now (ingest-priority.ts); Infinity when none is set. */
  get deliveryRateCap(): number {
    const v = this.n.get("rateCap");
    return v === NONE ? Infinity : v;
  }

  set deliveryRateCap(rps: number) {
    this.n.set("rateCap", rps === Infinity ? NONE : Math.max(1, rps));
  }

  /** The ingest side: true when a nudge should be posted (and marks it posted). */
  takeNudge(): boolean {
    return this.n.takeNudgeRequest();
  }

  /** The fan-out side, on receiving a nudge: the next commit may post another. */
  armNudge(): void {
    this.n.askForNudge();
  }
}
