// Named numbers two threads share without messages (one SharedArrayBuffer; Atomics throughout, so
// every read and write is whole), and the flag by which a reader thread asks to be told of the next
// journal commit: it asks, the writer's next commit takes the request and posts one nudge, so at most
// one nudge is ever queued however fast the commits come. The fan-out thread (delivery/shared-slots.ts)
// and the rooms thread (rooms/shared-state.ts) each name their own numbers.

export class SharedNumbers<S extends string> {
  private readonly nums: BigInt64Array;
  private readonly flag: Int32Array;
  private readonly index: ReadonlyMap<S, number>;

  constructor(
    names: readonly S[],
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8 * names.length + 8),
  ) {
    this.nums = new BigInt64Array(buffer, 0, names.length);
    this.flag = new Int32Array(buffer, 8 * names.length, 1);
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  get(name: S): number {
    return Number(Atomics.load(this.nums, this.index.get(name)!));
  }

  /** Integers only (the slots are 64-bit integers): a fraction is rounded. */
  set(name: S, v: number): void {
    Atomics.store(this.nums, this.index.get(name)!, BigInt(Math.round(v)));
  }

  /** The reader: "tell me of the next commit". */
  askForNudge(): void {
    Atomics.store(this.flag, 0, 1);
  }

  /** The writer, on a commit: whether the reader asked since the last call (and clears the request). */
  takeNudgeRequest(): boolean {
    return Atomics.load(this.flag, 0) === 1 && Atomics.compareExchange(this.flag, 0, 1, 0) === 1;
  }

  cancelNudgeRequest(): void {
    Atomics.store(this.flag, 0, 0);
  }
}
