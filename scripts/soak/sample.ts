// What the soak samples: roomhook's RSS and CPU (/proc), the machine's CPU (/proc/stat), the
// journal's segments (data dir), the target (GET /v1/targets) and the metrics (GET /metrics); one
// Row per sample, appended to soak.csv as it is taken.
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Roomhook } from "./roomhook.ts";
import { CSV } from "./settings.ts";

export function rssKb(pid: number): number {
  try {
    const m = /\nVmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
export function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}
export const CLK_TCK = 100; // Linux USER_HZ
export function sysCpu(): { busy: number; steal: number; total: number } {
  const l = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = l.reduce((a, b) => a + b, 0);
  return { busy: total - (l[3] ?? 0) - (l[4] ?? 0), steal: l[7] ?? 0, total };
}
export interface Segs {
  names: string[];
  bytes: number;
}
export function segments(dir: string): Segs {
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => /^\d{20}\.jsonl$/.test(n))
      .sort();
  } catch {}
  let bytes = 0;
  for (const n of names) {
    try {
      bytes += statSync(join(dir, n)).size;
    } catch {}
  }
  return { names, bytes };
}
export type Series = { labels: Record<string, string>; value: number }[];
export async function scrape(admin: string): Promise<Map<string, Series>> {
  const text = await (await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const out = new Map<string, Series>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const s = out.get(m[1]!) ?? [];
    s.push({ labels, value: Number(m[3]) });
    out.set(m[1]!, s);
  }
  return out;
}
export const metricSum = (
  m: Map<string, Series>,
  name: string,
  f: (l: Record<string, string>) => boolean = () => true,
) => (m.get(name) ?? []).filter((s) => f(s.labels)).reduce((a, s) => a + s.value, 0);
export interface TargetStatus {
  name: string;
  state: string;
  cursor: number;
  lag: number;
  delivered: number;
  failedAttempts: number;
  deadLetters: number;
  inFlight: number;
}
export async function target(admin: string): Promise<{ headSeq: number; t: TargetStatus }> {
  const j = (await (await fetch(`${admin}/v1/targets`, { signal: AbortSignal.timeout(10_000) })).json()) as {
    headSeq: number;
    targets: TargetStatus[];
  };
  const t = j.targets.find((x) => x.name === "sink");
  if (!t) throw new Error("target sink missing from /v1/targets");
  return { headSeq: j.headSeq, t };
}

export interface Row {
  t_s: number;
  phase: string;
  target_rps: number;
  scheduled: number;
  sent: number;
  completed: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  svc_p99_ms: number;
  backlog: number;
  gen_stall_ms: number;
  fsync_mean_ms: number;
  batch_mean: number;
  rss_mib: number;
  heap_used_mib: number;
  cpu_pct: number;
  gen_cpu_pct: number;
  segments: number;
  journal_mib: number;
  head_seq: number;
  cursor: number;
  lag: number;
  delivered: number;
  delivered_rps: number;
  failed_attempts: number;
  dead_letters: number;
  target_state: string;
  segments_created: number;
  segments_removed: number;
}
export const COLS: (keyof Row)[] = [
  "t_s",
  "phase",
  "target_rps",
  "scheduled",
  "sent",
  "completed",
  "rps",
  "ok",
  "non2xx",
  "errors",
  "p50_ms",
  "p90_ms",
  "p99_ms",
  "max_ms",
  "svc_p99_ms",
  "backlog",
  "gen_stall_ms",
  "fsync_mean_ms",
  "batch_mean",
  "rss_mib",
  "heap_used_mib",
  "cpu_pct",
  "gen_cpu_pct",
  "segments",
  "journal_mib",
  "head_seq",
  "cursor",
  "lag",
  "delivered",
  "delivered_rps",
  "failed_attempts",
  "dead_letters",
  "target_state",
  "segments_created",
  "segments_removed",
];

/** Takes the samples of one soak run: each a Row, written to soak.csv at once. */
export class Sampler {
  readonly rows: Row[] = [];
  /** Every segment name seen so far (created = seen.size). */
  readonly seen = new Set<string>();
  /** The load generator's pid once it runs (its CPU is sampled too). */
  loaderPid = 0;
  prev: {
    t: number;
    delivered: number;
    ticks: number;
    genTicks: number;
    wall: number;
    fsyncSum: number;
    fsyncN: number;
    records: number;
  };
  readonly t0: number;

  constructor(
    private readonly rh: Roomhook,
    private readonly rate: number,
    private readonly jdir: string,
  ) {
    writeFileSync(CSV, `${COLS.join(",")}\n`);
    this.prev = {
      t: 0,
      delivered: 0,
      ticks: cpuTicks(rh.pid),
      genTicks: NaN,
      wall: performance.now(),
      fsyncSum: 0,
      fsyncN: 0,
      records: 0,
    };
    this.t0 = performance.now();
  }

  async sample(phase: string, w: Partial<Row>): Promise<Row> {
    const { rh, rate, jdir, seen, prev } = this;
    const loaderPid = this.loaderPid;
    const now = performance.now();
    const [tg, mx] = await Promise.all([target(rh.admin), scrape(rh.admin)]);
    const segs = segments(jdir);
    for (const n of segs.names) seen.add(n);
    const ticks = cpuTicks(rh.pid);
    const genTicks = loaderPid ? cpuTicks(loaderPid) : NaN;
    const t = (now - this.t0) / 1000;
    const fsyncSum = metricSum(mx, "roomhook_journal_fsync_seconds_sum");
    const fsyncN = metricSum(mx, "roomhook_journal_fsync_seconds_count");
    const records = metricSum(mx, "roomhook_journal_batch_records_sum");
    const row: Row = {
      t_s: +t.toFixed(2),
      phase,
      target_rps: phase === "load" ? rate : 0,
      scheduled: 0,
      sent: 0,
      completed: 0,
      rps: 0,
      ok: 0,
      non2xx: 0,
      errors: 0,
      p50_ms: NaN,
      p90_ms: NaN,
      p99_ms: NaN,
      max_ms: NaN,
      svc_p99_ms: NaN,
      backlog: 0,
      gen_stall_ms: NaN,
      ...w,
      fsync_mean_ms:
        fsyncN > prev.fsyncN ? +((1000 * (fsyncSum - prev.fsyncSum)) / (fsyncN - prev.fsyncN)).toFixed(2) : NaN,
      batch_mean: fsyncN > prev.fsyncN ? +((records - prev.records) / (fsyncN - prev.fsyncN)).toFixed(1) : NaN,
      rss_mib: +(rssKb(rh.pid) / 1024).toFixed(1),
      heap_used_mib: +(metricSum(mx, "roomhook_process_heap_used_bytes") / 1048576).toFixed(1),
      cpu_pct:
        now - prev.wall > 500 ? +((100 * (ticks - prev.ticks)) / CLK_TCK / ((now - prev.wall) / 1000)).toFixed(0) : NaN,
      gen_cpu_pct:
        now - prev.wall > 500
          ? +((100 * (genTicks - prev.genTicks)) / CLK_TCK / ((now - prev.wall) / 1000)).toFixed(0)
          : NaN,
      segments: segs.names.length,
      journal_mib: +(segs.bytes / 1048576).toFixed(1),
      head_seq: tg.headSeq,
      cursor: tg.t.cursor,
      lag: tg.t.lag,
      delivered: tg.t.delivered,
      delivered_rps: +((tg.t.delivered - prev.delivered) / Math.max(0.001, t - prev.t)).toFixed(0),
      failed_attempts: tg.t.failedAttempts,
      dead_letters: tg.t.deadLetters,
      target_state: tg.t.state,
      segments_created: seen.size,
      segments_removed: seen.size - segs.names.length,
    };
    this.prev = { t, delivered: tg.t.delivered, ticks, genTicks, wall: now, fsyncSum, fsyncN, records };
    this.rows.push(row);
    appendFileSync(
      CSV,
      `${COLS.map((c) => (typeof row[c] === "number" && !Number.isFinite(row[c] as number) ? "" : String(row[c]))).join(
        ",",
      )}\n`,
    );
    return row;
  }
}
