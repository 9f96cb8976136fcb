// A ring of per-second counters: `seconds` rows of `columns` integers, allocated once. Recording is
// an index computation and an increment (the ingest path calls it on every callback); moving to a
// new second zeroes the rows skipped since the last one, at most the whole ring.

export class SecondRing {
  private readonly cells: Uint32Array;
  /** The Unix second of the newest row; rows older than `seconds` are gone. */
  private head = -1;

  constructor(
    readonly seconds: number,
    readonly columns: number,
  ) {
    this.cells = new Uint32Array(seconds * columns);
  }

  /** Makes `second` the newest row, zeroing every row between the old head and it. */
  advance(second: number): void {
    if (second <= this.head) return;
    if (this.head >= 0) {
      const skipped = Math.min(second - this.head, this.seconds);
      for (let i = 1; i <= skipped; i++) {
        const row = ((this.head + i) % this.seconds) * this.columns;
        this.cells.fill(0, row, row + this.columns);
      }
    }
    this.head = second;
  }

  /** Adds `n` to `column` in `second`'s row; a second older than the head counts in the head. */
  add(second: number, column: number, n = 1): void {
    if (second > this.head) this.advance(second);
    this.cells[(this.head % this.seconds) * this.columns + column]! += n;
  }

  /** The newest second (after advancing to `now`). */
  newest(now: number): number {
    this.advance(now);
    return this.head;
  }

  /** One column, oldest second first, over the last `span` seconds up to the head. */
  column(column: number, span = this.seconds): number[] {
    const out = new Array<number>(span);
    for (let i = 0; i < span; i++) out[i] = this.at(this.head - span + 1 + i, column);
    return out;
  }

  /** A cell; 0 for a second outside the ring. */
  at(second: number, column: number): number {
    if (second > this.head || second <= this.head - this.seconds || second < 0) return 0;
    return this.cells[(second % this.seconds) * this.columns + column]!;
  }

  /** Sums of every column over the last `span` seconds. */
  sums(span: number): number[] {
    const out = new Array<number>(this.columns).fill(0);
    for (let s = this.head - Math.min(span, this.seconds) + 1; s <= this.head; s++) {
      for (let c = 0; c < this.columns; c++) out[c]! += this.at(s, c);
    }
    return out;
  }
}
