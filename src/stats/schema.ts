// GET /v1/stats (the dashboard's Ingest view): the shape of the answer, the one source of its type.
// Per-second arrays run oldest first and all have `seconds` entries; the first is the second that
// starts at `fromMs`.
import { Type, type Static } from "@sinclair/typebox";

const Count = Type.Integer({ minimum: 0 });
const Millis = Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
  description: "milliseconds; null when no callback was answered",
});

export const LatencySummary = Type.Object({
  count: Count,
  p50Ms: Millis,
  p99Ms: Millis,
});

export const Refusal = Type.Object({
  code: Type.Integer({ description: "the ErrorCode of the answer" }),
  status: Type.Integer({ description: "the HTTP status of the last such answer" }),
  reason: Type.String({ description: "the ErrorInfo of the last such answer" }),
  count: Count,
  lastAt: Type.Number({ description: "ms since the epoch" }),
});

export const IngestStats = Type.Object({
  seconds: Count,
  fromMs: Type.Number(),
  requests: Type.Array(Count),
  byStatus: Type.Record(Type.String(), Type.Array(Count), { description: "HTTP status (or other) -> per second" }),
  byOutcome: Type.Record(Type.String(), Type.Array(Count)),
  p50Ms: Type.Array(Millis),
  p99Ms: Type.Array(Millis),
  last60s: LatencySummary,
  window: LatencySummary,
  refusals: Type.Array(Refusal, { description: "refusals in the window by ErrorCode, most frequent first" }),
});

export const StatsResponse = Type.Object({
  nowMs: Type.Number(),
  uptimeSeconds: Type.Number(),
  ingest: IngestStats,
  journal: Type.Object({ headSeq: Count, bytes: Count, segments: Count }),
  quarantine: Type.Object({ headSeq: Count, bytes: Count }),
  disk: Type.Union([Type.Object({ freeBytes: Count, totalBytes: Count }), Type.Null()], {
    description: "the file system of data_dir; null when it cannot be read",
  }),
});

export type LatencySummary = Static<typeof LatencySummary>;
export type Refusal = Static<typeof Refusal>;
export type IngestStats = Static<typeof IngestStats>;
export type StatsResponse = Static<typeof StatsResponse>;
