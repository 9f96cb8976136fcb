// GET /v1/stats: the ingest series plus the state read at request time (journal and quarantine
// sizes, the free space of data_dir's file system), as the dashboard's Ingest view shows them.
import { statfsSync } from "node:fs";
import { dirUsage } from "../metrics/disk.ts";
import type { IngestStatsRecorder } from "./ingest-stats.ts";
import type { StatsResponse } from "./schema.ts";

export interface StatsSources {
  recorder: IngestStatsRecorder;
  dataDir: string;
  journalDir: string;
  quarantineDir: string;
  headSeq: () => number;
  quarantineHeadSeq: () => number;
  now?: () => number;
}

function diskOf(path: string): StatsResponse["disk"] {
  try {
    const s = statfsSync(path);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/** A function answering the current stats; the process start is taken when it is made. */
export function statsReader(src: StatsSources): () => StatsResponse {
  const now = src.now ?? Date.now;
  const startedAt = now();
  return () => {
    const j = dirUsage(src.journalDir);
    return {
      nowMs: now(),
      uptimeSeconds: (now() - startedAt) / 1000,
      ingest: src.recorder.snapshot(),
      journal: { headSeq: src.headSeq(), bytes: j.bytes, segments: j.segments },
      quarantine: { headSeq: src.quarantineHeadSeq(), bytes: dirUsage(src.quarantineDir).bytes },
      disk: diskOf(src.dataDir),
    };
  };
}
