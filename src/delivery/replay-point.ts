// Where a replay by time starts: the first event received at or after the time. Segments are
// searched by their first line (receivedAt rises with seq, up to clock steps), then one is scanned.
import { listSegments } from "../journal/segments.ts";
import { readSegment } from "../journal/reader.ts";
import { readEnvelope } from "../journal/line.ts";

function firstTime(path: string): number | null {
  for (const l of readSegment({ firstSeq: 0, path })) {
    if (!l.complete) return null;
    const e = readEnvelope(l.text);
    return e ? Date.parse(e.receivedAt) : null;
  }
  return null;
}

/** The seq of the first event with receivedAt >= `timeMs`, or null when there is none. */
export function seqForTime(journalDir: string, timeMs: number): number | null {
  const segs = listSegments(journalDir);
  // The last segment that starts before the time holds the answer (or its successor does).
  let start = 0;
  for (let i = 0; i < segs.length; i++) {
    const t = firstTime(segs[i]!.path);
    if (t !== null && t < timeMs) start = i;
    else if (t !== null) break;
  }
  for (let i = start; i < segs.length; i++) {
    for (const l of readSegment(segs[i]!)) {
      if (!l.complete) break;
      const e = readEnvelope(l.text);
      if (e && Date.parse(e.receivedAt) >= timeMs) return e.seq;
    }
  }
  return null;
}
