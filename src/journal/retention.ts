// Journal retention (README "The journal"): a segment goes only when it is older than
// journal.retention_hours AND every target's cursor is past its last event. Never the newest
// segment (the writer's). A segment's age is its file's mtime, i.e. when its last event was
// written: a stat, no read; a copy restored with a fresh mtime is only kept longer, never removed
// early. Its last seq is the next segment's first seq minus one.
import { statSync, unlinkSync } from "node:fs";
import { fsyncDir } from "../io/files.ts";
import { listSegments, type SegmentInfo } from "./segments.ts";

export interface SegmentAge extends SegmentInfo {
  lastSeq: number;
  mtimeMs: number;
}

/** Which segments may go. `minCursor` is the lowest target cursor (Infinity with no targets). */
export function removableSegments(
  segs: readonly SegmentAge[],
  minCursor: number,
  retentionMs: number,
  now: number,
): SegmentAge[] {
  const out: SegmentAge[] = [];
  // segs are in seq order; stop at the first one that must stay, so no gap opens in the journal.
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i]!;
    if (now - s.mtimeMs < retentionMs || s.lastSeq > minCursor) break;
    out.push(s);
  }
  return out;
}

export function segmentAges(dir: string): SegmentAge[] {
  const segs = listSegments(dir);
  const out: SegmentAge[] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(s.path).mtimeMs;
    } catch {
      continue;
    }
    const next = segs[i + 1];
    out.push({ ...s, mtimeMs, lastSeq: next ? next.firstSeq - 1 : Infinity });
  }
  return out;
}

/** Removes what may go; returns the removed segments. */
export function applyRetention(dir: string, minCursor: number, retentionHours: number, now = Date.now()): SegmentAge[] {
  const gone = removableSegments(segmentAges(dir), minCursor, retentionHours * 3600_000, now);
  for (const s of gone) unlinkSync(s.path);
  if (gone.length) fsyncDir(dir);
  return gone;
}
