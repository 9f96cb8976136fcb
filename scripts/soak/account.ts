// The soak's accounting after the stop, from what roomhook left: its log (retention passes, warn
// and error lines) and its data dir (the journal segments left, the quarantine).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { segments } from "./sample.ts";
import { ID_CHECK_MAX } from "./verdict.ts";

/** Exact removals from roomhook's own log ("journal retention: removed old segments"). */
export function retentionFromLog(logFile: string): {
  removedByLog: number;
  retentionPasses: number;
  problems: string[];
} {
  const logLines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  let removedByLog = 0;
  let retentionPasses = 0;
  const problems: string[] = [];
  for (const l of logLines) {
    try {
      const j = JSON.parse(l) as { level: number; msg: string; segments?: string[] };
      if (j.msg?.startsWith("journal retention: removed")) {
        removedByLog += j.segments?.length ?? 0;
        retentionPasses++;
      } else if (j.level >= 40) problems.push(l.slice(0, 300));
    } catch {
      problems.push(l.slice(0, 300));
    }
  }
  return { removedByLog, retentionPasses, problems };
}

/**
 * Lines and distinct ids in the segments left; the seq of the last line = head seq on disk. (Distinct
 * ids are counted up to ID_CHECK_MAX lines, to keep this process's memory bounded when a backlog kept
 * millions of events.)
 */
export function journalOnDisk(
  jdir: string,
  names: string[],
): { eventsRemoved: number; linesLeft: number; lastSeq: number; distinctIds: number } {
  const firstSeqLeft = names.length ? Number(names[0]!.slice(0, 20)) : NaN;
  const eventsRemoved = firstSeqLeft - 1;
  let linesLeft = 0;
  let lastSeq = 0;
  const ids = new Set<string>();
  for (const n of names) {
    const text = readFileSync(join(jdir, n), "utf8");
    for (const l of text.split("\n")) {
      if (!l) continue;
      linesLeft++;
      const m = /^\{"seq":(\d+),"id":"([^"]+)"/.exec(l);
      if (m) {
        lastSeq = Number(m[1]);
        if (linesLeft <= ID_CHECK_MAX) ids.add(m[2]!);
      }
    }
  }
  return { eventsRemoved, linesLeft, lastSeq, distinctIds: ids.size };
}

export function quarantineLines(dataDir: string): number {
  let n = 0;
  for (const name of segments(join(dataDir, "quarantine")).names)
    n += readFileSync(join(dataDir, "quarantine", name), "utf8")
      .split("\n")
      .filter(Boolean).length;
  return n;
}
