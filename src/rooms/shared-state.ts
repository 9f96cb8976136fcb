// The few numbers the service thread and the rooms thread share without messages: the journal's
// committed head (written by the service on every commit, read by the follower), the projection's
// progress (written by the rooms thread, read by /metrics and retention), and the flag by which an
// idle follower asks to be told of the next commit. One SharedArrayBuffer, Atomics throughout.

const SLOTS = [
  "head",
  "applied",
  "activeRooms",
  "members",
  "countMismatches",
  "snapshotSeq",
  "snapshotSavedAt",
  "gaps",
] as const;
export type Slot = (typeof SLOTS)[number];

export class SharedState {
  private readonly nums: BigInt64Array;
  private readonly flag: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8 * SLOTS.length + 8)) {
    this.nums = new BigInt64Array(buffer, 0, SLOTS.length);
    this.flag = new Int32Array(buffer, 8 * SLOTS.length, 1);
  }

  get(slot: Slot): number {
    return Number(Atomics.load(this.nums, SLOTS.indexOf(slot)));
  }

  set(slot: Slot, v: number): void {
    Atomics.store(this.nums, SLOTS.indexOf(slot), BigInt(v));
  }

  /** The follower, idle: "tell me of the next commit". */
  askForNudge(): void {
    Atomics.store(this.flag, 0, 1);
  }

  /** Whether the follower asked since the last call (and clears the request). */
  takeNudgeRequest(): boolean {
    return Atomics.load(this.flag, 0) === 1 && Atomics.compareExchange(this.flag, 0, 1, 0) === 1;
  }

  cancelNudgeRequest(): void {
    Atomics.store(this.flag, 0, 0);
  }
}
