// A position-keeping reader over the journal's segments for the fan-out: it hands lines to a visitor
// and moves past a line only when the visitor takes it, so a worker can stop at a bound (the last
// committed seq, a full buffer) and continue later from exactly there. Lines below `fromSeq` are
// skipped; a removed segment (retention) is passed over.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { listSegments, segmentIndexFor, type SegmentInfo } from "./segments.ts";
import { peekSeqId } from "./line.ts";

const CHUNK = 256 * 1024;

export interface LinePos {
  segment: SegmentInfo;
  offset: number;
}

/** Return false to leave the line unread (the next scan starts with it). */
export type Visit = (text: string, seq: number, pos: LinePos) => boolean;

export class JournalLineReader {
  private seg: SegmentInfo | null;
  private offset: number;

  private constructor(
    private readonly dir: string,
    private readonly fromSeq: number,
    start: LinePos | null,
  ) {
    this.seg = start?.segment ?? null;
    this.offset = start?.offset ?? 0;
  }

  /** Starts at the segment holding `fromSeq` and skips the lines before it. */
  static fromSeq(dir: string, fromSeq: number): JournalLineReader {
    return new JournalLineReader(dir, fromSeq, null);
  }

  /** Starts at a known line position (one this worker read before). */
  static at(dir: string, pos: LinePos, fromSeq: number): JournalLineReader {
    return new JournalLineReader(dir, fromSeq, pos);
  }

  /**
   * Visits complete lines in order with seq <= maxSeq, at most `maxLines`. Returns how many lines
   * were consumed (skipped ones included) and whether it stopped because of the visitor or a bound.
   */
  scan(maxSeq: number, maxLines: number, visit: Visit): { consumed: number; blocked: boolean } {
    let consumed = 0;
    let segs: SegmentInfo[] | null = null;
    let seg: SegmentInfo;
    if (this.seg) seg = this.seg;
    else {
      segs = listSegments(this.dir);
      if (segs.length === 0) return { consumed, blocked: false };
      seg = this.seg = segs[segmentIndexFor(segs, this.fromSeq)]!;
      this.offset = 0;
    }
    let rechecked = false;
    for (;;) {
      const r = this.readChunk(seg, maxSeq, maxLines - consumed, visit);
      consumed += r.consumed;
      if (r.blocked) return { consumed, blocked: true };
      if (consumed >= maxLines) return { consumed, blocked: false };
      if (r.consumed > 0 && !r.eof) continue;
      // Nothing more here. A newer segment means this one is final (the writer rolled).
      segs ??= listSegments(this.dir);
      const cur = seg.firstSeq;
      const next: SegmentInfo | undefined = segs.find((s) => s.firstSeq > cur);
      if (!next) return { consumed, blocked: false };
      // Re-check this one once: lines may have landed between the read and the listing. (Once: a
      // final segment never grows, and bytes without a newline at its end are not a line.)
      if (!rechecked && !r.missing && this.sizeOf(seg) > this.offset) {
        rechecked = true;
        continue;
      }
      rechecked = false;
      seg = this.seg = next;
      this.offset = 0;
    }
  }

  private sizeOf(seg: SegmentInfo): number {
    try {
      const fd = openSync(seg.path, "r");
      try {
        return fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
    } catch {
      return 0;
    }
  }

  private readChunk(seg: SegmentInfo, maxSeq: number, maxLines: number, visit: Visit) {
    let fd: number;
    try {
      fd = openSync(seg.path, "r");
    } catch {
      return { consumed: 0, blocked: false, eof: true, missing: true }; // removed by retention
    }
    let consumed = 0;
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return { consumed, blocked: false, eof: true, missing: false };
      let len = Math.min(CHUNK, size - this.offset);
      let buf = Buffer.allocUnsafe(len);
      len = readSync(fd, buf, 0, len, this.offset);
      let nl = buf.indexOf(0x0a);
      if (nl < 0 || nl >= len) {
        if (len < CHUNK) return { consumed, blocked: false, eof: true, missing: false }; // a line still being written
        // One line longer than the chunk: read it whole.
        buf = Buffer.allocUnsafe(size - this.offset);
        len = readSync(fd, buf, 0, buf.length, this.offset);
        nl = buf.indexOf(0x0a);
        if (nl < 0 || nl >= len) return { consumed, blocked: false, eof: true, missing: false };
      }
      let start = 0;
      while (nl >= 0 && nl < len && consumed < maxLines) {
        const text = buf.toString("utf8", start, nl);
        const seq = peekSeqId(text)?.seq ?? 0;
        if (seq > maxSeq) return { consumed, blocked: true, eof: false, missing: false };
        if (seq >= this.fromSeq && !visit(text, seq, { segment: seg, offset: this.offset })) {
          return { consumed, blocked: true, eof: false, missing: false };
        }
        consumed++;
        this.offset += nl + 1 - start;
        start = nl + 1;
        nl = buf.indexOf(0x0a, start);
      }
      return { consumed, blocked: false, eof: this.offset >= size, missing: false };
    } finally {
      closeSync(fd);
    }
  }
}
