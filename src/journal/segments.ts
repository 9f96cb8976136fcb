// Segment files: "<first seq, 20 digits>.jsonl" in one directory. Names sort in seq order.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

export const SEGMENT_RE = /^(\d{20})\.jsonl$/;

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, "0")}.jsonl`;
}

export interface SegmentInfo {
  firstSeq: number;
  path: string;
}

export function listSegments(dir: string): SegmentInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .map((n) => SEGMENT_RE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ firstSeq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

/** The segment that holds `seq` (the last one whose first seq is <= seq), as an index into `segs`. */
export function segmentIndexFor(segs: SegmentInfo[], seq: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid]!.firstSeq <= seq) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Makes a created or removed directory entry durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` atomically: written to `path.tmp` (mode 0600), then renamed over it, so a crash
 * never leaves a torn file. `durable` also syncs the data and the rename (a cursor); without it a
 * crash may keep the old file (a dedupe snapshot, which only saves start-up time).
 */
export function replaceFileSync(path: string, data: string | Uint8Array, durable: boolean): void {
  const tmp = `${path}.tmp`;
  const buf = typeof data === "string" ? Buffer.from(data) : data;
  const fd = openSync(tmp, "w", 0o600);
  try {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (durable) fsyncDir(dirname(path));
}
