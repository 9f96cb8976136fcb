// scripts/bench/fanout: fan-out throughput, and what delivery costs the ingest. Loopback only;
// every child is bounded in time and stopped by pid; nothing outlives the run.
//
//   1. deliveries/s: a journal of N events over R rooms is written first (with a cursor at 0), then
//      dist/roomhook starts with one target (max_in_flight 64) pointing at a constant sink
//      (scripts/bench/constant-server.ts); the rate is read from the target's cursor over time.
//   2. ingest req/s under wrk (scripts/bench/post.lua, fsync durability) with no target, with two
//      healthy targets, and with one target down (a closed port), interleaved over ROUNDS rounds.
//
// Env: EVENTS=100000 ROOMS=1000 DURATION=8 ROUNDS=2 CONNECTIONS=64 ROOMHOOK=dist/roomhook
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { saveCursorSync } from "../../src/delivery/cursor-store.ts";
import { freePort } from "../../test/support/harness.ts";
import { BENCH_APP as APP, writeBacklog } from "./backlog.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.ROOMHOOK ?? join(ROOT, "dist/roomhook");
const EVENTS = Number(process.env.EVENTS ?? 100_000);
const ROOMS = Number(process.env.ROOMS ?? 1000);
const DURATION = Number(process.env.DURATION ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const work = mkdtempSync(join(tmpdir(), "roomhook-bench-fanout-"));
const children = new Set<Subprocess>();
const log = (m: string) => console.error(`[bench-fanout ${new Date().toISOString().slice(11, 19)}] ${m}`);

function spawn(cmd: string[], maxS: number): Subprocess {
  const p = Bun.spawn(["timeout", "-k", "5", String(maxS), ...cmd], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  children.add(p);
  void p.exited.then(() => children.delete(p));
  return p;
}

async function stop(p: Subprocess): Promise<void> {
  if (p.exitCode === null) p.kill("SIGTERM");
  await Promise.race([p.exited, Bun.sleep(15_000)]);
  if (p.exitCode === null) p.kill("SIGKILL");
  await p.exited;
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url);
      return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${url} never answered`);
}

function sink(): { proc: Subprocess; url: string; port: number } {
  const port = freePort();
  const proc = spawn([process.execPath, join(ROOT, "scripts/bench/constant-server.ts"), String(port), "600"], 620);
  return { proc, port, url: `http://127.0.0.1:${port}/hook` };
}

function toml(dataDir: string, port: number, adminPort: number, targets: { name: string; url: string }[]): string {
  let t = `data_dir = "${dataDir}"\n[server]\nlisten = "127.0.0.1:${port}"\n[[apps]]\nsdk_app_id = ${APP}\n[journal]\ndurability = "fsync"\n[admin]\nlisten = "127.0.0.1:${adminPort}"\n[log]\nlevel = "warn"\n`;
  for (const x of targets)
    t += `[[targets]]\nname = "${x.name}"\nurl = "${x.url}"\nsecret = "${SECRET}"\nmax_in_flight = 64\ntimeout_ms = 5000\n`;
  return t;
}

async function roomhook(dataDir: string, targets: { name: string; url: string }[]) {
  const port = freePort();
  const adminPort = freePort();
  const cfg = join(work, `cfg-${port}.toml`);
  await Bun.write(cfg, toml(dataDir, port, adminPort, targets));
  const proc = spawn([BIN, "serve", "--config", cfg], 600);
  await waitHttp(`http://127.0.0.1:${port}/healthz`);
  return { proc, port, admin: `http://127.0.0.1:${adminPort}` };
}

async function targets(admin: string) {
  return (
    (await (await fetch(`${admin}/v1/targets`)).json()) as {
      targets: { name: string; cursor: number; lag: number; state: string; delivered: number }[];
    }
  ).targets;
}

// ------------------------------------------------------------------ 1. deliveries per second
async function deliveries(): Promise<{ rate: number; events: number; seconds: number }> {
  const dataDir = join(work, "deliver");
  log(`writing ${EVENTS} events over ${ROOMS} rooms`);
  await writeBacklog(join(dataDir, "journal"), EVENTS, ROOMS);
  saveCursorSync(dataDir, "sink", { seq: 0, paused: null });
  const s = sink();
  await waitHttp(s.url);
  const rh = await roomhook(dataDir, [{ name: "sink", url: s.url }]);
  let first: { t: number; c: number } | null = null;
  let last = { t: 0, c: 0 };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const t = (await targets(rh.admin))[0]!;
    const now = performance.now();
    if (!first && t.cursor > 0) first = { t: now, c: t.cursor };
    last = { t: now, c: t.cursor };
    if (t.cursor >= EVENTS) break;
    await Bun.sleep(25);
  }
  await stop(rh.proc);
  await stop(s.proc);
  if (!first || last.c < EVENTS) throw new Error(`delivery did not finish: cursor ${last.c} of ${EVENTS}`);
  const seconds = (last.t - first.t) / 1000;
  return { rate: (last.c - first.c) / seconds, events: last.c - first.c, seconds };
}

// ------------------------------------------------------------------ 2. ingest with targets attached
async function wrk(url: string, secs: number): Promise<number> {
  const q = `SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  const p = Bun.spawn(
    [
      "timeout",
      "-k",
      "5",
      String(secs + 15),
      "wrk",
      "-t1",
      `-c${CONNECTIONS}`,
      `-d${secs}s`,
      "--timeout",
      "2s",
      "-s",
      join(ROOT, "scripts/bench/post.lua"),
      `${url}/callback?${q}`,
    ],
    {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, BENCH_ROOMS: String(ROOMS) },
    },
  );
  children.add(p);
  const out = await new Response(p.stdout).text();
  await p.exited;
  children.delete(p);
  const m = /WRK_RESULT .*?rps=([\d.]+).*?non2xx=(\d+)/.exec(out);
  if (!m) throw new Error(`wrk gave no result:\n${out}`);
  if (Number(m[2]) > 0) throw new Error(`wrk saw ${m[2]} non-2xx answers`);
  return Number(m[1]);
}

type Mode = "none" | "two-healthy" | "one-down";
async function ingest(mode: Mode, round: number) {
  const dataDir = join(work, `ingest-${mode}-${round}`);
  const sinks = mode === "two-healthy" ? [sink(), sink()] : [];
  for (const s of sinks) await waitHttp(s.url);
  const t =
    mode === "two-healthy"
      ? sinks.map((s, i) => ({ name: `ok${i}`, url: s.url }))
      : mode === "one-down"
        ? [{ name: "down", url: `http://127.0.0.1:${freePort()}/hook` }]
        : [];
  const rh = await roomhook(dataDir, t);
  await wrk(`http://127.0.0.1:${rh.port}`, 2);
  const rps = await wrk(`http://127.0.0.1:${rh.port}`, DURATION);
  const st = t.length ? await targets(rh.admin) : [];
  await stop(rh.proc);
  for (const s of sinks) await stop(s.proc);
  return { rps, targets: st.map((x) => ({ name: x.name, state: x.state, lag: x.lag })) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const d = await deliveries();
  log(`deliveries: ${d.rate.toFixed(0)}/s (${d.events} events in ${d.seconds.toFixed(2)} s)`);
  const res: Record<Mode, number[]> = { none: [], "two-healthy": [], "one-down": [] };
  const notes: string[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const mode of ["none", "two-healthy", "one-down"] as Mode[]) {
      const x = await ingest(mode, r);
      res[mode].push(x.rps);
      log(`round ${r} ${mode}: ${x.rps.toFixed(0)} req/s ${JSON.stringify(x.targets)}`);
      if (x.targets.length)
        notes.push(
          `round ${r} ${mode}: ${x.targets.map((t) => `${t.name} ${t.state}, lag ${t.lag} at the end of wrk`).join("; ")}`,
        );
    }
  }
  const none = median(res.none);
  const two = median(res["two-healthy"]);
  const down = median(res["one-down"]);
  const report = [
    `| measurement | result | target |`,
    `|---|---|---|`,
    `| deliveries/s to a local sink, 1 target, max_in_flight 64, ${ROOMS} rooms | **${d.rate.toFixed(0)}/s** (${d.events} events in ${d.seconds.toFixed(2)} s) | ≥ 10,000/s |`,
    `| ingest req/s, no target (median of ${ROUNDS}) | ${none.toFixed(0)} (${res.none.map((x) => x.toFixed(0)).join(", ")}) | |`,
    `| ingest req/s, two healthy targets | ${two.toFixed(0)} (${res["two-healthy"].map((x) => x.toFixed(0)).join(", ")}) — **${(two / none).toFixed(2)}×** | ≥ 0.8× |`,
    `| ingest req/s, one target down (connection refused) | ${down.toFixed(0)} (${res["one-down"].map((x) => x.toFixed(0)).join(", ")}) — **${(down / none).toFixed(2)}×** | unchanged (≈ 1.0×) |`,
    "",
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
  console.log(report);
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
