// Start-up recovery. Reads only the end of the journal, whatever its size: the last complete line
// gives the next seq; a torn tail (a crash mid-write, never acknowledged) is cut off and kept aside.
import { closeSync, fstatSync, ftruncateSync, fsyncSync, openSync, readSync, unlinkSync, writeFileSync } from "node:fs";
import { fsyncDir, listSegments, type SegmentInfo } from "./segments.ts";
import { peekSeqId } from "./line.ts";

export interface TailState {
  /** The segment appends continue in; null when the writer must create one named after nextSeq. */
  segment: SegmentInfo | null;
  size: number;
  nextSeq: number;
  /** Bytes cut from the end because they did not form complete, valid lines. */
  cutBytes: number;
}

const NL = 0x0a;

/** Reads [start, end) of an open file. */
export function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/** Offset just past the last newline before `end`, or 0 when there is none. Reads backwards in chunks. */
export function lastNewlineEnd(fd: number, end: number, chunk = 64 * 1024): number {
  let hi = end;
  while (hi > 0) {
    const lo = Math.max(0, hi - chunk);
    const buf = readRange(fd, lo, hi);
    const i = buf.lastIndexOf(NL);
    if (i >= 0) return lo + i + 1;
    hi = lo;
  }
  return 0;
}

function validLineSeq(buf: Buffer): number | null {
  try {
    const v = JSON.parse(buf.toString("utf8")) as { seq?: unknown };
    return typeof v.seq === "number" && Number.isInteger(v.seq) ? v.seq : null;
  } catch {
    return null;
  }
}

/**
 * Cuts invalid trailing bytes of the newest segment and finds the next seq. An acknowledged line was
 * fdatasync'ed whole, so whatever does not parse at the very end was never acknowledged. Segments
 * left empty (a crash right after a roll) are removed; the numbering still goes on from their names.
 */
export function recoverTail(dir: string, onCut?: (info: { path: string; from: number; bytes: number }) => void): TailState {
  const segs = listSegments(dir);
  let cutBytes = 0;
  let floorSeq = 1; // never hand out a seq below a segment name we have seen
  for (let s = segs.length - 1; s >= 0; s--) {
    const seg = segs[s]!;
    floorSeq = Math.max(floorSeq, seg.firstSeq);
    const fd = openSync(seg.path, "r+");
    let lastSeq: number | null = null;
    let good = 0;
    try {
      const size = fstatSync(fd).size;
      good = lastNewlineEnd(fd, size);
      while (good > 0) {
        const start = lastNewlineEnd(fd, good - 1);
        lastSeq = validLineSeq(readRange(fd, start, good - 1));
        if (lastSeq !== null) break;
        good = start;
      }
      const cut = size - good;
      if (cut > 0) {
        // Keep the cut bytes for forensics; they are not part of the journal.
        writeFileSync(`${seg.path}.torn-${Date.now()}`, readRange(fd, good, size), { mode: 0o600 });
        ftruncateSync(fd, good);
        fsyncSync(fd);
        cutBytes += cut;
        onCut?.({ path: seg.path, from: good, bytes: cut });
      }
    } finally {
      closeSync(fd);
    }
    if (lastSeq !== null) return { segment: seg, size: good, nextSeq: Math.max(lastSeq + 1, floorSeq), cutBytes };
    unlinkSync(seg.path);
    fsyncDir(dir);
  }
  return { segment: null, size: 0, nextSeq: floorSeq, cutBytes };
}

/**
 * The ids of the last `limit` events, oldest first, read backwards from the end: start-up cost
 * depends on the dedupe window, not on the journal's size.
 */
export function recentIds(dir: string, limit: number): string[] {
  if (limit <= 0) return [];
  const segs = listSegments(dir);
  const out: string[] = [];
  const CHUNK = 4 * 1024 * 1024;
  for (let s = segs.length - 1; s >= 0 && out.length < limit; s--) {
    const fd = openSync(segs[s]!.path, "r");
    try {
      let end = fstatSync(fd).size;
      let carry: Buffer | null = null; // the start of a line whose beginning is in the previous chunk
      while (end > 0 && out.length < limit) {
        const start = Math.max(0, end - CHUNK);
        let buf = readRange(fd, start, end);
        if (carry) buf = Buffer.concat([buf, carry]);
        // Lines fully inside buf: after its first newline (or from 0 when start === 0).
        let lineEnd = buf.length;
        let i = buf.lastIndexOf(NL, lineEnd - 2);
        while (out.length < limit) {
          if (i < 0 && start > 0) break;
          const line = buf.toString("latin1", i + 1, Math.min(i + 1 + 120, lineEnd));
          const p = peekSeqId(line);
          if (p) out.push(p.id);
          lineEnd = i + 1;
          if (i < 0) break;
          i = buf.lastIndexOf(NL, i - 1);
        }
        carry = start > 0 ? buf.subarray(0, lineEnd) : null;
        end = start;
      }
    } finally {
      closeSync(fd);
    }
  }
  return out.reverse();
}
