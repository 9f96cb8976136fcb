// Cuts one open file into its complete lines, from a byte offset up to a size fixed at the start,
// reading chunks into one buffer: the single place where segment bytes become lines, shared by the
// sequential reader (reader.ts) and the forward reader (line-reader.ts). No object per line: the
// current line is buf[start, end) until next() is called again.
import { readFullySync } from "../io/files.ts";

const NL = 0x0a;

export class LineCursor {
  /** The chunk holding the current line; may be replaced by a bigger one for a long line. */
  buf: Buffer;
  start = 0;
  /** The current line ends here (at its newline, which is not part of it). */
  end = 0;
  private view: Buffer;
  /** File offset of buf[0]. */
  private base: number;
  /** Index in view where the line after the current one starts. */
  private nextStart = 0;

  constructor(
    private readonly fd: number,
    from: number,
    private readonly size: number,
    buf: Buffer,
  ) {
    this.buf = buf;
    this.view = buf.subarray(0, 0);
    this.base = from;
  }

  /** File offset of the current line. */
  get offset(): number {
    return this.base + this.start;
  }

  /** File offset just past the last line handed out: where unread (or unterminated) bytes start. */
  get after(): number {
    return this.base + this.nextStart;
  }

  /** Moves to the next complete line; false when only bytes without a newline (or none) are left. */
  next(): boolean {
    for (;;) {
      const nl = this.view.indexOf(NL, this.nextStart);
      if (nl >= 0) {
        this.start = this.nextStart;
        this.end = nl;
        this.nextStart = nl + 1;
        return true;
      }
      if (!this.refill()) return false;
    }
  }

  /** The current line as text. */
  text(): string {
    return this.buf.toString("utf8", this.start, this.end);
  }

  /** The bytes after the last line handed out, up to the size (a torn tail, for reporting). */
  rest(): Buffer {
    const from = this.after;
    const out = Buffer.allocUnsafe(Math.max(0, this.size - from));
    return out.subarray(0, readFullySync(this.fd, out, out.length, from));
  }

  /** Reads on from `after`; false when nothing new can come (the rest is one unterminated line). */
  private refill(): boolean {
    const from = this.after;
    const left = this.size - from;
    const seen = this.view.length - this.nextStart; // bytes from `from` on already searched
    if (seen >= left) return false;
    // A line longer than the buffer: grow it (doubling, so a huge line costs O(length) reads).
    if (seen === this.buf.length) this.buf = Buffer.allocUnsafe(Math.min(left, Math.max(4096, this.buf.length * 2)));
    const n = readFullySync(this.fd, this.buf, Math.min(this.buf.length, left), from);
    this.view = this.buf.subarray(0, n);
    this.base = from;
    this.start = this.end = this.nextStart = 0;
    return n > seen; // a file cut shorter meanwhile yields nothing new
  }
}
