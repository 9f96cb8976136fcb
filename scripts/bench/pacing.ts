// scripts/bench/pacing: does the fan-out keep pace with a busy ingest? (issue 12). Loopback only;
// every child runs under `timeout` and is stopped by its pid; one roomhook at a time.
//
//   scripts/bench/pacing [--help]        (needs dist/roomhook: npm run build)
//
// For each rate in RATES and each mode, interleaved in one sitting (1000 none, 1000 two-targets,
// 2000 none, ...): a fresh dist/roomhook (durability "fsync", fresh temp data dir, admin on
// 127.0.0.1) takes a steady open-model load from scripts/soak/load.ts (coordinated-omission aware,
// unique Room.CallbackAfterMemberEnter bodies over 1,000 rooms) at RATE callbacks/s for DURATION s.
//   none         no target
//   two-targets  two healthy targets (max_in_flight 64), each on its own
//                scripts/bench/constant-server.ts sink (answers 2xx at once)
// GET /v1/targets (and the fan-out's rate cap from /metrics) is sampled every second during the
// load (lag = journal head - target cursor),
// then every 0.25 s after it until every target's lag is 0 or DRAIN_MAX s have passed (the drain
// time). Then SIGTERM: exit status 0 and journal lines >= callbacks acknowledged are checked.
//
// Report (markdown, stdout and OUT): per rate and mode the achieved rate, ingest p50/p99 (from the
// intended send time), max lag and lag at the end of the load (events, and seconds of traffic at
// the rate; the larger of the two targets'), drain time, deliveries/s during the load (both targets
// together, and each target's share: the split between them); p99(two targets)/p99(none) per rate; a verdict per issue-12 target; the highest rate
// whose lag stayed bounded. "Bounded": lag at the end of the load < max(1,000 events, 1 s of
// traffic) AND not growing over the last third of the load (its least-squares slope times the
// third's length < 25% of that bound).
// Exit 0 when every run passed its checks (whatever the verdicts), 1 when a check failed.
//
// Env: RATES=1000,2000,4000 DURATION=60 DRAIN_MAX=60 CONNECTIONS=64 OUT=FILE ROOMHOOK=dist/roomhook
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { APP, freePort, SECRET } from "../../test/support/harness.ts";
import { cleanup, spawn, stop, waitHttp } from "../soak/procs.ts";
import { type LoadDone, type Run, report, type Sample } from "./pacing-report.ts";

const ROOT = resolve(import.meta.dir, "../..");
const env = process.env;
const BIN = resolve(env.ROOMHOOK ?? join(ROOT, "dist/roomhook"));
const RATES = (env.RATES || "1000,2000,4000").split(",").map(Number);
const DURATION = Number(env.DURATION || 60);
const DRAIN_MAX = Number(env.DRAIN_MAX || 60);
const CONNECTIONS = Number(env.CONNECTIONS || 64);
const OUT = env.OUT || "";
const QUERY = `SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
const MODES = ["none", "two-targets"] as const;
type Mode = (typeof MODES)[number];

for (const [k, v] of Object.entries({ DURATION, DRAIN_MAX, CONNECTIONS }))
  if (!Number.isFinite(v) || v <= 0) fail(`${k} must be a positive number`);
if (DURATION < 6) fail("DURATION must be at least 6 s (the last third is judged)");
if (!RATES.length || RATES.some((r) => !Number.isFinite(r) || r <= 0)) fail("RATES must be positive numbers");

const work = mkdtempSync(join(env.TMPDIR || tmpdir(), "roomhook-bench-pacing-"));
const log = (m: string) => console.error(`[bench-pacing ${new Date().toISOString().slice(11, 19)}] ${m}`);
function fail(m: string): never {
  console.error(`bench-pacing: ${m}`);
  process.exit(3);
}

function config(dataDir: string, port: number, adminPort: number, sinks: string[]): string {
  let t = `data_dir = "${dataDir}"\n[server]\nlisten = "127.0.0.1:${port}"\n[[apps]]\nsdk_app_id = ${APP}\n[journal]\ndurability = "fsync"\n[dedupe]\nwindow = 100000\n[admin]\nlisten = "127.0.0.1:${adminPort}"\n[log]\nlevel = "warn"\n`;
  sinks.forEach((url, i) => {
    t += `[[targets]]\nname = "t${i + 1}"\nurl = "${url}"\nsecret = "${SECRET}"\nmax_in_flight = 64\ntimeout_ms = 5000\n`;
  });
  return t;
}

function startSink(maxS: number): { proc: Subprocess; url: string } {
  const port = freePort();
  const proc = spawn(
    [process.execPath, join(ROOT, "scripts/bench/constant-server.ts"), String(port), String(maxS)],
    maxS + 10,
  );
  return { proc, url: `http://127.0.0.1:${port}/hook` };
}

/** roomhook_fanout_rate_cap from /metrics: the fan-out's own cut for the ingest (Infinity: none). */
async function rateCap(admin: string): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  const v = /^roomhook_fanout_rate_cap (\S+)$/m.exec(text)?.[1];
  return v === undefined || v === "+Inf" ? Infinity : Number(v);
}

async function sample(admin: string, t0: number): Promise<Sample> {
  const r = await fetch(`${admin}/v1/targets`, { signal: AbortSignal.timeout(2000) });
  const j = (await r.json()) as { headSeq: number; targets: { lag: number; delivered: number }[] };
  const cap = j.targets.length ? await rateCap(admin) : Infinity;
  return {
    cap,
    t: (performance.now() - t0) / 1000,
    head: j.headSeq,
    lag: Math.max(0, ...j.targets.map((x) => x.lag)),
    delivered: j.targets.reduce((s, x) => s + x.delivered, 0),
    each: j.targets.map((x) => ({ lag: x.lag, delivered: x.delivered })),
  };
}

/** Samples every `everyMs` (on a fixed schedule from t0) until `until()` says stop. */
async function sampleUntil(admin: string, t0: number, everyMs: number, out: Sample[], until: (s: Sample) => boolean) {
  let k = Math.max(1, Math.ceil((performance.now() - t0) / everyMs - 0.05));
  for (;;) {
    await Bun.sleep(Math.max(0, t0 + k * everyMs - performance.now()));
    k++;
    let s: Sample;
    try {
      s = await sample(admin, t0);
    } catch (e) {
      // a slow answer under load: that tick has no sample; but not for ever
      if (performance.now() - t0 > (DURATION + DRAIN_MAX + 10) * 1000) throw new Error(`GET /v1/targets: ${e}`);
      continue;
    }
    out.push(s);
    if (until(s)) return;
  }
}

function journalLines(dataDir: string): number {
  const dir = join(dataDir, "journal");
  let n = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".jsonl")) continue;
    const b = readFileSync(join(dir, f));
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Starts load.ts; `started` resolves with its schedule's start (performance.now() here), read off
 * its first 1-s window line, so that lag samples line up with the load's own seconds. */
function runLoad(url: string, rate: number): { started: Promise<number>; done: Promise<LoadDone> } {
  const cmd = [process.execPath, join(ROOT, "scripts/soak/load.ts"), "--url", url, "--rate", String(rate)];
  cmd.push("--duration", String(DURATION), "--connections", String(CONNECTIONS), "--sample", "1");
  const proc = spawn(cmd, DURATION + 30, { stdout: "pipe", stderr: "pipe" });
  let onStart: (t: number) => void = () => {};
  const started = new Promise<number>((res) => {
    onStart = res;
  });
  const done = (async () => {
    const lines: Record<string, number | string>[] = [];
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!l.startsWith("{")) continue;
        const j = JSON.parse(l);
        if (lines.length === 0 && j.type === "window") onStart(performance.now() - j.t * 1000);
        lines.push(j);
      }
    }
    await proc.exited;
    const d = lines.find((l) => l.type === "done");
    if (!d) throw new Error(`load.ts gave no result: ${await new Response(proc.stderr as ReadableStream).text()}`);
    const stall = Math.max(0, ...lines.filter((l) => l.type === "window").map((l) => l.gen_stall_ms as number));
    return { ...d, gen_stall_ms: stall } as unknown as LoadDone;
  })();
  void done.then(
    () => onStart(Number.NaN),
    () => onStart(Number.NaN),
  );
  return { started, done };
}

async function runOne(rate: number, mode: Mode): Promise<Run> {
  const maxS = DURATION + DRAIN_MAX + 90;
  const sinks = mode === "two-targets" ? [startSink(maxS), startSink(maxS)] : [];
  const dataDir = join(work, `r${rate}-${mode}`);
  const port = freePort();
  const adminPort = freePort();
  const cfg = join(work, `r${rate}-${mode}.toml`);
  writeFileSync(
    cfg,
    config(
      dataDir,
      port,
      adminPort,
      sinks.map((s) => s.url),
    ),
  );
  const run: Run = { rate, mode, samples: [], drain: [], loadEnd: 0, drainS: null, problems: [] };
  let rh: Subprocess | null = null;
  try {
    for (const s of sinks) await waitHttp(s.url, s.proc, "sink");
    const logFd = openSync(`${cfg}.log`, "a"); // a file, not a pipe: an unread pipe could block it
    rh = spawn([BIN, "serve", "--config", cfg], maxS, { stdout: logFd, stderr: logFd });
    closeSync(logFd);
    await waitHttp(`http://127.0.0.1:${port}/healthz`, rh, "roomhook");
    const admin = `http://127.0.0.1:${adminPort}`;
    log(`${rate}/s ${mode}: roomhook on 127.0.0.1:${port}, load for ${DURATION} s`);
    const load = runLoad(`http://127.0.0.1:${port}/callback?${QUERY}`, rate);
    const t0 = await load.started;
    if (Number.isNaN(t0)) await load.done; // it ended before its first window: throws why
    // every second of the load's own clock, the last sample at the instant it stops sending
    await sampleUntil(admin, t0, 1000, run.samples, (s) => s.t >= DURATION - 0.01);
    run.loadEnd = run.samples.at(-1)?.t ?? DURATION;
    if (sinks.length && (run.samples.at(-1)?.lag ?? 0) > 0) {
      const deadline = run.loadEnd + DRAIN_MAX;
      await sampleUntil(admin, t0, 250, run.drain, (s) => s.lag === 0 || s.t >= deadline);
      const last = run.drain.at(-1);
      if (last && last.lag === 0) run.drainS = last.t - run.loadEnd;
    } else run.drainS = 0;
    run.load = await load.done;
  } catch (e) {
    run.problems.push(String(e instanceof Error ? e.message : e));
  } finally {
    await finish(run, rh, sinks, dataDir);
  }
  return run;
}

async function finish(run: Run, rh: Subprocess | null, sinks: { proc: Subprocess }[], dataDir: string) {
  if (rh) {
    const code = await stop(rh);
    if (code !== 0) {
      const err = readFileSync(`${join(work, `r${run.rate}-${run.mode}.toml`)}.log`, "utf8");
      run.problems.push(`roomhook exited ${code} after SIGTERM: ${err.trim().split("\n").slice(-3).join(" ")}`);
    }
    try {
      run.journal = journalLines(dataDir);
      if (run.load && run.journal < run.load.ok)
        run.problems.push(`journal has ${run.journal} lines < ${run.load.ok} acknowledged`);
    } catch (e) {
      run.problems.push(`journal not readable: ${e}`);
    }
  }
  for (const s of sinks) await stop(s.proc);
  const l = run.load;
  if (l && l.non2xx + l.read_err + l.connect_err + l.timeouts > 0)
    run.problems.push(`load: ${l.non2xx} non-2xx, ${l.read_err + l.connect_err} socket errors, ${l.timeouts} timeouts`);
  rmSync(dataDir, { recursive: true, force: true });
}

function commandLine(): string {
  const set = ["RATES", "DURATION", "DRAIN_MAX", "CONNECTIONS", "OUT", "ROOMHOOK"].filter((k) => env[k]);
  return [...set.map((k) => `${k}=${env[k]}`), "scripts/bench/pacing", ...process.argv.slice(2)].join(" ");
}

async function main() {
  const started = new Date().toISOString().slice(0, 19);
  const runs: Run[] = [];
  for (const rate of RATES)
    for (const mode of MODES) {
      const r = await runOne(rate, mode);
      runs.push(r);
      const s = r.samples;
      log(
        `${rate}/s ${mode}: ${r.load?.ok ?? "?"} acked, p99 ${r.load?.p99_ms ?? "?"} ms, max lag ${Math.max(0, ...s.map((x) => x.lag))}, end lag ${s.at(-1)?.lag ?? "?"}, drain ${r.drainS?.toFixed(1) ?? "> DRAIN_MAX"} s${r.problems.length ? `; PROBLEMS: ${r.problems.join("; ")}` : ""}`,
      );
    }
  const bunV = Bun.version;
  const rhV = Bun.spawnSync(["timeout", "10", BIN, "--version"]).stdout.toString().trim().split("\n")[0];
  const text = report(runs, {
    cmd: commandLine(),
    env: `started ${started}Z; ${process.platform} ${(await Bun.file("/proc/sys/kernel/osrelease").text()).trim()}; ${navigator.hardwareConcurrency} CPUs; bun ${bunV}; roomhook ${rhV}`,
    duration: DURATION,
    drainMax: DRAIN_MAX,
    connections: CONNECTIONS,
  });
  console.log(text);
  if (OUT) writeFileSync(OUT, `${text}\n`);
  return runs.some((r) => r.problems.length) ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} finally {
  cleanup();
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
