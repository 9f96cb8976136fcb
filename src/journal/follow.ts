// Incremental reading of a live journal: hands out only complete lines, remembers where it stopped,
// and moves to the next segment once the writer has rolled (an older segment is then final).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { listSegments, segmentIndexFor, type SegmentInfo } from "./segments.ts";
import type { RawLine } from "./reader.ts";

const CHUNK = 1024 * 1024;

export class JournalFollower {
  private seg: SegmentInfo | null = null;
  private offset = 0;

  constructor(
    private readonly dir: string,
    private readonly fromSeq = 1,
  ) {}

  /** The complete lines written since the last call (bounded by `max`). */
  poll(max = 10_000): RawLine[] {
    const out: RawLine[] = [];
    const segs = listSegments(this.dir);
    if (segs.length === 0) return out;
    if (!this.seg) {
      this.seg = segs[segmentIndexFor(segs, this.fromSeq)]!;
      this.offset = 0;
    }
    while (out.length < max) {
      const before = out.length;
      this.readFrom(this.seg, out, max);
      if (out.length > before) continue;
      const next = segs.find((s) => s.firstSeq > this.seg!.firstSeq);
      if (!next) break;
      // Nothing more in this segment and a newer one exists: this one is final.
      this.seg = next;
      this.offset = 0;
    }
    return out;
  }

  private readFrom(seg: SegmentInfo, out: RawLine[], max: number): void {
    let fd: number;
    try {
      fd = openSync(seg.path, "r");
    } catch {
      return; // removed by retention: the caller moves on
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const len = Math.min(CHUNK, size - this.offset);
      let buf = Buffer.allocUnsafe(len);
      const n = readSync(fd, buf, 0, len, this.offset);
      buf = buf.subarray(0, n);
      let start = 0;
      let nl = buf.indexOf(0x0a);
      if (nl < 0 && n === CHUNK) {
        // A line longer than the chunk: read it whole.
        const whole = Buffer.allocUnsafe(size - this.offset);
        readSync(fd, whole, 0, whole.length, this.offset);
        buf = whole;
        nl = buf.indexOf(0x0a);
      }
      while (nl >= 0 && out.length < max) {
        out.push({ segment: seg, offset: this.offset + start, text: buf.toString("utf8", start, nl), complete: true });
        start = nl + 1;
        nl = buf.indexOf(0x0a, start);
      }
      this.offset += start;
    } finally {
      closeSync(fd);
    }
  }
}
