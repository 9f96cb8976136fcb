// Sequential reading of a segment directory, a line at a time, in bounded memory (chunks), starting
// at the segment that holds `fromSeq`. Used by verify, tail and the admin queries.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { listSegments, segmentIndexFor, type SegmentInfo } from "./segments.ts";

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
    let pos = 0;
    let carry = Buffer.alloc(0);
    let carryOffset = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n === 0) break;
      let data = buf.subarray(0, n);
      if (carry.length) data = Buffer.concat([carry, data]);
      const base = carry.length ? carryOffset : pos;
      let start = 0;
      let nl = data.indexOf(0x0a, start);
      while (nl >= 0) {
        yield { segment: seg, offset: base + start, text: data.toString("utf8", start, nl), complete: true };
        start = nl + 1;
        nl = data.indexOf(0x0a, start);
      }
      carry = Buffer.from(data.subarray(start));
      carryOffset = base + start;
      pos += n;
    }
    if (carry.length) yield { segment: seg, offset: carryOffset, text: carry.toString("utf8"), complete: false };
  } finally {
    closeSync(fd);
  }
}

export function* readJournal(dir: string, fromSeq = 1): Generator<RawLine> {
  const segs = listSegments(dir);
  if (segs.length === 0) return;
  for (let i = segmentIndexFor(segs, fromSeq); i < segs.length; i++) yield* readSegment(segs[i]!);
}
