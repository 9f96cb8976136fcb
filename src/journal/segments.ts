// Segment files: "<first seq, 20 digits>.jsonl" in one directory. Names sort in seq order.
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

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
