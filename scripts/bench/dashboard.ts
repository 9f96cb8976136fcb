// scripts/bench/dashboard: what an open dashboard costs the ingest. One dist/roomhook (fsync
// durability, no target) takes wrk's load (scripts/bench/post.lua) in rotating runs:
//   closed  nobody looks;
//   polled  the calls two open tabs (Ingest, Events) make, from this process without a browser:
//           /v1/stats every 2 s, /v1/events every second, /v1/quarantine every 5 s; this is what
//           serving the dashboard costs the server;
//   open    Chromium with those two tabs; Chromium runs on the same 2-core machine, so this also
//           pays for the browser's own rendering (an operator's browser runs elsewhere).
// Same process, same sitting, rotated, because this machine's speed drifts; the report gives each
// round's ratios and the medians. Then, with no load, the CPU time roomhook spends per call of each
// kind the page makes (from /proc/<pid>/stat, 200 calls each): the steadier measure of the cost. Loopback only; every child is bounded in time and stopped by pid.
//
// Env: DURATION=8 WARMUP=2 ROUNDS=4 CONNECTIONS=64 ROOMHOOK=dist/roomhook OUT=FILE (markdown)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Browser } from "playwright-core";
import { launchChromium, watchedPage } from "../../test/support/browser.ts";
import { freePort } from "../../test/support/harness.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = process.env.ROOMHOOK ?? join(ROOT, "dist/roomhook");
const DURATION = Number(process.env.DURATION ?? 8);
const WARMUP = Number(process.env.WARMUP ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const APP = 1400000000;
const work = mkdtempSync(join(tmpdir(), "roomhook-bench-dashboard-"));
const log = (m: string) => console.error(`[bench-dashboard ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Run {
  rps: number;
  p99: number;
}

async function wrk(url: string, secs: number): Promise<Run> {
  const q = `SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${secs}s`, "--timeout", "2s", "-s", join(ROOT, "scripts/bench/post.lua")];
  const p = Bun.spawn(["timeout", "-k", "5", String(secs + 15), "wrk", ...args, `${url}/callback?${q}`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const m = /WRK_RESULT .*?rps=([\d.]+).*?p99_ms=([\d.]+).*?non2xx=(\d+)/.exec(out);
  if (!m) throw new Error(`wrk gave no result:\n${out}`);
  if (Number(m[3]) > 0) throw new Error(`wrk saw ${m[3]} non-2xx answers`);
  return { rps: Number(m[1]), p99: Number(m[2]) };
}

/** CPU seconds (user + system) the process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").slice(
    readFileSync(`/proc/${pid}/stat`, "utf8").lastIndexOf(")") + 2,
  );
  const v = f.split(" ");
  return (Number(v[11]) + Number(v[12])) / 100;
}

const PAGE_CALLS: readonly [string, number][] = [
  ["/v1/stats", 0.5],
  ["/v1/events?from_seq=<head-49>&limit=200", 1],
  ["/v1/quarantine?from_seq=1&limit=50", 0.2],
];

/** CPU ms roomhook spends per call of each kind the page makes, measured with no load. */
async function idleCost(pid: number, admin: string): Promise<{ path: string; perSecond: number; ms: number }[]> {
  const head = Number((await fetch(`${admin}/v1/events?limit=1&from_seq=999999999999999`)).headers.get("x-head-seq"));
  const out = [];
  for (const [path, perSecond] of PAGE_CALLS) {
    const url = `${admin}${path.replace("<head-49>", String(Math.max(1, head - 49)))}`;
    const c0 = cpuSeconds(pid);
    for (let i = 0; i < 200; i++) await (await fetch(url)).arrayBuffer();
    out.push({ path, perSecond, ms: ((cpuSeconds(pid) - c0) * 1000) / 200 });
  }
  return out;
}

async function start(): Promise<{ proc: Subprocess; pid: number; base: string; admin: string }> {
  const port = freePort();
  const adminPort = freePort();
  const cfg = join(work, "roomhook.toml");
  writeFileSync(
    cfg,
    `data_dir = "${join(work, "data")}"\n[server]\nlisten = "127.0.0.1:${port}"\n[[apps]]\nsdk_app_id = ${APP}\n[journal]\ndurability = "fsync"\n[admin]\nlisten = "127.0.0.1:${adminPort}"\n[log]\nlevel = "warn"\n`,
  );
  const proc = Bun.spawn(["timeout", "-k", "5", "900", BIN, "serve", "--config", cfg], {
    stdout: "ignore",
    stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error("roomhook did not start");
    await Bun.sleep(50);
  }
  // The process under `timeout`: its only child.
  const pid = Number(readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(" ")[0]);
  return { proc, pid, base, admin: `http://127.0.0.1:${adminPort}` };
}

/** Opens the two polling tabs; resolves once both show their view. */
async function openDashboard(
  admin: string,
): Promise<{ browser: Browser; errors: () => string[]; requests: () => number }> {
  const browser = await launchChromium();
  const tabs = await Promise.all(["ingest", "events"].map(() => watchedPage(browser, admin)));
  await Promise.all(
    tabs.map(async (t, i) => {
      const view = i === 0 ? "Ingest" : "Events";
      await t.page.goto(`${admin}/ui/#${view.toLowerCase()}`);
      await t.page.getByRole("heading", { level: 1, name: view }).waitFor();
    }),
  );
  return {
    browser,
    errors: () => tabs.flatMap((t) => [...t.errors, ...t.foreign]),
    requests: () => tabs.reduce((n, t) => n + t.requests.length, 0),
  };
}

/** The page's calls (see the top), without a browser; the returned function stops and counts them. */
function pollLikeThePage(admin: string): () => Promise<number> {
  let stopped = false;
  let calls = 0;
  const every = async (ms: number, path: () => string) => {
    while (!stopped) {
      const res = await fetch(`${admin}${path()}`);
      const text = await res.text();
      calls++;
      if (path === tail) {
        // As the page does: read up to 200 lines, and skip ahead when that cannot keep up.
        next = Number(res.headers.get("x-next-seq") ?? next);
        const head = Number(res.headers.get("x-head-seq") ?? 0);
        if (text.split("\n").length > 200 && head - next > 200) next = head - 49;
      }
      await Bun.sleep(ms);
    }
  };
  let next = 1;
  const tail = () => `/v1/events?from_seq=${next}&limit=200`;
  const loops = [
    every(2000, () => "/v1/stats"),
    every(1000, tail),
    every(5000, () => "/v1/quarantine?from_seq=1&limit=50"),
  ];
  return async () => {
    stopped = true;
    await Promise.all(loops);
    return calls;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

type Mode = "closed" | "polled" | "open";
const MODES: readonly Mode[] = ["closed", "polled", "open"];
type Round = Record<Mode, Run> & { calls: Record<Mode, number> };

/** One measured run in `mode`; the number of admin API calls made during it. */
async function measure(mode: Mode, rh: { base: string; admin: string }): Promise<{ run: Run; calls: number }> {
  const dash = mode === "open" ? await openDashboard(rh.admin) : null;
  await wrk(rh.base, WARMUP);
  const before = dash?.requests() ?? 0;
  const poller = mode === "polled" ? pollLikeThePage(rh.admin) : null;
  const run = await wrk(rh.base, DURATION);
  let calls = poller ? await poller() : 0;
  if (dash) {
    calls = dash.requests() - before;
    const errs = dash.errors();
    await dash.browser.close();
    if (errs.length) throw new Error(`the dashboard reported errors: ${errs.join("; ")}`);
  }
  return { run, calls };
}

async function main(): Promise<void> {
  const rh = await start();
  const rounds: Round[] = [];
  let costs: Awaited<ReturnType<typeof idleCost>> = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order, so drift within a round does not favour one mode.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
      const r = { calls: {} } as Round;
      for (const mode of order) {
        const m = await measure(mode, rh);
        r[mode] = m.run;
        r.calls[mode] = m.calls;
        log(`round ${round + 1} ${mode}: ${Math.round(m.run.rps)} req/s, p99 ${m.run.p99} ms, ${m.calls} admin calls`);
      }
      rounds.push(r);
    }
    costs = await idleCost(rh.pid, rh.admin);
  } finally {
    rh.proc.kill("SIGTERM");
    await rh.proc.exited;
    rmSync(work, { recursive: true, force: true });
  }
  report(rounds, costs);
}

function report(rounds: Round[], costs: Awaited<ReturnType<typeof idleCost>>): void {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const rows = rounds.map(
    (r, i) =>
      `| ${i + 1} | ${n(r.closed.rps)} | ${n(r.polled.rps)} (${r.calls.polled} calls) | ${n(r.open.rps)} (${r.calls.open} calls) | ${(r.polled.rps / r.closed.rps).toFixed(3)} | ${(r.open.rps / r.closed.rps).toFixed(3)} | ${r.closed.p99} / ${r.polled.p99} / ${r.open.p99} |`,
  );
  const med = (f: (r: Round) => number) => median(rounds.map(f));
  const text = [
    `DURATION=${DURATION} WARMUP=${WARMUP} ROUNDS=${ROUNDS} CONNECTIONS=${CONNECTIONS} scripts/bench/dashboard`,
    "",
    "| round | closed req/s | polled req/s | open (Chromium) req/s | polled / closed | open / closed | p99 ms closed / polled / open |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `medians: closed ${n(med((r) => r.closed.rps))}, polled ${n(med((r) => r.polled.rps))}, open ${n(med((r) => r.open.rps))} req/s; ` +
      `polled / closed **${med((r) => r.polled.rps / r.closed.rps).toFixed(3)}**, open / closed **${med((r) => r.open.rps / r.closed.rps).toFixed(3)}**`,
    "",
    "| call the page makes | per second (two tabs) | roomhook CPU per call, no load |",
    "|---|---|---|",
    ...costs.map((c) => `| \`${c.path}\` | ${c.perSecond} | ${c.ms.toFixed(2)} ms |`),
    "",
    `an open dashboard: ${costs.reduce((a, c) => a + c.ms * c.perSecond, 0).toFixed(1)} ms of roomhook CPU per second`,
  ].join("\n");
  console.log(text);
  if (process.env.OUT) writeFileSync(process.env.OUT, `${text}\n`);
}

await main();
