// scripts/bench/nats: the NATS JetStream target and the hub. Loopback only; every child is bounded
// in time and stopped by pid; nothing outlives the run.
//
//   1. published/s from a backlog: a journal of N events is written first (cursor at 0), then
//      dist/roomhook starts with one NATS target (max_in_flight 1024, create_stream) on a local
//      nats-server (JetStream, file store); the rate is the target's cursor (PubAcks) over time.
//   2. ingest req/s under wrk (scripts/bench/post.lua, fsync durability) with no target and with
//      the NATS target, interleaved over ROUNDS rounds (as scripts/bench/fanout does).
//   3. the hub's mirror rate: a second dist/roomhook with [upstream] on the stream of 1, from its
//      start to its journal holding all N events (roomhook_journal_head_seq).
//
// Env: EVENTS=100000 ROOMS=1000 DURATION=8 ROUNDS=2 CONNECTIONS=64 ROOMHOOK=dist/roomhook
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { saveCursorSync } from "../../src/delivery/cursor-store.ts";
import { freePort } from "../../test/support/harness.ts";
import { writeBacklog } from "./backlog.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.ROOMHOOK ?? join(ROOT, "dist/roomhook");
const EVENTS = Number(process.env.EVENTS ?? 100_000);
const ROOMS = Number(process.env.ROOMS ?? 1000);
const DURATION = Number(process.env.DURATION ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const APP = 1400000000;

const work = mkdtempSync(join(tmpdir(), "roomhook-bench-nats-"));
const children = new Set<Subprocess>();
const log = (m: string) => console.error(`[bench-nats ${new Date().toISOString().slice(11, 19)}] ${m}`);

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
      if ((await fetch(url)).ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${url} never answered`);
}

async function natsServer(): Promise<{ proc: Subprocess; url: string }> {
  const port = freePort();
  const monitor = freePort();
  const proc = spawn(
    ["nats-server", "-js", "-sd", join(work, "nats"), "-a", "127.0.0.1", "-p", String(port), "-m", String(monitor)],
    900,
  );
  await waitHttp(`http://127.0.0.1:${monitor}/healthz`);
  return { proc, url: `nats://127.0.0.1:${port}` };
}

function toml(dataDir: string, port: number, adminPort: number, extra: string): string {
  return `data_dir = "${dataDir}"\n[server]\nlisten = "127.0.0.1:${port}"\n[[apps]]\nsdk_app_id = ${APP}\n[journal]\ndurability = "fsync"\n[admin]\nlisten = "127.0.0.1:${adminPort}"\n[log]\nlevel = "warn"\n${extra}`;
}

const natsTarget = (url: string, stream: string) =>
  `[[targets]]\nkind = "nats"\nname = "bus"\nurl = "${url}"\nstream = "${stream}"\nsubject = "${stream}.{sdkAppId}.{type}"\ncreate_stream = true\nmax_in_flight = 1024\n`;

async function roomhook(dataDir: string, extra: string) {
  const port = freePort();
  const adminPort = freePort();
  const cfg = join(work, `cfg-${port}.toml`);
  await Bun.write(cfg, toml(dataDir, port, adminPort, extra));
  const proc = spawn([BIN, "serve", "--config", cfg], 600);
  await waitHttp(`http://127.0.0.1:${port}/healthz`);
  await waitHttp(`http://127.0.0.1:${adminPort}/metrics`); // the admin listener opens after the callback one
  return { proc, port, admin: `http://127.0.0.1:${adminPort}` };
}

async function cursor(admin: string): Promise<number> {
  const j = (await (await fetch(`${admin}/v1/targets`)).json()) as { targets: { cursor: number }[] };
  return j.targets[0]!.cursor;
}

async function headSeq(admin: string): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  return Number(/^roomhook_journal_head_seq (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Polls `read` until it reaches EVENTS; the rate from its first move to the end. */
async function rateOf(read: () => Promise<number>): Promise<{ rate: number; events: number; seconds: number }> {
  let first: { t: number; c: number } | null = null;
  let last = { t: 0, c: 0 };
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const c = await read();
    const now = performance.now();
    if (!first && c > 0) first = { t: now, c };
    last = { t: now, c };
    if (c >= EVENTS) break;
    await Bun.sleep(25);
  }
  if (!first || last.c < EVENTS) throw new Error(`did not finish: ${last.c} of ${EVENTS}`);
  const seconds = (last.t - first.t) / 1000;
  return { rate: (last.c - first.c) / seconds, events: last.c - first.c, seconds };
}

async function published(nats: string) {
  const dataDir = join(work, "publish");
  log(`writing ${EVENTS} events over ${ROOMS} rooms`);
  await writeBacklog(join(dataDir, "journal"), EVENTS, ROOMS);
  saveCursorSync(dataDir, "bus", { seq: 0, paused: null });
  const rh = await roomhook(dataDir, natsTarget(nats, "BACKLOG"));
  const r = await rateOf(() => cursor(rh.admin));
  await stop(rh.proc);
  return r;
}

async function mirrored(nats: string) {
  const rh = await roomhook(join(work, "hub"), `[upstream]\nkind = "nats"\nurl = "${nats}"\nstream = "BACKLOG"\n`);
  const r = await rateOf(() => headSeq(rh.admin));
  await stop(rh.proc);
  return r;
}

async function wrk(url: string, secs: number): Promise<number> {
  const q = `SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  const args = [
    "wrk",
    "-t1",
    `-c${CONNECTIONS}`,
    `-d${secs}s`,
    "--timeout",
    "2s",
    "-s",
    join(ROOT, "scripts/bench/post.lua"),
  ];
  const p = Bun.spawn(["timeout", "-k", "5", String(secs + 15), ...args, `${url}/callback?${q}`], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BENCH_ROOMS: String(ROOMS) },
  });
  children.add(p);
  const out = await new Response(p.stdout).text();
  await p.exited;
  children.delete(p);
  const m = /WRK_RESULT .*?rps=([\d.]+).*?non2xx=(\d+)/.exec(out);
  if (!m) throw new Error(`wrk gave no result:\n${out}`);
  if (Number(m[2]) > 0) throw new Error(`wrk saw ${m[2]} non-2xx answers`);
  return Number(m[1]);
}

async function ingest(withNats: string | null, round: number) {
  const dataDir = join(work, `ingest-${withNats ? "nats" : "none"}-${round}`);
  const rh = await roomhook(dataDir, withNats ? natsTarget(withNats, `INGEST${round}`) : "");
  await wrk(`http://127.0.0.1:${rh.port}`, 2);
  const rps = await wrk(`http://127.0.0.1:${rh.port}`, DURATION);
  const lag = withNats ? (await headSeq(rh.admin)) - (await cursor(rh.admin)) : 0;
  await stop(rh.proc);
  return { rps, lag };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const nats = await natsServer();
  const p = await published(nats.url);
  log(`published: ${p.rate.toFixed(0)}/s (${p.events} in ${p.seconds.toFixed(2)} s)`);
  const h = await mirrored(nats.url);
  log(`mirrored: ${h.rate.toFixed(0)}/s (${h.events} in ${h.seconds.toFixed(2)} s)`);
  const none: number[] = [];
  const withNats: number[] = [];
  const lags: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    none.push((await ingest(null, r)).rps);
    const x = await ingest(nats.url, r);
    withNats.push(x.rps);
    lags.push(x.lag);
    log(`round ${r}: none ${none.at(-1)!.toFixed(0)} req/s, nats ${x.rps.toFixed(0)} req/s (lag ${x.lag} at the end)`);
  }
  await stop(nats.proc);
  const n = median(none);
  const w = median(withNats);
  console.log(
    [
      "| measurement | result | target |",
      "|---|---|---|",
      `| published/s from a backlog to a local JetStream stream (PubAck each), max_in_flight 1024 | **${p.rate.toFixed(0)}/s** (${p.events} in ${p.seconds.toFixed(2)} s) | >= 10,000/s |`,
      `| hub mirror rate (durable consumer, fsync journal, ack after fsync) | **${h.rate.toFixed(0)}/s** (${h.events} in ${h.seconds.toFixed(2)} s) | |`,
      `| ingest req/s, no target (median of ${ROUNDS}) | ${n.toFixed(0)} (${none.map((x) => x.toFixed(0)).join(", ")}) | |`,
      `| ingest req/s, one NATS target | ${w.toFixed(0)} (${withNats.map((x) => x.toFixed(0)).join(", ")}): **${(w / n).toFixed(2)}x** | >= 0.8x |`,
      "",
      `- NATS target lag at the end of each wrk run: ${lags.join(", ")} events`,
    ].join("\n"),
  );
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
