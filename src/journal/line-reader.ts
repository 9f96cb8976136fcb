// The one forward reader of the live journal: `roomhook tail` (with -f or without), the fan-out and
// anything else that reads committed events from seq N on and then follows new ones (call scan again
// later). It hands complete lines to a visitor and moves past a line only when the visitor takes it,
// so a caller can stop at a bound (the last committed seq, a full buffer) and continue later from
// exactly there. Lines below `fromSeq` are skipped without being decoded; a segment removed by
// retention is passed over; bytes without a newline (a line still being written) are not handed out.
import { closeSync, fstatSync, openSync } from "node:fs";
import { listSegments, segmentIndexFor, type SegmentInfo } from "./segments.ts";
import { LineCursor } from "./line-cursor.ts";
import { seqAt } from "./line-codec.ts";

const CHUNK = 256 * 1024;

export interface LinePos {
  segment: SegmentInfo;
  offset: number;
}

/** Return false to leave the line unread (the next scan starts with it). */
export type Visit = (text: string, seq: number, pos: LinePos) => boolean;

interface Read {
  consumed: number;
  /** Stopped before the end of what the segment holds: the visitor, maxSeq or maxLines. */
  stopped: boolean;
  blocked: boolean;
}

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

  /** Starts at a known line position (one this reader's owner read before). */
  static at(dir: string, pos: LinePos, fromSeq: number): JournalLineReader {
    return new JournalLineReader(dir, fromSeq, pos);
  }

  /**
   * Visits complete lines in order with seq <= maxSeq, at most `maxLines`. Returns how many lines
   * were consumed (skipped ones included) and whether it was blocked before the end of what is
   * there: by the visitor, by maxSeq, or by a segment it could not open (the next scan tries again;
   * a caller must not take that for the end of the journal).
   * Lines without a seq (not in the journal's layout) are consumed with seq 0, so skipped when
   * fromSeq >= 1.
   */
  scan(maxSeq: number, maxLines: number, visit: Visit): { consumed: number; blocked: boolean } {
    let consumed = 0;
    // The segment list, when taken before the current segment was last read to its end.
    let listing: SegmentInfo[] | null = null;
    let seg = this.seg;
    if (!seg) {
      listing = listSegments(this.dir);
      if (listing.length === 0) return { consumed, blocked: false };
      seg = this.seg = listing[segmentIndexFor(listing, this.fromSeq)]!;
      this.offset = 0;
    }
    for (;;) {
      const listedBefore = listing !== null;
      const r = this.read(seg, maxSeq, maxLines - consumed, visit);
      consumed += r.consumed;
      if (r.stopped) return { consumed, blocked: r.blocked };
      // At the end of what this segment holds. A newer segment means the writer rolled and never
      // appends here again, but only a listing taken before the read proves the read saw the final
      // bytes: lines may land between a read and a later listing. So list, then read once more.
      const cur: number = seg.firstSeq;
      if (!listedBefore) {
        listing = listSegments(this.dir);
        if (!listing.some((s) => s.firstSeq > cur)) return { consumed, blocked: false };
        continue;
      }
      const next: SegmentInfo | undefined = listing!.find((s) => s.firstSeq > cur);
      if (!next) return { consumed, blocked: false };
      seg = this.seg = next;
      this.offset = 0;
    }
  }

  private read(seg: SegmentInfo, maxSeq: number, maxLines: number, visit: Visit): Read {
    if (maxLines <= 0) return { consumed: 0, stopped: true, blocked: false };
    let fd: number;
    try {
      fd = openSync(seg.path, "r");
    } catch (e) {
      // Removed by retention: nothing more here, the scan moves on. Any other failure stops this scan
      // where it is (never skipping lines); the next scan tries again.
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { consumed: 0, stopped: false, blocked: false };
      return { consumed: 0, stopped: true, blocked: true };
    }
    let consumed = 0;
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return { consumed, stopped: false, blocked: false };
      const lines = new LineCursor(fd, this.offset, size, Buffer.allocUnsafe(Math.min(CHUNK, size - this.offset)));
      while (lines.next()) {
        const seq = Math.max(0, seqAt(lines.buf, lines.start, lines.end));
        if (seq > maxSeq) return { consumed, stopped: true, blocked: true };
        if (seq >= this.fromSeq && !visit(lines.text(), seq, { segment: seg, offset: lines.offset })) {
          return { consumed, stopped: true, blocked: true };
        }
        consumed++;
        this.offset = lines.after;
        if (consumed >= maxLines) return { consumed, stopped: true, blocked: false };
      }
      return { consumed, stopped: false, blocked: false };
    } finally {
      closeSync(fd);
    }
  }
}
