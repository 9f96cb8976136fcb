// roomhook's metrics (README "## Metrics" lists them): the hot-path hooks (every callback, every
// journal commit, every delivery attempt) only bump numbers on series looked up once; everything
// that is a state rather than an event (sizes, lag, memory) is read when Prometheus scrapes.
import { INGEST_OUTCOMES, type IngestOutcome, type IngestReport } from "../callback/ingest.ts";
import { isKnownCommand } from "../callback/schemas.ts";
import type { DeliveryCounts } from "../delivery/delivery-counts.ts";
import type { DeliveryObserver, TargetState, TargetStatus } from "../delivery/worker.ts";
import { dirUsage } from "./disk.ts";
import type { Counter, CounterChild, Histogram, HistogramChild, Registry } from "./registry.ts";

/** Seconds; from a fast rejection (~50 us) to a disk in trouble. */
const ACK_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Records per committed batch: powers of two up to a burst's worth. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

const OUTCOMES = INGEST_OUTCOMES;
const TARGET_STATES: readonly TargetState[] = ["running", "paused", "open-circuit", "half-open", "stopped"];

/** What is read at scrape time; set once the journal and the fan-out exist. */
export interface MetricSources {
  journalDir: string;
  quarantineDir: string;
  headSeq: () => number;
  quarantineHeadSeq: () => number;
  journalWritable: () => boolean;
  targets: () => readonly TargetStatus[];
  /** Deliveries/s the fan-out allows itself while the ingest waits for a core; Infinity: no cap. */
  deliveryRateCap?: () => number;
}

/**
 * The command label: a known command's canonical name, "other" for any other name and "none" when
 * there is none (refused before the body was read). Bounded, so a sender cannot mint series.
 */
export function commandLabel(command: string | undefined): string {
  if (command === undefined || command === "") return "none";
  return isKnownCommand(command) ? command : "other";
}

/** A failed delivery attempt's class: bounded, for the failures counter's label. */
export function failureClass(status: number | null, error: string): string {
  if (status === null) return error.startsWith("timeout") ? "timeout" : "network";
  if (status === 408 || status === 410 || status === 429) return `http_${status}`;
  if (status >= 300 && status < 400) return "http_3xx";
  if (status >= 400 && status < 500) return "http_4xx";
  if (status >= 500 && status < 600) return "http_5xx";
  return "other";
}

interface TargetSeries {
  deliveries: CounterChild;
  deadLettered: CounterChild;
  failures: Map<string, CounterChild>;
}

export class RoomhookMetrics {
  private readonly requests: Counter;
  private readonly ackSeconds: Histogram;
  private readonly duplicates: CounterChild;
  private readonly quarantined: CounterChild;
  private readonly syncSeconds: HistogramChild;
  private readonly batchRecords: HistogramChild;
  private readonly bytesWritten: CounterChild;
  private readonly deliveries: Counter;
  private readonly failures: Counter;
  private readonly deadLettered: Counter;

  /** command label -> outcome -> series; filled on first use, then only looked up. */
  private readonly requestSeries = new Map<string, Map<IngestOutcome, CounterChild>>();
  private readonly ackSeries = new Map<IngestOutcome, HistogramChild>();
  private readonly targetSeries = new Map<string, TargetSeries>();
  private sources: MetricSources | null = null;

  constructor(
    readonly registry: Registry,
    build: { version: string },
    now: () => number = Date.now,
  ) {
    const r = registry;
    const p = "roomhook_";
    this.requests = r.counter(`${p}callback_requests_total`, "Callback requests answered, by command and outcome.", [
      "command",
      "outcome",
    ]);
    this.ackSeconds = r.histogram(
      `${p}callback_ack_seconds`,
      "Time from a callback's arrival to its answer, by outcome.",
      ACK_BUCKETS,
      ["outcome"],
    );
    for (const o of OUTCOMES) this.ackSeries.set(o, this.ackSeconds.labels(o));
    this.duplicates = r
      .counter(
        `${p}callback_duplicates_total`,
        "Callbacks answered 200 without storing: a repeat of an event in the dedupe window.",
      )
      .labels();
    this.quarantined = r
      .counter(
        `${p}callback_quarantined_total`,
        "Authenticated callbacks that failed validation, kept in the quarantine.",
      )
      .labels();

    this.syncSeconds = r
      .histogram(`${p}journal_fsync_seconds`, "Write plus fdatasync of one committed journal batch.", SYNC_BUCKETS)
      .labels();
    this.batchRecords = r
      .histogram(`${p}journal_batch_records`, "Events per committed journal batch (group commit).", BATCH_BUCKETS)
      .labels();
    this.bytesWritten = r.counter(`${p}journal_written_bytes_total`, "Bytes committed to the journal.").labels();
    this.deliveries = r.counter(`${p}target_deliveries_total`, "Events delivered (answered 2xx) to a target.", [
      "target",
    ]);
    this.failures = r.counter(`${p}target_failures_total`, "Failed delivery attempts to a target, by class.", [
      "target",
      "class",
    ]);
    this.deadLettered = r.counter(`${p}target_dead_lettered_total`, "Events moved to a target's dead letters.", [
      "target",
    ]);
    const readProcess = processGauges(r, build.version, now);
    const readJournal = journalGauges(r);
    const readTargets = targetGauges(r);
    const rateCap = r.gauge(
      `${p}fanout_rate_cap`,
      "Deliveries/s the fan-out allows itself while the ingest thread waits for a core; +Inf when uncapped.",
    );
    r.onCollect(() => {
      readProcess();
      const s = this.sources;
      if (!s) return;
      readJournal(s);
      readTargets(s.targets(), (name) => this.target(name));
      rateCap.set(s.deliveryRateCap?.() ?? Infinity);
    });
  }

  /** Starts the scrape-time readings (the journal and the fan-out are open now). */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** createApp's onReport: every callback, with its outcome and the milliseconds it took. */
  readonly onReport = (r: IngestReport, ms: number): void => {
    const label = commandLabel(r.command);
    let byOutcome = this.requestSeries.get(label);
    if (!byOutcome) {
      byOutcome = new Map();
      this.requestSeries.set(label, byOutcome);
    }
    let c = byOutcome.get(r.outcome);
    if (!c) {
      c = this.requests.labels(label, r.outcome);
      byOutcome.set(r.outcome, c);
    }
    c.inc();
    this.ackSeries.get(r.outcome)?.observe(ms / 1000);
    if (r.outcome === "duplicate") this.duplicates.inc();
    else if (r.outcome === "quarantined") this.quarantined.inc();
  };

  /** The journal writer's onCommit. */
  readonly journalCommitted = (c: { records: number; bytes: number; syncMs: number }): void => {
    this.syncSeconds.observe(c.syncMs / 1000);
    this.batchRecords.observe(c.records);
    this.bytesWritten.inc(c.bytes);
  };

  private target(name: string): TargetSeries {
    let t = this.targetSeries.get(name);
    if (!t) {
      t = {
        deliveries: this.deliveries.labels(name),
        deadLettered: this.deadLettered.labels(name),
        failures: new Map(),
      };
      this.targetSeries.set(name, t);
    }
    return t;
  }

  /** Counts from the fan-out thread (delivery-counts.ts), in batches. */
  addDeliveryCounts(counts: DeliveryCounts): void {
    for (const [name, c] of Object.entries(counts)) {
      const t = this.target(name);
      if (c.delivered) t.deliveries.inc(c.delivered);
      if (c.deadLettered) t.deadLettered.inc(c.deadLettered);
      for (const [cls, n] of Object.entries(c.failures)) this.failureSeries(t, name, cls).inc(n);
    }
  }

  private failureSeries(t: TargetSeries, target: string, cls: string): CounterChild {
    let c = t.failures.get(cls);
    if (!c) {
      c = this.failures.labels(target, cls);
      t.failures.set(cls, c);
    }
    return c;
  }

  /** The fan-out workers' observer. Counters live here, so they survive a target's restart on reload. */
  readonly delivery: DeliveryObserver = {
    delivered: (target) => this.target(target).deliveries.inc(),
    failed: (target, status, error) =>
      this.failureSeries(this.target(target), target, failureClass(status, error)).inc(),
    deadLettered: (target) => this.target(target).deadLettered.inc(),
  };
}

/** Gauges read at scrape time, each group with the function that reads it. */
function processGauges(r: Registry, version: string, now: () => number): () => void {
  const p = "roomhook_";
  const rss = r.gauge(`${p}process_resident_memory_bytes`, "Resident set size of the process.");
  const heapUsed = r.gauge(`${p}process_heap_used_bytes`, "JavaScript heap in use.");
  const heapTotal = r.gauge(`${p}process_heap_total_bytes`, "JavaScript heap reserved.");
  const startedAt = now();
  r.gauge(`${p}process_start_time_seconds`, "When the process started, Unix seconds.").set(startedAt / 1000);
  const uptime = r.gauge(`${p}uptime_seconds`, "Seconds since the process started.");
  r.gauge(`${p}build_info`, "Always 1; the labels say which build runs.", ["version", "bun"])
    .labels(version, Bun.version)
    .set(1);
  return () => {
    const m = process.memoryUsage();
    rss.set(m.rss);
    heapUsed.set(m.heapUsed);
    heapTotal.set(m.heapTotal);
    uptime.set((now() - startedAt) / 1000);
  };
}

function journalGauges(r: Registry): (s: MetricSources) => void {
  const p = "roomhook_";
  const segments = r.gauge(`${p}journal_segments`, "Segment files in the journal directory.");
  const diskBytes = r.gauge(`${p}journal_disk_bytes`, "Bytes of all journal segment files on disk.");
  const headSeq = r.gauge(`${p}journal_head_seq`, "Seq of the last durable (acknowledged) journal event.");
  const writable = r.gauge(`${p}journal_writable`, "1 while the journal takes writes, 0 while it answers 503.");
  const qBytes = r.gauge(`${p}quarantine_disk_bytes`, "Bytes of all quarantine segment files on disk.");
  const qHead = r.gauge(`${p}quarantine_head_seq`, "Seq of the last quarantined callback.");
  return (s) => {
    const j = dirUsage(s.journalDir);
    segments.set(j.segments);
    diskBytes.set(j.bytes);
    qBytes.set(dirUsage(s.quarantineDir).bytes);
    headSeq.set(s.headSeq());
    qHead.set(s.quarantineHeadSeq());
    writable.set(s.journalWritable() ? 1 : 0);
  };
}

/** `touch` makes a target's counters exist (at 0) before its first delivery. */
function targetGauges(r: Registry): (targets: readonly TargetStatus[], touch: (name: string) => void) => void {
  const p = "roomhook_";
  const deadLetters = r.gauge(`${p}target_dead_letters`, "Entries in a target's dead-letter file now.", ["target"]);
  const lag = r.gauge(`${p}target_lag_events`, "Events between a target's cursor and the journal's head.", ["target"]);
  const inFlight = r.gauge(`${p}target_in_flight`, "Delivery requests to a target in flight.", ["target"]);
  const cursor = r.gauge(
    `${p}target_cursor_seq`,
    "A target's cursor: every event up to it is delivered or dead-lettered.",
    ["target"],
  );
  const state = r.gauge(`${p}target_state`, "1 for the target's current state, 0 for the others.", ["target", "state"]);
  return (targets, touch) => {
    // Recomputed from scratch: a target removed by a reload leaves these gauges.
    for (const g of [deadLetters, lag, inFlight, cursor, state]) g.clear();
    for (const t of targets) {
      touch(t.name);
      deadLetters.labels(t.name).set(t.deadLetters);
      lag.labels(t.name).set(t.lag);
      inFlight.labels(t.name).set(t.inFlight);
      cursor.labels(t.name).set(t.cursor);
      for (const st of TARGET_STATES) state.labels(t.name, st).set(st === t.state ? 1 : 0);
    }
  };
}
