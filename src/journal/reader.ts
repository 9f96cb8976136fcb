// Sequential reading of a segment file as it is now, a line at a time, in bounded memory, reporting
// trailing bytes without a newline (a torn tail) as an incomplete line. Used where a torn tail must
// be seen (verify, the dead-letter file) or a one-off pass is enough (replay). Following the live
// journal is line-reader.ts's job.
import { closeSync, fstatSync, openSync } from "node:fs";
import { listSegments, segmentIndexFor, type SegmentInfo } from "./segments.ts";
import { LineCursor } from "./line-cursor.ts";

export interface RawLine {
  segment: SegmentInfo;
  offset: number;
  text: string;
  /** false for trailing bytes with no newline (a torn tail). */
  complete: boolean;
}

const CHUNK = 1024 * 1024;

export function* readSegment(seg: SegmentInfo): Generator<RawLine> {
  const fd = openSync(seg.path, "r");
  try {
    const size = fstatSync(fd).size;
    const lines = new LineCursor(fd, 0, size, Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1))));
    while (lines.next()) yield { segment: seg, offset: lines.offset, text: lines.text(), complete: true };
    if (lines.after < size)
      yield { segment: seg, offset: lines.after, text: lines.rest().toString("utf8"), complete: false };
  } finally {
    closeSync(fd);
  }
}

export function* readJournal(dir: string, fromSeq = 1): Generator<RawLine> {
  const segs = listSegments(dir);
  if (segs.length === 0) return;
  for (let i = segmentIndexFor(segs, fromSeq); i < segs.length; i++) yield* readSegment(segs[i]!);
}
