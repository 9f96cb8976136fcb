// scripts/soak/soak: sustained-load soak of dist/roomhook (issue 5, item 5). Run it through scripts/soak/soak,
// which installs the prerequisites and bounds the whole run; settings are env vars (see there).
//
//   1. A constant sink (scripts/bench/constant-server.ts) for one target.
//   2. Unless RATE is given: a PROBE_SECONDS wrk probe (scripts/bench/post.lua, -c CONNECTIONS) of a
//      throwaway roomhook with the soak's config; RATE = RATE_FRACTION x its req/s.
//   3. A fresh roomhook: fsync durability, segment_bytes SEGMENT_BYTES, retention_hours
//      RETENTION_HOURS, one target -> the sink. scripts/soak/load.ts drives RATE req/s of unique
//      callbacks for DURATION s (open model, latency from the intended send time); every SAMPLE s:
//      achieved req/s, p50/p99, roomhook RSS (/proc), segments and bytes (data dir), head seq, the
//      target's lag and deliveries (GET /v1/targets), heap (GET /metrics).
//   4. Drain: sampling (every second) goes on until the target's lag is 0 (at most DRAIN_MAX s),
//      then, when retention is under a minute, until roomhook's next retention pass removes what the
//      catch-up freed (it runs once a minute; at most 65 s).
//   5. SIGTERM (expects exit 0), `roomhook verify`, journal accounting; CSV, PNG (gnuplot), verdict.
//
// Files in OUT: soak.csv, soak.png (or PLOT), summary.json, verdict.txt, soak.gp, roomhook.log,
// loader.jsonl, verify.out, roomhook.toml; data/ (removed after a PASS unless KEEP_DATA=1).
// Exit: 0 every verdict line passes; 1 a verdict line fails; 3 setup problem.

import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../test/support/harness.ts";

const ROOT = resolve(import.meta.dir, "../..");
const env = process.env;
const num = (k: string, d: number): number => {
  const v = env[k];
  if (v === undefined || v === "") return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) setupFail(`${k} must be a non-negative number (got '${v}')`);
  return n;
};
function setupFail(msg: string): never {
  console.error(`soak: ${msg}`);
  cleanup();
  process.exit(3);
}

const BIN = resolve(env.ROOMHOOK ?? join(ROOT, "dist/roomhook"));
const DURATION = num("DURATION", 600);
const SAMPLE = num("SAMPLE", 5);
const RATE_ENV = num("RATE", 0);
const RATE_FRACTION = num("RATE_FRACTION", 0.6);
const PROBE_SECONDS = num("PROBE_SECONDS", 5);
const CONNECTIONS = num("CONNECTIONS", 64);
const ROOMS = num("ROOMS", 1000);
const SEGMENT_BYTES = num("SEGMENT_BYTES", 8 << 20);
const RETENTION_HOURS = num("RETENTION_HOURS", 0.01);
const MAX_IN_FLIGHT = num("MAX_IN_FLIGHT", 64);
const DRAIN_MAX = num("DRAIN_MAX", 600);
const KEEP_DATA = env.KEEP_DATA === "1";
const PIN = env.PIN === "1";
const OUT = resolve(env.OUT || mkdtempSync(join(env.TMPDIR || tmpdir(), "roomhook-soak-")));
const PLOT = resolve(env.PLOT || join(OUT, "soak.png"));
const APP = 1400000000;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const QUERY = `SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
if (DURATION < 3 * SAMPLE) setupFail(`DURATION (${DURATION}) must be at least 3 x SAMPLE (${SAMPLE})`);
if (SAMPLE < 1) setupFail("SAMPLE must be at least 1 s");

mkdirSync(OUT, { recursive: true });
const DATA = join(OUT, "data");
if (existsSync(DATA)) setupFail(`${DATA} exists: give an OUT without a previous run's data`);
const log = (m: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

// ------------------------------------------------------------------ processes (stopped by pid)
const children = new Set<Subprocess>();
function spawn(cmd: string[], maxS: number, opts: { stdout?: "pipe" | number; stderr?: "pipe" | number; cpu?: string } = {}): Subprocess {
  const pin = PIN && opts.cpu ? ["taskset", "-c", opts.cpu] : [];
  // `timeout` bounds every child even if this script is killed; it passes SIGTERM on.
  const p = Bun.spawn(["timeout", "-k", "5", String(Math.ceil(maxS)), ...pin, ...cmd], {
    stdout: opts.stdout ?? "ignore",
    stderr: opts.stderr ?? "ignore",
    stdin: "ignore",
  });
  children.add(p);
  void p.exited.then(() => children.delete(p));
  return p;
}
async function stop(p: Subprocess, graceMs = 20_000): Promise<number> {
  if (p.exitCode === null) p.kill("SIGTERM");
  await Promise.race([p.exited, Bun.sleep(graceMs)]);
  if (p.exitCode === null) p.kill("SIGKILL");
  return await p.exited;
}
function cleanup() {
  for (const p of children) if (p.exitCode === null) p.kill("SIGTERM");
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
process.on("SIGTERM", () => {
  cleanup();
  process.exit(143);
});

/** The pid of the program `timeout` runs (its only child): the process to read /proc of. */
async function childPid(p: Subprocess): Promise<number> {
  for (let i = 0; i < 100; i++) {
    try {
      const kids = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      const pid = Number(kids[0]); // taskset (PIN=1) execs the program in place: same pid
      if (pid) return pid;
    } catch {}
    await Bun.sleep(20);
  }
  throw new Error(`no child of pid ${p.pid}`);
}

async function waitHttp(url: string, p: Subprocess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (p.exitCode !== null) throw new Error(`${what} exited (${p.exitCode}) during start-up`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${what}: ${url} never answered`);
}

// ------------------------------------------------------------------ roomhook
function config(dataDir: string, port: number, adminPort: number, sinkUrl: string): string {
  return `data_dir = "${dataDir}"

[server]
listen = "127.0.0.1:${port}"

[[apps]]
sdk_app_id = ${APP}

[journal]
durability = "fsync"
segment_bytes = ${SEGMENT_BYTES}
retention_hours = ${RETENTION_HOURS}

[dedupe]
window = 100000

[admin]
listen = "127.0.0.1:${adminPort}"

[log]
level = "info"

[[targets]]
name = "sink"
url = "${sinkUrl}"
secret = "${SECRET}"
max_in_flight = ${MAX_IN_FLIGHT}
timeout_ms = 5000
`;
}
interface Roomhook {
  proc: Subprocess;
  pid: number;
  port: number;
  url: string;
  admin: string;
  logFile: string;
}
async function startRoomhook(dataDir: string, name: string, sinkUrl: string, maxS: number): Promise<Roomhook> {
  const port = freePort();
  const adminPort = freePort();
  const cfg = join(OUT, `${name}.toml`);
  writeFileSync(cfg, config(dataDir, port, adminPort, sinkUrl));
  const logFile = join(OUT, `${name}.log`);
  const out = openSync(logFile, "a");
  const proc = spawn([BIN, "serve", "--config", cfg], maxS, { stdout: out, stderr: out, cpu: "1" });
  closeSync(out);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, proc, name);
  const pid = await childPid(proc);
  return { proc, pid, port, url: `http://127.0.0.1:${port}/callback?${QUERY}`, admin: `http://127.0.0.1:${adminPort}`, logFile };
}

/** The soak's roomhook, once started (for the report when it dies under load). */
const running: { soak: Roomhook | null } = { soak: null };

// ------------------------------------------------------------------ samplers
function rssKb(pid: number): number {
  try {
    const m = /\nVmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}
const CLK_TCK = 100; // Linux USER_HZ
function sysCpu(): { busy: number; steal: number; total: number } {
  const l = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = l.reduce((a, b) => a + b, 0);
  return { busy: total - (l[3] ?? 0) - (l[4] ?? 0), steal: l[7] ?? 0, total };
}
interface Segs {
  names: string[];
  bytes: number;
}
function segments(dir: string): Segs {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^\d{20}\.jsonl$/.test(n)).sort();
  } catch {}
  let bytes = 0;
  for (const n of names) {
    try {
      bytes += statSync(join(dir, n)).size;
    } catch {}
  }
  return { names, bytes };
}
type Series = { labels: Record<string, string>; value: number }[];
async function scrape(admin: string): Promise<Map<string, Series>> {
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
const metricSum = (m: Map<string, Series>, name: string, f: (l: Record<string, string>) => boolean = () => true) =>
  (m.get(name) ?? []).filter((s) => f(s.labels)).reduce((a, s) => a + s.value, 0);
interface TargetStatus {
  name: string;
  state: string;
  cursor: number;
  lag: number;
  delivered: number;
  failedAttempts: number;
  deadLetters: number;
  inFlight: number;
}
async function target(admin: string): Promise<{ headSeq: number; t: TargetStatus }> {
  const j = (await (await fetch(`${admin}/v1/targets`, { signal: AbortSignal.timeout(10_000) })).json()) as { headSeq: number; targets: TargetStatus[] };
  const t = j.targets.find((x) => x.name === "sink");
  if (!t) throw new Error("target sink missing from /v1/targets");
  return { headSeq: j.headSeq, t };
}

// ------------------------------------------------------------------ statistics
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx ? sxy / sxx : 0;
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");

// ------------------------------------------------------------------ main
interface Row {
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
const COLS: (keyof Row)[] = [
  "t_s", "phase", "target_rps", "scheduled", "sent", "completed", "rps", "ok", "non2xx", "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms",
  "svc_p99_ms", "backlog", "gen_stall_ms", "fsync_mean_ms", "batch_mean", "rss_mib", "heap_used_mib", "cpu_pct", "gen_cpu_pct", "segments", "journal_mib", "head_seq", "cursor", "lag", "delivered",
  "delivered_rps", "failed_attempts", "dead_letters", "target_state", "segments_created", "segments_removed",
];
const CSV = join(OUT, "soak.csv");

async function main(): Promise<number> {
  if (!existsSync(BIN)) setupFail(`${BIN} does not exist: npm run build`);
  let fstype = "?";
  try {
    fstype = (await Bun.$`df -PT ${OUT}`.quiet().text()).split("\n")[1]?.split(/\s+/)[1] ?? "?";
  } catch {}
  if (fstype === "tmpfs" || fstype === "ramfs") log(`WARNING: ${OUT} is on ${fstype}: fdatasync is free there`);
  const version = (await Bun.$`${BIN} --version`.quiet().nothrow().text()).trim();
  const bound = DURATION + DRAIN_MAX + 65 + PROBE_SECONDS + 180;

  // 1. the sink
  const sinkPort = freePort();
  const sink = spawn([process.execPath, join(ROOT, "scripts/bench/constant-server.ts"), String(sinkPort), String(bound)], bound + 10, { cpu: "0" });
  const sinkUrl = `http://127.0.0.1:${sinkPort}/hook`;
  await waitHttp(sinkUrl, sink, "sink");

  // 2. the probe
  let rate = RATE_ENV;
  let probe: { rps: number; p99_ms: number; non2xx: number } | null = null;
  if (!rate) {
    const pdata = join(OUT, "probe-data");
    const rh = await startRoomhook(pdata, "probe", sinkUrl, PROBE_SECONDS + 120);
    const wrk = (secs: number) =>
      Bun.$`timeout -k 5 ${secs + 15} ${PIN ? ["taskset", "-c", "0"] : []} wrk -t1 -c${CONNECTIONS} -d${secs}s --timeout 2s --latency -s ${join(ROOT, "scripts/bench/post.lua")} ${rh.url}`
        .env({ ...env, BENCH_ROOMS: String(ROOMS) })
        .quiet()
        .nothrow()
        .text();
    await wrk(1); // warm-up
    const out = await wrk(PROBE_SECONDS);
    const rc = await stop(rh.proc);
    const m = /WRK_RESULT .*?rps=([\d.]+).*?p99_ms=([\d.]+).*?non2xx=(\d+) connect_err=(\d+) read_err=(\d+) write_err=(\d+) timeout_err=(\d+)/.exec(out);
    if (!m) setupFail(`the wrk probe gave no result:\n${out}`);
    probe = { rps: Number(m[1]), p99_ms: Number(m[2]), non2xx: Number(m[3]) + Number(m[4]) + Number(m[5]) + Number(m[6]) + Number(m[7]) };
    if (probe.non2xx) setupFail(`the wrk probe saw ${probe.non2xx} non-2xx answers or socket errors:\n${out}`);
    if (rc !== 0) log(`probe roomhook exited ${rc} after SIGTERM`);
    rmSync(pdata, { recursive: true, force: true });
    rate = Math.max(1, Math.floor(probe.rps * RATE_FRACTION));
    log(`probe: ${probe.rps.toFixed(0)} req/s max (wrk -c${CONNECTIONS}, ${PROBE_SECONDS} s, p99 ${probe.p99_ms} ms) -> soak rate ${rate} req/s (${RATE_FRACTION} x)`);
  }

  // 3. the soak
  const rh = await startRoomhook(DATA, "roomhook", sinkUrl, bound);
  running.soak = rh;
  const jdir = join(DATA, "journal");
  log(`roomhook ${version} pid ${rh.pid} on ${rh.url.split("/callback")[0]}, admin ${rh.admin}; data ${DATA} (${fstype})`);
  log(`soak: ${rate} req/s for ${DURATION} s, ${CONNECTIONS} connections, ${ROOMS} rooms; segment_bytes ${SEGMENT_BYTES}, retention_hours ${RETENTION_HOURS}; sample every ${SAMPLE} s`);
  writeFileSync(CSV, COLS.join(",") + "\n");
  const rows: Row[] = [];
  const seen = new Set<string>();
  let prev = { t: 0, delivered: 0, ticks: cpuTicks(rh.pid), genTicks: NaN, wall: performance.now(), fsyncSum: 0, fsyncN: 0, records: 0 };
  let loaderPid = 0;
  const t0 = performance.now();
  const sample = async (phase: string, w: Partial<Row>): Promise<Row> => {
    const now = performance.now();
    const [tg, mx] = await Promise.all([target(rh.admin), scrape(rh.admin)]);
    const segs = segments(jdir);
    for (const n of segs.names) seen.add(n);
    const ticks = cpuTicks(rh.pid);
    const genTicks = loaderPid ? cpuTicks(loaderPid) : NaN;
    const t = (now - t0) / 1000;
    const fsyncSum = metricSum(mx, "roomhook_journal_fsync_seconds_sum");
    const fsyncN = metricSum(mx, "roomhook_journal_fsync_seconds_count");
    const records = metricSum(mx, "roomhook_journal_batch_records_sum");
    const row: Row = {
      t_s: +t.toFixed(2),
      phase,
      target_rps: phase === "load" ? rate : 0,
      scheduled: 0, sent: 0, completed: 0, rps: 0, ok: 0, non2xx: 0, errors: 0,
      p50_ms: NaN, p90_ms: NaN, p99_ms: NaN, max_ms: NaN, svc_p99_ms: NaN, backlog: 0, gen_stall_ms: NaN,
      ...w,
      fsync_mean_ms: fsyncN > prev.fsyncN ? +((1000 * (fsyncSum - prev.fsyncSum)) / (fsyncN - prev.fsyncN)).toFixed(2) : NaN,
      batch_mean: fsyncN > prev.fsyncN ? +((records - prev.records) / (fsyncN - prev.fsyncN)).toFixed(1) : NaN,
      rss_mib: +(rssKb(rh.pid) / 1024).toFixed(1),
      heap_used_mib: +(metricSum(mx, "roomhook_process_heap_used_bytes") / 1048576).toFixed(1),
      cpu_pct: now - prev.wall > 500 ? +((100 * (ticks - prev.ticks)) / CLK_TCK / ((now - prev.wall) / 1000)).toFixed(0) : NaN,
      gen_cpu_pct: now - prev.wall > 500 ? +((100 * (genTicks - prev.genTicks)) / CLK_TCK / ((now - prev.wall) / 1000)).toFixed(0) : NaN,
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
    prev = { t, delivered: tg.t.delivered, ticks, genTicks, wall: now, fsyncSum, fsyncN, records };
    rows.push(row);
    appendFileSync(CSV, COLS.map((c) => (typeof row[c] === "number" && !Number.isFinite(row[c] as number) ? "" : String(row[c]))).join(",") + "\n");
    return row;
  };
  await sample("idle", {});
  const sys0 = sysCpu();
  const sinkPid = await childPid(sink).catch(() => 0);
  const own0 = cpuTicks(rh.pid) + cpuTicks(sinkPid); // the loader starts at ~0
  const loader = spawn(
    [process.execPath, join(ROOT, "scripts/soak/load.ts"), "--url", rh.url, "--rate", String(rate), "--duration", String(DURATION), "--connections", String(CONNECTIONS), "--sample", String(SAMPLE), "--rooms", String(ROOMS)],
    DURATION + 60,
    { stdout: "pipe", stderr: "pipe", cpu: "0" },
  );
  const loaderErr = new Response(loader.stderr as ReadableStream).text();
  loaderPid = await childPid(loader).catch(() => 0);
  prev.genTicks = loaderPid ? cpuTicks(loaderPid) : NaN;
  let done: Record<string, number> & { statuses?: Record<string, number> } = {} as never;
  let lastPrint = 0;
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of loader.stdout as ReadableStream<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      appendFileSync(join(OUT, "loader.jsonl"), line + "\n");
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(line);
      } catch {
        continue;
      }
      if (j.type === "done") {
        done = j as typeof done;
        continue;
      }
      if (j.type !== "window") continue;
      if (j.final && (j.window_s as number) < SAMPLE / 2) continue; // the stub after the last full window
      const pick = (k: string) => (typeof j[k] === "number" ? (j[k] as number) : NaN);
      const r = await sample("load", {
        scheduled: pick("scheduled"), sent: pick("sent"), completed: pick("completed"), rps: pick("rps"), ok: pick("ok"), non2xx: pick("non2xx"),
        errors: pick("errors"), p50_ms: pick("p50_ms"), p90_ms: pick("p90_ms"), p99_ms: pick("p99_ms"), max_ms: pick("max_ms"), svc_p99_ms: pick("svc_p99_ms"),
        backlog: pick("backlog"), gen_stall_ms: pick("gen_stall_ms"),
      });
      if (r.t_s - lastPrint >= 30 || rows.length <= 2) {
        lastPrint = r.t_s;
        log(`t=${r.t_s.toFixed(0)}s ${r.rps} req/s p50 ${f2(r.p50_ms)} p99 ${f2(r.p99_ms)} ms (fsync ${f2(r.fsync_mean_ms)} ms x ${f1(r.batch_mean)}); RSS ${r.rss_mib} MiB; ${r.segments} segs ${r.journal_mib} MiB (created ${r.segments_created}, removed ${r.segments_removed}); lag ${r.lag} (${r.target_state}), ${r.delivered_rps} deliv/s`);
      }
    }
  }
  const loaderRc = await loader.exited;
  const sys1 = sysCpu();
  // prev.genTicks: the loader's CPU at the last load sample (it has exited by now)
  const own1 = cpuTicks(rh.pid) + cpuTicks(sinkPid) + (Number.isFinite(prev.genTicks) ? prev.genTicks : 0);
  const ncpu = navigator.hardwareConcurrency;
  // CPU taken by processes other than roomhook, the loader and the sink: noise (100 % = one core)
  const othersPct = (100 * Math.max(0, sys1.busy - sys0.busy - (own1 - own0))) / Math.max(1, (sys1.total - sys0.total) / ncpu);
  const loadEndT = (performance.now() - t0) / 1000;
  const machineBusy = (100 * (sys1.busy - sys0.busy)) / Math.max(1, sys1.total - sys0.total);
  const machineSteal = (100 * (sys1.steal - sys0.steal)) / Math.max(1, sys1.total - sys0.total);
  if (loaderRc !== 0 || done.sent === undefined) {
    log(`the load generator exited ${loaderRc}: ${(await loaderErr).slice(0, 2000)}`);
  }
  const lagAtLoadEnd = rows.at(-1)!.lag;
  const loadRows = rows.filter((r) => r.phase === "load");
  if (loadRows.length < 3) throw new Error(`only ${loadRows.length} load samples: the load generator failed (${OUT}/loader.jsonl)`);

  // 4. drain: until the target's lag is 0 (at most DRAIN_MAX s); then, when retention is short
  // (<= 60 s), until roomhook's next retention pass (it runs once a minute) removes what the
  // catch-up freed (at most 65 s).
  const drainStart = performance.now();
  let drainedAfter = NaN;
  let removedAtDrain = 0;
  let eligibleAtDrain = 0; // segments (not the newest) already older than retention at catch-up
  let afterDrain = "";
  let afterDrainOk = true;
  for (;;) {
    const r = await sample("drain", {});
    const el = (performance.now() - drainStart) / 1000;
    if (!Number.isFinite(drainedAfter)) {
      if (r.lag === 0) {
        drainedAfter = el;
        removedAtDrain = r.segments_removed;
        const names = segments(jdir).names.slice(0, -1);
        eligibleAtDrain = names.filter((n) => {
          try {
            return Date.now() - statSync(join(jdir, n)).mtimeMs >= RETENTION_HOURS * 3600_000;
          } catch {
            return false;
          }
        }).length;
        if (RETENTION_HOURS * 3600 > 60 || r.segments <= 1) break;
        log(`caught up ${el.toFixed(1)} s after the load (${r.segments} segments, ${eligibleAtDrain} past retention); waiting for roomhook's next retention pass (once a minute)`);
      } else if (el > DRAIN_MAX) break;
    } else {
      if (r.segments_removed > removedAtDrain) {
        afterDrain = `; after the catch-up the next pass (${(el - drainedAfter).toFixed(0)} s later) removed ${r.segments_removed - removedAtDrain} more, leaving ${r.segments} segments, ${r.journal_mib} MiB`;
        break;
      }
      if (el - drainedAfter > 65) {
        afterDrainOk = eligibleAtDrain === 0;
        afterDrain = `; no segment removed in the 65 s after the catch-up (${r.segments} left, ${eligibleAtDrain} of them already past retention at the catch-up)`;
        break;
      }
    }
    await Bun.sleep(Math.min(SAMPLE, 1) * 1000);
  }
  const mx = await scrape(rh.admin);
  const last = rows.at(-1)!;
  log(`drain: lag ${last.lag} ${Number.isFinite(drainedAfter) ? `(0 after ${drainedAfter.toFixed(1)} s)` : `after ${DRAIN_MAX} s`}; stopping roomhook`);

  // 5. stop, verify, account
  const stopRc = await stop(rh.proc);
  const verify = await Bun.$`timeout -k 5 300 ${BIN} verify --data-dir ${DATA}`.quiet().nothrow();
  writeFileSync(join(OUT, "verify.out"), verify.stdout.toString() + verify.stderr.toString());
  await stop(sink);

  const segsEnd = segments(jdir);
  for (const n of segsEnd.names) seen.add(n);
  // exact removals from roomhook's own log ("journal retention: removed old segments")
  const logLines = readFileSync(rh.logFile, "utf8").split("\n").filter(Boolean);
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
  const firstSeqLeft = segsEnd.names.length ? Number(segsEnd.names[0]!.slice(0, 20)) : NaN;
  const eventsRemoved = firstSeqLeft - 1;
  // lines and distinct ids in the segments left; the seq of the last line = head seq on disk.
  // (Distinct ids are counted up to ID_CHECK_MAX lines, to keep this process's memory bounded when
  // a backlog kept millions of events.)
  const ID_CHECK_MAX = 2_000_000;
  let linesLeft = 0;
  let lastSeq = 0;
  const ids = new Set<string>();
  for (const n of segsEnd.names) {
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
  let quarantineLines = 0;
  for (const n of segments(join(DATA, "quarantine")).names) quarantineLines += readFileSync(join(DATA, "quarantine", n), "utf8").split("\n").filter(Boolean).length;
  const acked = done.ok ?? NaN;
  const sent = done.sent ?? NaN;
  const accepted = metricSum(mx, "roomhook_callback_requests_total", (l) => l.outcome === "accepted");
  const otherOutcomes = metricSum(mx, "roomhook_callback_requests_total", (l) => l.outcome !== "accepted");
  const journaled = metricSum(mx, "roomhook_journal_batch_records_sum");

  // ---------------------------------------------------------------- verdict
  const verdict: { ok: boolean; line: string }[] = [];
  const add = (ok: boolean, line: string) => verdict.push({ ok, line });
  const n = loadRows.length;
  const third = Math.max(1, Math.floor(n / 3));
  const firstThird = loadRows.slice(0, third);
  const lastThird = loadRows.slice(n - third);

  // throughput held
  const meanRps = loadRows.reduce((a, r) => a + r.completed, 0) / Math.max(1e-9, loadRows.reduce((a, r) => a + r.completed / Math.max(1e-9, r.rps), 0));
  const minRps = Math.min(...loadRows.map((r) => r.rps));
  const maxBacklog = Math.max(...loadRows.map((r) => r.backlog));
  add(
    meanRps >= 0.97 * rate && minRps >= 0.85 * rate && maxBacklog <= rate && (done.unsent ?? Infinity) <= rate,
    `rate held: target ${rate} req/s, achieved ${f1(meanRps)} mean, ${f1(minRps)} lowest ${SAMPLE} s window; largest send backlog ${maxBacklog} (open model: a stall queues requests; limit 1 s of traffic), ${done.unsent} due but unsent when the load ended`,
  );

  // memory
  const refT = Math.min(120, DURATION / 3);
  const refRow = loadRows.reduce((best, r) => (Math.abs(r.t_s - refT) < Math.abs(best.t_s - refT) ? r : best), loadRows[0]!);
  const after = loadRows.filter((r) => r.t_s >= refRow.t_s);
  const endRss = loadRows.at(-1)!.rss_mib;
  const rssSlope = slope(after.map((r) => r.t_s / 60), after.map((r) => r.rss_mib)); // MiB/min
  const span = (after.at(-1)!.t_s - refRow.t_s) / 60;
  const grow = (endRss - refRow.rss_mib) / refRow.rss_mib;
  const trendGrow = (rssSlope * span) / refRow.rss_mib;
  add(
    Math.abs(grow) <= 0.2 && trendGrow <= 0.1,
    `memory flat: RSS ${f1(refRow.rss_mib)} MiB at t=${refRow.t_s.toFixed(0)} s -> ${f1(endRss)} MiB at the end (${grow >= 0 ? "+" : ""}${(grow * 100).toFixed(1)} %, limit 20 %); trend ${f2(rssSlope)} MiB/min (${(trendGrow * 100).toFixed(1)} % over ${span.toFixed(1)} min, limit 10 %); peak ${f1(Math.max(...rows.map((r) => r.rss_mib)))} MiB`,
  );

  // latency
  const p99First = median(firstThird.map((r) => r.p99_ms));
  const p99Last = median(lastThird.map((r) => r.p99_ms));
  const maxStall = Math.max(...loadRows.map((r) => (Number.isFinite(r.gen_stall_ms) ? r.gen_stall_ms : 0)));
  add(
    p99Last <= 2 * p99First,
    `p99 stable: median of window p99s ${f2(p99First)} ms (first third) -> ${f2(p99Last)} ms (last third), ratio ${f2(p99Last / p99First)} (limit 2); whole run p50 ${done.p50_ms} ms, p99 ${done.p99_ms} ms, p99.9 ${done.p999_ms} ms, max ${done.max_ms} ms (from the intended send time); service p99 ${done.svc_p99_ms} ms; fsync mean ${f2(median(loadRows.map((r) => r.fsync_mean_ms)))} ms x ${f1(median(loadRows.map((r) => r.batch_mean)))} events (medians); load generator's longest stall ${f1(maxStall)} ms`,
  );

  // journal rolls and retention
  const created = seen.size;
  const rolls = created - 1;
  const removedSeen = created - segsEnd.names.length;
  add(
    rolls >= 1 && removedByLog >= 1 && removedByLog === removedSeen && afterDrainOk,
    `journal rolled ${rolls} times (${created} segments of ${(SEGMENT_BYTES / 1048576).toFixed(1)} MiB), retention removed ${removedByLog} segments in ${retentionPasses} passes (${Number.isFinite(eventsRemoved) ? eventsRemoved : "-"} events; ${removedSeen} gone from the directory); ${segsEnd.names.length} segments, ${f1(segsEnd.bytes / 1048576)} MiB left at the end; peak ${Math.max(...rows.map((r) => r.segments))} segments, ${f1(Math.max(...rows.map((r) => r.journal_mib)))} MiB${afterDrain}`,
  );

  // fan-out
  const lagFirst = median(firstThird.map((r) => r.lag));
  const lagLast = median(lastThird.map((r) => r.lag));
  const lagSlope = slope(lastThird.map((r) => r.t_s), lastThird.map((r) => r.lag)); // events/s
  const lagOk = lagAtLoadEnd <= Math.max(1000, 2 * rate) && lagLast <= Math.max(1000, 2 * lagFirst) && lagSlope <= 0.02 * rate;
  add(
    lagOk && last.lag === 0 && last.dead_letters === 0 && last.delivered === last.head_seq,
    `fan-out kept up: lag ${lagAtLoadEnd} events at the end of the load (${f2(lagAtLoadEnd / rate)} s of traffic; limit max(1000, 2 s)), median ${f1(lagFirst)} -> ${f1(lagLast)} (first -> last third), trend ${f1(lagSlope)} events/s over the last third; ` +
      `${Number.isFinite(drainedAfter) ? `drained to 0 ${drainedAfter.toFixed(1)} s after the load` : `NOT drained after ${DRAIN_MAX} s (lag ${last.lag})`}; deliveries during the load ${f1(median(loadRows.slice(1).map((r) => r.delivered_rps)))}/s (median) vs ${rate} ingested/s; ${last.delivered} delivered in all (head seq ${last.head_seq}), ${last.failed_attempts} failed attempts, ${last.dead_letters} dead letters, state ${last.target_state}`,
  );

  // errors
  const errs = (done.non2xx ?? NaN) + (done.read_err ?? 0) + (done.connect_err ?? 0) + (done.timeouts ?? 0);
  add(
    errs === 0 && otherOutcomes === 0 && loaderRc === 0,
    `no non-2xx: ${done.non2xx} non-2xx, ${done.read_err} read errors, ${done.connect_err} connect errors, ${done.timeouts} timeouts (no answer 5 s after sending), of ${sent} sent; statuses ${JSON.stringify(done.statuses ?? {})}; roomhook outcomes other than accepted: ${otherOutcomes}`,
  );

  // durability accounting
  const accountOk =
    acked <= accepted && accepted <= sent && accepted === lastSeq && journaled === lastSeq && linesLeft === lastSeq - eventsRemoved && ids.size === Math.min(linesLeft, ID_CHECK_MAX) && quarantineLines === 0;
  add(
    accountOk,
    `every ack journaled: acked ${acked} <= head seq ${lastSeq} <= sent ${sent}; metrics: ${accepted} accepted (answered 200), ${journaled} journaled; on disk ${linesLeft} lines (= head ${lastSeq} - ${eventsRemoved} removed by retention: ${linesLeft === lastSeq - eventsRemoved ? "no gap" : "MISMATCH"}), ${ids.size} distinct ids${linesLeft > ID_CHECK_MAX ? ` in the first ${ID_CHECK_MAX}` : ""}; quarantine ${quarantineLines}`,
  );

  // verify and clean stop
  add(
    verify.exitCode === 0 && stopRc === 0,
    `roomhook verify: exit ${verify.exitCode} (${verify.stdout.toString().trim().split("\n").slice(-1)[0] ?? ""}); exit ${stopRc} after SIGTERM; ${problems.length} warn/error log lines`,
  );

  const pass = verdict.every((v) => v.ok);
  const header = [
    `roomhook soak ${new Date().toISOString()}: ${version}; ${rate} req/s x ${DURATION} s${probe ? ` (${RATE_FRACTION} x probe ${probe.rps.toFixed(0)} req/s)` : " (RATE)"}; ${CONNECTIONS} connections, ${ROOMS} rooms`,
    `host ${(await Bun.$`uname -srm`.quiet().text()).trim()}, ${navigator.hardwareConcurrency} CPUs; data dir fs ${fstype}; machine busy ${machineBusy.toFixed(0)} % (all CPUs), steal ${machineSteal.toFixed(1)} %, CPU outside the soak's processes (others, kernel threads, interrupts) ${othersPct.toFixed(0)} % of a core during the load; roomhook CPU ${f1(median(loadRows.map((r) => r.cpu_pct)))} %, load generator CPU ${f1(median(loadRows.map((r) => r.gen_cpu_pct)))} % (medians, 100 % = one core)`,
    `files: ${OUT} (soak.csv, summary.json, roomhook.log); plot ${PLOT}`,
  ];
  const lines = [...header, "", ...verdict.map((v) => `${v.ok ? "PASS" : "FAIL"}  ${v.line}`), "", `VERDICT: ${pass ? "PASS" : "FAIL"}`];
  for (const p of problems.slice(0, 10)) lines.splice(lines.length - 2, 0, `  log: ${p}`);
  writeFileSync(join(OUT, "verdict.txt"), lines.join("\n") + "\n");
  writeFileSync(
    join(OUT, "summary.json"),
    JSON.stringify(
      { version, rate, probe, duration: DURATION, machineBusy, machineSteal, othersPct, loader: done, loadEndT, drainedAfter, rolls, removedByLog, eventsRemoved, lastSeq, linesLeft, accepted, journaled, verdict, pass },
      null,
      2,
    ),
  );

  // ---------------------------------------------------------------- plot
  const gp = join(OUT, "soak.gp");
  mkdirSync(dirname(PLOT), { recursive: true });
  writeFileSync(gp, gnuplot(CSV, PLOT, rate, DURATION, Math.ceil(rows.at(-1)!.t_s * 1.03), `roomhook soak: ${rate} req/s for ${DURATION} s, fsync, segment ${(SEGMENT_BYTES / 1048576).toFixed(0)} MiB, retention ${RETENTION_HOURS} h, 1 target`));
  const g = await Bun.$`gnuplot ${gp}`.quiet().nothrow();
  if (g.exitCode !== 0) log(`gnuplot failed (${g.exitCode}): ${g.stderr.toString().slice(0, 500)}`);

  console.log(lines.join("\n"));
  // The journal is worth keeping only when the durability checks failed (or when asked).
  const durable = verdict.slice(-2).every((v) => v.ok);
  if (!KEEP_DATA && durable) rmSync(DATA, { recursive: true, force: true });
  else log(`data kept: ${DATA}`);
  return pass ? 0 : 1;
}

function gnuplot(csv: string, png: string, rate: number, duration: number, xmax: number, title: string): string {
  // columns (1-based) of COLS
  const c = (k: keyof Row) => COLS.indexOf(k) + 1;
  return `set terminal pngcairo size 1200,1500 font "sans,10"
set output "${png}"
set datafile separator ","
set datafile missing ""
set key autotitle columnhead
set key outside top center horizontal samplen 3 spacing 1 font "sans,9"
set grid
set multiplot layout 4,1 title "${title}" font "sans,12"
set lmargin 12
set rmargin 12
set xrange [0:${xmax}]
set arrow 1 from ${duration}, graph 0 to ${duration}, graph 1 nohead dt 2 lc rgb "#888888"
set label 1 "load ends" at ${duration}, graph 0.95 offset 0.5,0 tc rgb "#888888"

set key title "throughput (${SAMPLE} s windows)" font "sans,11"
set ylabel "per second"
set yrange [0:*]
plot "${csv}" using 1:(strcol(2) eq "load" ? $${c("rps")} : 1/0) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#1f77b4" title "acknowledged req/s", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("target_rps")} : 1/0) with lines dt 3 lw 1.5 lc rgb "#1f77b4" title "target ${rate}/s", \\
     "${csv}" using 1:${c("delivered_rps")} with lines lw 1.5 lc rgb "#2ca02c" title "deliveries/s to the target"

set key title "latency from the intended send time (per ${SAMPLE} s window)" font "sans,11"
set ylabel "ms"
set logscale y
set yrange [*:*]
plot "${csv}" using 1:(strcol(2) eq "load" ? $${c("p99_ms")} : 1/0) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#d62728" title "p99", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("p50_ms")} : 1/0) with linespoints pt 7 ps 0.4 lw 1.5 lc rgb "#ff7f0e" title "p50", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("max_ms")} : 1/0) with lines lw 1 dt 2 lc rgb "#999999" title "max", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("fsync_mean_ms")} : 1/0) with lines lw 1 lc rgb "#2ca02c" title "journal write+fdatasync, mean"
unset logscale y

set key title "roomhook memory" font "sans,11"
set ylabel "MiB"
set yrange [0:*]
plot "${csv}" using 1:${c("rss_mib")} with linespoints pt 7 ps 0.4 lw 2 lc rgb "#9467bd" title "RSS (/proc)", \\
     "${csv}" using 1:${c("heap_used_mib")} with lines lw 1.5 lc rgb "#8c564b" title "JS heap used"

set key title "journal and fan-out" font "sans,11"
set ylabel "segments"
set y2label "lag (events)"
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
set xlabel "seconds since the load started"
plot "${csv}" using 1:${c("segments")} with steps lw 2.5 lc rgb "#17becf" title "segments on disk", \\
     "${csv}" using 1:${c("segments_created")} with steps lw 1.5 dt 2 lc rgb "#1f77b4" title "created (cumulative: rolls + 1)", \\
     "${csv}" using 1:${c("segments_removed")} with steps lw 1.5 lc rgb "#7f7f7f" title "removed by retention (cumulative)", \\
     "${csv}" using 1:${c("lag")} axes x1y2 with lines lw 2 lc rgb "#e377c2" title "target lag, events (right axis)"
unset multiplot
`;
}

let rc = 3;
try {
  rc = await main();
} catch (e) {
  console.error(`soak: ${(e as Error).stack ?? e}`);
  rc = 3;
  const soak = running.soak;
  if (soak) await Promise.race([soak.proc.exited, Bun.sleep(2000)]);
  // (`timeout` re-raises the signal that killed its child: a SIGKILLed roomhook shows as signalCode)
  if (soak && (soak.proc.exitCode !== null || soak.proc.signalCode !== null)) {
    // not a setup problem: roomhook itself went away under load
    const tail = readFileSync(soak.logFile, "utf8").trimEnd().split("\n").slice(-10).join("\n");
    console.log(`FAIL  roomhook exited (${soak.proc.exitCode ?? soak.proc.signalCode}) during the soak; the last lines of ${soak.logFile}:\n${tail}\n\nVERDICT: FAIL`);
    rc = 1;
  }
} finally {
  cleanup();
}
process.exit(rc);
