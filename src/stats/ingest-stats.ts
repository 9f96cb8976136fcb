// The last 15 minutes of the callback endpoint, second by second, for the dashboard's Ingest view
// (GET /v1/stats). `record` runs on every callback, so it only computes indexes and bumps counters
// in rings allocated up front; the arrays and percentiles are built when the admin API asks.
import { INGEST_OUTCOMES, type IngestReport } from "../callback/ingest.ts";
import { ErrorCodes } from "../callback/ack.ts";
import type { IngestStats, LatencySummary, Refusal } from "./schema.ts";
import { SecondRing } from "./second-ring.ts";

export const WINDOW_SECONDS = 900;

/** The HTTP statuses the endpoint answers with; anything else counts as "other". */
const STATUSES = [200, 400, 401, 403, 413, 422, 503] as const;
const OUTCOMES = INGEST_OUTCOMES;
const OUTCOME_BASE = STATUSES.length + 1;

/** Upper bounds of the latency buckets, ms (the last bucket is everything above). */
const LATENCY_BOUNDS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const REFUSAL_CODES: readonly number[] = Object.values(ErrorCodes).filter((c) => c !== 0);

function statusColumn(status: number): number {
  const i = (STATUSES as readonly number[]).indexOf(status);
  return i < 0 ? STATUSES.length : i;
}

function latencyBucket(ms: number): number {
  const b = LATENCY_BOUNDS_MS;
  for (let i = 0; i < b.length; i++) if (ms <= b[i]!) return i;
  return b.length;
}

/** A percentile from bucket counts, interpolated inside its bucket; null when there is no sample. */
export function percentileMs(buckets: ArrayLike<number>, p: number): number | null {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += buckets[i]!;
  if (total === 0) return null;
  const rank = p * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (n > 0 && seen + n >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      if (i >= LATENCY_BOUNDS_MS.length) return lo;
      const hi = LATENCY_BOUNDS_MS[i]!;
      return lo + ((hi - lo) * (rank - seen)) / n;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export class IngestStatsRecorder {
  private readonly answers = new SecondRing(WINDOW_SECONDS, OUTCOME_BASE + OUTCOMES.length);
  private readonly latency = new SecondRing(WINDOW_SECONDS, LATENCY_BOUNDS_MS.length + 1);
  private readonly refusals = new SecondRing(WINDOW_SECONDS, REFUSAL_CODES.length);
  private readonly codeColumn = new Map(REFUSAL_CODES.map((c, i) => [c, i]));
  /** The last answer of each refusal code: its text, status and time (kept, never copied). */
  private readonly lastReason: string[] = REFUSAL_CODES.map(() => "");
  private readonly lastStatus = new Uint16Array(REFUSAL_CODES.length);
  private readonly lastAt = new Float64Array(REFUSAL_CODES.length);

  constructor(private readonly now: () => number = Date.now) {}

  /** createApp's onReport, beside the Prometheus one: a few increments, no allocation. */
  readonly record = (r: IngestReport, ms: number): void => {
    const t = this.now();
    const s = Math.floor(t / 1000);
    const a = r.answer;
    this.answers.add(s, statusColumn(a.status));
    this.answers.add(s, OUTCOME_BASE + OUTCOMES.indexOf(r.outcome));
    this.latency.add(s, latencyBucket(ms));
    if (a.code === 0) return;
    const c = this.codeColumn.get(a.code);
    if (c === undefined) return;
    this.refusals.add(s, c);
    this.lastReason[c] = a.info;
    this.lastStatus[c] = a.status;
    this.lastAt[c] = t;
  };

  snapshot(): IngestStats {
    const head = this.answers.newest(Math.floor(this.now() / 1000));
    this.latency.advance(head);
    this.refusals.advance(head);
    const n = WINDOW_SECONDS;
    const byStatus: Record<string, number[]> = {};
    STATUSES.forEach((st, i) => {
      byStatus[String(st)] = this.answers.column(i);
    });
    byStatus.other = this.answers.column(STATUSES.length);
    const byOutcome: Record<string, number[]> = {};
    OUTCOMES.forEach((o, i) => {
      byOutcome[o] = this.answers.column(OUTCOME_BASE + i);
    });
    const requests = new Array<number>(n).fill(0);
    for (const col of Object.values(byStatus)) {
      for (let i = 0; i < n; i++) requests[i]! += col[i]!;
    }
    const p50Ms: (number | null)[] = new Array(n);
    const p99Ms: (number | null)[] = new Array(n);
    const buckets = new Uint32Array(LATENCY_BOUNDS_MS.length + 1);
    for (let i = 0; i < n; i++) {
      const s = head - n + 1 + i;
      for (let b = 0; b < buckets.length; b++) buckets[b] = this.latency.at(s, b);
      p50Ms[i] = percentileMs(buckets, 0.5);
      p99Ms[i] = percentileMs(buckets, 0.99);
    }
    return {
      seconds: n,
      fromMs: (head - n + 1) * 1000,
      requests,
      byStatus,
      byOutcome,
      p50Ms,
      p99Ms,
      last60s: this.summary(60),
      window: this.summary(n),
      refusals: this.refusalList(),
    };
  }

  private summary(span: number): LatencySummary {
    const buckets = this.latency.sums(span);
    return {
      count: buckets.reduce((a, b) => a + b, 0),
      p50Ms: percentileMs(buckets, 0.5),
      p99Ms: percentileMs(buckets, 0.99),
    };
  }

  private refusalList(): Refusal[] {
    const counts = this.refusals.sums(WINDOW_SECONDS);
    const out: Refusal[] = [];
    counts.forEach((count, i) => {
      if (count > 0)
        out.push({
          code: REFUSAL_CODES[i]!,
          status: this.lastStatus[i]!,
          reason: this.lastReason[i]!,
          count,
          lastAt: this.lastAt[i]!,
        });
    });
    return out.sort((a, b) => b.count - a.count || a.code - b.code);
  }
}
