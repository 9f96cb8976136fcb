// scripts/soak/soak: sustained-load soak of dist/roomhook (issue 5, item 5). Run it through
// scripts/soak/soak, which installs the prerequisites and bounds the whole run; settings are env
// vars (see there).
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
//
// One function per phase below; beside it: settings.ts (env), procs.ts (children), roomhook.ts (its
// config and start), sample.ts (the samples), verdict.ts (the verdict lines), plot.ts (gnuplot).

import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, streamLines } from "../../test/support/harness.ts";
import { gnuplot } from "./plot.ts";
import { journalOnDisk, quarantineLines, retentionFromLog } from "./account.ts";
import { childPid, cleanup, spawn, stop, waitHttp } from "./procs.ts";
import { running, startRoomhook, type Roomhook } from "./roomhook.ts";
import { cpuTicks, metricSum, Sampler, scrape, segments, sysCpu } from "./sample.ts";
import {
  BIN,
  CONNECTIONS,
  CSV,
  DATA,
  DRAIN_MAX,
  DURATION,
  KEEP_DATA,
  log,
  OUT,
  PIN,
  PLOT,
  PROBE_SECONDS,
  RATE_ENV,
  RATE_FRACTION,
  RETENTION_HOURS,
  ROOMS,
  ROOT,
  SAMPLE,
  SEGMENT_BYTES,
  setupFail,
} from "./settings.ts";
import { f1, f2, median, verdict, type Done, type Facts, type VerdictLine } from "./verdict.ts";

const env = process.env;

interface Probe {
  rps: number;
  p99_ms: number;
  non2xx: number;
}

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
  const sink = spawn(
    [process.execPath, join(ROOT, "scripts/bench/constant-server.ts"), String(sinkPort), String(bound)],
    bound + 10,
    { cpu: "0", pin: PIN },
  );
  const sinkUrl = `http://127.0.0.1:${sinkPort}/hook`;
  await waitHttp(sinkUrl, sink, "sink");

  // 2. the probe
  const probe = RATE_ENV ? null : await runProbe(sinkUrl);
  const rate = probe ? Math.max(1, Math.floor(probe.rps * RATE_FRACTION)) : RATE_ENV;
  if (probe)
    log(
      `probe: ${probe.rps.toFixed(0)} req/s max (wrk -c${CONNECTIONS}, ${PROBE_SECONDS} s, p99 ${probe.p99_ms} ms) -> soak rate ${rate} req/s (${RATE_FRACTION} x)`,
    );

  // 3. the soak
  const rh = await startRoomhook(DATA, "roomhook", sinkUrl, bound);
  running.soak = rh;
  const jdir = join(DATA, "journal");
  log(
    `roomhook ${version} pid ${rh.pid} on ${rh.url.split("/callback")[0]}, admin ${rh.admin}; data ${DATA} (${fstype})`,
  );
  log(
    `soak: ${rate} req/s for ${DURATION} s, ${CONNECTIONS} connections, ${ROOMS} rooms; segment_bytes ${SEGMENT_BYTES}, retention_hours ${RETENTION_HOURS}; sample every ${SAMPLE} s`,
  );
  const sampler = new Sampler(rh, rate, jdir);
  await sampler.sample("idle", {});
  const load = await runLoad(sampler, rh, sink, rate);

  // 4. drain
  const drain = await runDrain(sampler, jdir);
  const mx = await scrape(rh.admin);
  const last = sampler.rows.at(-1)!;
  log(
    `drain: lag ${last.lag} ${Number.isFinite(drain.drainedAfter) ? `(0 after ${drain.drainedAfter.toFixed(1)} s)` : `after ${DRAIN_MAX} s`}; stopping roomhook`,
  );

  // 5. stop, verify, account
  const stopRc = await stop(rh.proc);
  const verify = await Bun.$`timeout -k 5 300 ${BIN} verify --data-dir ${DATA}`.quiet().nothrow();
  writeFileSync(join(OUT, "verify.out"), verify.stdout.toString() + verify.stderr.toString());
  await stop(sink);
  const segsEnd = segments(jdir);
  for (const n of segsEnd.names) sampler.seen.add(n);
  const f: Facts = {
    rate,
    rows: sampler.rows,
    loadRows: load.loadRows,
    done: load.done,
    loaderRc: load.loaderRc,
    lagAtLoadEnd: load.lagAtLoadEnd,
    ...drain,
    last,
    created: sampler.seen.size,
    segmentsLeft: segsEnd.names.length,
    bytesLeft: segsEnd.bytes,
    ...retentionFromLog(rh.logFile),
    ...journalOnDisk(jdir, segsEnd.names),
    quarantineLines: quarantineLines(DATA),
    acked: load.done.ok ?? NaN,
    sent: load.done.sent ?? NaN,
    accepted: metricSum(mx, "roomhook_callback_requests_total", (l) => l.outcome === "accepted"),
    otherOutcomes: metricSum(mx, "roomhook_callback_requests_total", (l) => l.outcome !== "accepted"),
    journaled: metricSum(mx, "roomhook_journal_batch_records_sum"),
    verifyExit: verify.exitCode,
    verifyLast: verify.stdout.toString().trim().split("\n").slice(-1)[0] ?? "",
    stopRc,
  };
  return await report(f, verdict(f), { version, fstype, probe, cpu: load.cpu });
}

/** A PROBE_SECONDS wrk run against a throwaway roomhook with the soak's config: its req/s. */
async function runProbe(sinkUrl: string): Promise<Probe> {
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
  const m =
    /WRK_RESULT .*?rps=([\d.]+).*?p99_ms=([\d.]+).*?non2xx=(\d+) connect_err=(\d+) read_err=(\d+) write_err=(\d+) timeout_err=(\d+)/.exec(
      out,
    );
  if (!m) setupFail(`the wrk probe gave no result:\n${out}`);
  const probe = {
    rps: Number(m[1]),
    p99_ms: Number(m[2]),
    non2xx: Number(m[3]) + Number(m[4]) + Number(m[5]) + Number(m[6]) + Number(m[7]),
  };
  if (probe.non2xx) setupFail(`the wrk probe saw ${probe.non2xx} non-2xx answers or socket errors:\n${out}`);
  if (rc !== 0) log(`probe roomhook exited ${rc} after SIGTERM`);
  rmSync(pdata, { recursive: true, force: true });
  return probe;
}

/** Where the CPU went during the load (100 % = one core for othersPct; all CPUs for the rest). */
interface CpuShares {
  othersPct: number;
  machineBusy: number;
  machineSteal: number;
  loadEndT: number;
}

/** The load generator (scripts/soak/load.ts) for DURATION s; one sample per window it reports. */
async function runLoad(sampler: Sampler, rh: Roomhook, sink: Subprocess, rate: number) {
  const sys0 = sysCpu();
  const sinkPid = await childPid(sink).catch(() => 0);
  const own0 = cpuTicks(rh.pid) + cpuTicks(sinkPid); // the loader starts at ~0
  const loader = spawn(
    [
      process.execPath,
      join(ROOT, "scripts/soak/load.ts"),
      "--url",
      rh.url,
      "--rate",
      String(rate),
      "--duration",
      String(DURATION),
      "--connections",
      String(CONNECTIONS),
      "--sample",
      String(SAMPLE),
      "--rooms",
      String(ROOMS),
    ],
    DURATION + 60,
    { stdout: "pipe", stderr: "pipe", cpu: "0", pin: PIN },
  );
  const loaderErr = new Response(loader.stderr as ReadableStream).text();
  sampler.loaderPid = await childPid(loader).catch(() => 0);
  sampler.prev.genTicks = sampler.loaderPid ? cpuTicks(sampler.loaderPid) : NaN;
  const done = await readWindows(sampler, loader);
  const loaderRc = await loader.exited;
  const sys1 = sysCpu();
  // prev.genTicks: the loader's CPU at the last load sample (it has exited by now)
  const own1 =
    cpuTicks(rh.pid) + cpuTicks(sinkPid) + (Number.isFinite(sampler.prev.genTicks) ? sampler.prev.genTicks : 0);
  const ncpu = navigator.hardwareConcurrency;
  const cpu: CpuShares = {
    // CPU taken by processes other than roomhook, the loader and the sink: noise (100 % = one core)
    othersPct:
      (100 * Math.max(0, sys1.busy - sys0.busy - (own1 - own0))) / Math.max(1, (sys1.total - sys0.total) / ncpu),
    loadEndT: (performance.now() - sampler.t0) / 1000,
    machineBusy: (100 * (sys1.busy - sys0.busy)) / Math.max(1, sys1.total - sys0.total),
    machineSteal: (100 * (sys1.steal - sys0.steal)) / Math.max(1, sys1.total - sys0.total),
  };
  if (loaderRc !== 0 || done.sent === undefined) {
    log(`the load generator exited ${loaderRc}: ${(await loaderErr).slice(0, 2000)}`);
  }
  const lagAtLoadEnd = sampler.rows.at(-1)!.lag;
  const loadRows = sampler.rows.filter((r) => r.phase === "load");
  if (loadRows.length < 3)
    throw new Error(`only ${loadRows.length} load samples: the load generator failed (${OUT}/loader.jsonl)`);
  return { done, loaderRc, cpu, lagAtLoadEnd, loadRows };
}

/** The loader's JSON lines, copied to loader.jsonl: a sample per window; returns its totals. */
async function readWindows(sampler: Sampler, loader: Subprocess): Promise<Done> {
  let done: Done = {} as never;
  let lastPrint = 0;
  for await (const line of streamLines(loader.stdout as ReadableStream<Uint8Array>)) {
    appendFileSync(join(OUT, "loader.jsonl"), `${line}\n`);
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line);
    } catch {
      continue;
    }
    if (j.type === "done") {
      done = j as Done;
      continue;
    }
    if (j.type !== "window") continue;
    if (j.final && (j.window_s as number) < SAMPLE / 2) continue; // the stub after the last full window
    const pick = (k: string) => (typeof j[k] === "number" ? (j[k] as number) : NaN);
    const r = await sampler.sample("load", {
      scheduled: pick("scheduled"),
      sent: pick("sent"),
      completed: pick("completed"),
      rps: pick("rps"),
      ok: pick("ok"),
      non2xx: pick("non2xx"),
      errors: pick("errors"),
      p50_ms: pick("p50_ms"),
      p90_ms: pick("p90_ms"),
      p99_ms: pick("p99_ms"),
      max_ms: pick("max_ms"),
      svc_p99_ms: pick("svc_p99_ms"),
      backlog: pick("backlog"),
      gen_stall_ms: pick("gen_stall_ms"),
    });
    if (r.t_s - lastPrint >= 30 || sampler.rows.length <= 2) {
      lastPrint = r.t_s;
      log(
        `t=${r.t_s.toFixed(0)}s ${r.rps} req/s p50 ${f2(r.p50_ms)} p99 ${f2(r.p99_ms)} ms (fsync ${f2(r.fsync_mean_ms)} ms x ${f1(r.batch_mean)}); RSS ${r.rss_mib} MiB; ${r.segments} segs ${r.journal_mib} MiB (created ${r.segments_created}, removed ${r.segments_removed}); lag ${r.lag} (${r.target_state}), ${r.delivered_rps} deliv/s`,
      );
    }
  }
  return done;
}

/**
 * Sampling (every second) until the target's lag is 0 (at most DRAIN_MAX s); then, when retention
 * is short (<= 60 s), until roomhook's next retention pass (it runs once a minute) removes what
 * the catch-up freed (at most 65 s).
 */
async function runDrain(sampler: Sampler, jdir: string) {
  const drainStart = performance.now();
  let drainedAfter = NaN;
  let removedAtDrain = 0;
  let eligibleAtDrain = 0; // segments (not the newest) already older than retention at catch-up
  let afterDrain = "";
  let afterDrainOk = true;
  for (;;) {
    const r = await sampler.sample("drain", {});
    const el = (performance.now() - drainStart) / 1000;
    if (!Number.isFinite(drainedAfter)) {
      if (r.lag === 0) {
        drainedAfter = el;
        removedAtDrain = r.segments_removed;
        eligibleAtDrain = pastRetention(jdir);
        if (RETENTION_HOURS * 3600 > 60 || r.segments <= 1) break;
        log(
          `caught up ${el.toFixed(1)} s after the load (${r.segments} segments, ${eligibleAtDrain} past retention); waiting for roomhook's next retention pass (once a minute)`,
        );
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
  return { drainedAfter, afterDrain, afterDrainOk };
}

/** Segments (not the newest) already older than the retention. */
function pastRetention(jdir: string): number {
  const names = segments(jdir).names.slice(0, -1);
  return names.filter((n) => {
    try {
      return Date.now() - statSync(join(jdir, n)).mtimeMs >= RETENTION_HOURS * 3600_000;
    } catch {
      return false;
    }
  }).length;
}

/** verdict.txt, summary.json, the plot; the verdict on stdout; data/ removed when durable. */
async function report(
  f: Facts,
  v: VerdictLine[],
  run: { version: string; fstype: string; probe: Probe | null; cpu: CpuShares },
): Promise<number> {
  const { rate, rows, loadRows } = f;
  const { othersPct, machineBusy, machineSteal, loadEndT } = run.cpu;
  const pass = v.every((x) => x.ok);
  const header = [
    `roomhook soak ${new Date().toISOString()}: ${run.version}; ${rate} req/s x ${DURATION} s${run.probe ? ` (${RATE_FRACTION} x probe ${run.probe.rps.toFixed(0)} req/s)` : " (RATE)"}; ${CONNECTIONS} connections, ${ROOMS} rooms`,
    `host ${(await Bun.$`uname -srm`.quiet().text()).trim()}, ${navigator.hardwareConcurrency} CPUs; data dir fs ${run.fstype}; machine busy ${machineBusy.toFixed(0)} % (all CPUs), steal ${machineSteal.toFixed(1)} %, CPU outside the soak's processes (others, kernel threads, interrupts) ${othersPct.toFixed(0)} % of a core during the load; roomhook CPU ${f1(median(loadRows.map((r) => r.cpu_pct)))} %, load generator CPU ${f1(median(loadRows.map((r) => r.gen_cpu_pct)))} % (medians, 100 % = one core)`,
    `files: ${OUT} (soak.csv, summary.json, roomhook.log); plot ${PLOT}`,
  ];
  const lines = [
    ...header,
    "",
    ...v.map((x) => `${x.ok ? "PASS" : "FAIL"}  ${x.line}`),
    "",
    `VERDICT: ${pass ? "PASS" : "FAIL"}`,
  ];
  for (const p of f.problems.slice(0, 10)) lines.splice(lines.length - 2, 0, `  log: ${p}`);
  writeFileSync(join(OUT, "verdict.txt"), `${lines.join("\n")}\n`);
  const { done: loader, drainedAfter, removedByLog, eventsRemoved, lastSeq, linesLeft, accepted, journaled } = f;
  const rolls = f.created - 1;
  writeFileSync(
    join(OUT, "summary.json"),
    JSON.stringify(
      {
        version: run.version,
        rate,
        probe: run.probe,
        duration: DURATION,
        machineBusy,
        machineSteal,
        othersPct,
        loader,
        loadEndT,
        drainedAfter,
        rolls,
        removedByLog,
        eventsRemoved,
        lastSeq,
        linesLeft,
        accepted,
        journaled,
        verdict: v,
        pass,
      },
      null,
      2,
    ),
  );

  const gp = join(OUT, "soak.gp");
  mkdirSync(dirname(PLOT), { recursive: true });
  writeFileSync(
    gp,
    gnuplot(
      CSV,
      PLOT,
      rate,
      DURATION,
      Math.ceil(rows.at(-1)!.t_s * 1.03),
      `roomhook soak: ${rate} req/s for ${DURATION} s, fsync, segment ${(SEGMENT_BYTES / 1048576).toFixed(0)} MiB, retention ${RETENTION_HOURS} h, 1 target`,
    ),
  );
  const g = await Bun.$`gnuplot ${gp}`.quiet().nothrow();
  if (g.exitCode !== 0) log(`gnuplot failed (${g.exitCode}): ${g.stderr.toString().slice(0, 500)}`);

  console.log(lines.join("\n"));
  // The journal is worth keeping only when the durability checks failed (or when asked).
  const durable = v.slice(-2).every((x) => x.ok);
  if (!KEEP_DATA && durable) rmSync(DATA, { recursive: true, force: true });
  else log(`data kept: ${DATA}`);
  return pass ? 0 : 1;
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
    console.log(
      `FAIL  roomhook exited (${soak.proc.exitCode ?? soak.proc.signalCode}) during the soak; the last lines of ${soak.logFile}:\n${tail}\n\nVERDICT: FAIL`,
    );
    rc = 1;
  }
} finally {
  cleanup();
}
process.exit(rc);
