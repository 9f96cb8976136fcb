// Segment count and bytes of a journal directory, read at scrape time: one readdir and a stat per
// segment (a few files at 128 MiB each), cheaper than tracking rolls and retention as they happen.
import { statSync } from "node:fs";
import { listSegments } from "../journal/segments.ts";

export interface DirUsage {
  segments: number;
  bytes: number;
}

export function dirUsage(dir: string): DirUsage {
  let segments = 0;
  let bytes = 0;
  for (const s of listSegments(dir)) {
    try {
      bytes += statSync(s.path).size;
      segments++;
    } catch {
      // removed by retention between the listing and the stat: it no longer counts
    }
  }
  return { segments, bytes };
}
