// Start-up recovery. Reads only the end of the journal, whatever its size: the last complete line
// gives the next seq; a torn tail (a crash mid-write, never acknowledged) is cut off and kept aside.
import { closeSync, fstatSync, ftruncateSync, fsyncSync, openSync, unlinkSync, writeFileSync } from "node:fs";
import { fsyncDir, readFullySync } from "../io/files.ts";
import { listSegments, type SegmentInfo } from "./segments.ts";
import { parseLineSeq, SEQ_ID_HEAD_BYTES, seqIdAt } from "./line-codec.ts";

export interface TailState {
  /** The segment appends continue in; null when the writer must create one named after nextSeq. */
  segment: SegmentInfo | null;
  size: number;
  nextSeq: number;
  /** Bytes cut from the end because they did not form complete, valid lines. */
  cutBytes: number;
}

const NL = 0x0a;

/** Reads [start, end) of an open file, into `into` when it is big enough. */
export function readRange(fd: number, start: number, end: number, into?: Buffer): Buffer {
  const buf = into && into.length >= end - start ? into.subarray(0, end - start) : Buffer.allocUnsafe(end - start);
  return buf.subarray(0, readFullySync(fd, buf, buf.length, start));
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

/**
 * Truncates the open file at `good`, keeping the bytes it cuts (up to `size`) aside as
 * `<path>.torn-<ms>` for forensics: they were never acknowledged and are not part of the log.
 */
function cutAside(fd: number, path: string, good: number, size: number): void {
  writeFileSync(`${path}.torn-${Date.now()}`, readRange(fd, good, size), { mode: 0o600 });
  ftruncateSync(fd, good);
  fsyncSync(fd);
}

function validLineSeq(buf: Buffer): number | null {
  const r = parseLineSeq(buf.toString("utf8"));
  return "seq" in r ? r.seq : null;
}

/**
 * Cuts invalid trailing bytes of the newest segment and finds the next seq. An acknowledged line was
 * fdatasync'ed whole, so whatever does not parse at the very end was never acknowledged. Segments
 * left empty (a crash right after a roll) are removed; the numbering still goes on from their names.
 */
export function recoverTail(
  dir: string,
  onCut?: (info: { path: string; from: number; bytes: number }) => void,
): TailState {
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
        cutAside(fd, seg.path, good, size);
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
 * Cuts the bytes after the last newline of an append-only JSONL file (a crash in the middle of an
 * append leaves them; they were never acknowledged) and keeps them aside as `<file>.torn-<ms>`.
 * Returns the number of bytes cut. For logs whose lines carry no seq (the dead letters).
 */
export function cutTornTail(path: string): number {
  const fd = openSync(path, "r+");
  try {
    const size = fstatSync(fd).size;
    const good = lastNewlineEnd(fd, size);
    if (good === size) return 0;
    cutAside(fd, path, good, size);
    return size - good;
  } finally {
    closeSync(fd);
  }
}

/**
 * The ids of the last `limit` events (only those with seq > `afterSeq`) as 4 words each, oldest
 * first, read backwards from the end without building a string per line: start-up cost depends on
 * the dedupe window, not on the journal's size.
 */
export function recentIds(dir: string, limit: number, afterSeq = 0): { words: Uint32Array; count: number } {
  if (limit <= 0) return { words: new Uint32Array(0), count: 0 };
  const words = new Uint32Array(limit * 4);
  let slot = limit; // filled from the end, newest last
  const segs = listSegments(dir);
  const CHUNK = 4 * 1024 * 1024;
  const nls: number[] = [];
  const scratch = Buffer.allocUnsafe(CHUNK + SEQ_ID_HEAD_BYTES); // one buffer for every chunk: no page faults per chunk
  let reachedOlder = false;
  for (let s = segs.length - 1; s >= 0 && slot > 0 && !reachedOlder; s--) {
    const fd = openSync(segs[s]!.path, "r");
    try {
      const size = fstatSync(fd).size;
      let end = size;
      while (end > 0 && slot > 0 && !reachedOlder) {
        const start = Math.max(0, end - CHUNK);
        // Newlines are searched in [start, end); the overlap past `end` holds the head of the line
        // that starts right at a chunk boundary.
        const buf = readRange(fd, start, Math.min(size, end + SEQ_ID_HEAD_BYTES), scratch);
        nls.length = 0;
        if (start === 0) nls.push(-1);
        for (let i = buf.indexOf(NL); i >= 0 && i < end - start; i = buf.indexOf(NL, i + 1)) nls.push(i);
        for (let k = nls.length - 1; k >= 0 && slot > 0; k--) {
          const p = nls[k]! + 1;
          if (start + p >= size) continue;
          const seq = seqIdAt(buf, p, words, (slot - 1) * 4);
          if (seq < 0) continue;
          if (seq <= afterSeq) {
            reachedOlder = true;
            break;
          }
          slot--;
        }
        end = start;
      }
    } finally {
      closeSync(fd);
    }
  }
  return { words: words.subarray(slot * 4), count: limit - slot };
}
