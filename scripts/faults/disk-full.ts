// scripts/faults/disk-full: disk faults against dist/roomhook under concurrent signed load. Loopback only;
// bounded in cycles and time; the tmpfs is unmounted and every process stopped by pid at the end.
//
// Phase A, a real full disk: data_dir on a small tmpfs (mount -t tmpfs -o size=SIZE_MB; needs root).
// Each cycle fills it (a filler file leaves a random 256 KiB..2 MiB, the journal eats the rest), keeps
// the load on for FULL_MS while it is full, then frees the filler. Every other cycle kills -9 while
// the disk is full and restarts on the still-full disk.
// Phase B, I/O errors injected into the running binary with strace (needs strace and ptrace):
//   B1 every third fdatasync fails with EIO, under load;
//   B2 every fdatasync fails with EIO for a while (the journal cannot commit at all);
//   B3 every fsync fails with EIO (the directory fsync of a segment roll, cursor saves), with
//      segment_bytes 16384, one sequential sender shaped 12 KiB / small / small / small: the big
//      one needs a roll (which fails), the small ones still fit the segment whose roll failed.
// Checked throughout: every answer is 200 OK or 503 FAIL 50301 (no other status, no dropped
// connection while the process lives); /readyz answers 503 while the fault lasts and 200 again by
// itself (no callback needed) once it is gone; afterwards callbacks are acknowledged again. At the
// end: every acknowledged event is in the journal exactly once, byte for byte; no event answered
// 503 is in it; seq runs 1..N; `roomhook verify` exits 0; SIGTERM exits 0; the target "sink"
// received every journal event; with STRICT=1, every event the target "strict" refuses (rooms
// ending in 0) is a readable dead letter.
//
// Env: CYCLES=4 SIZE_MB=24 FULL_MS=1500 SENDERS=16 SEED=<random> STRICT=1 (0: no dead-letter target)
//      TMPFS=1 EIO=1 EIO_STEPS=B1,B2,B3 ROOMHOOK=dist/roomhook RESULT=FILE (the result as JSON, for
//      test/e2e/disk-faults.test.ts). Exit 1 on any violation.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkJournalLayout, cleanup, configText, enterBody, hasStrace, newSeed, OK_TEXT, rng, type Roomhook, runCli, scanDeadLetters, scanJournal, sendSigned, Sink, spawnRoomhook, startRoomhook, type TargetToml, tempDir } from "../../test/support/harness.ts";

export interface DiskFaultOptions {
  cycles: number;
  seed: number;
  sizeMb?: number;
  fullMs?: number;
  senders?: number;
  strict?: boolean;
  /** Phase B (strace injection). Default: when strace is installed. */
  eio?: boolean;
  /** Which phase B steps (default all: B1, B2, B3). */
  eioSteps?: string[];
  /** Phase A (tmpfs). Default true; fails when mount is not permitted. */
  tmpfs?: boolean;
  log?: (line: string) => void;
}

export interface DiskFaultResult {
  seed: number;
  violations: string[];
  notes: string[];
  totals: Record<string, number>;
}

const strictRefuses = (roomId: string | null) => roomId !== null && /0$/.test(roomId);
const FAIL_503 = /^\{"ActionStatus":"FAIL","ErrorInfo":"[^"]+","ErrorCode":50301\}$/;

/** Mounted by us and not yet unmounted: released on SIGINT/SIGTERM too. */
const mounts = new Set<string>();
function umount(dir: string): void {
  let u = spawnSync("umount", [dir]);
  if (u.status !== 0) u = spawnSync("umount", ["-l", dir]);
  mounts.delete(dir);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    for (const m of [...mounts]) umount(m);
    process.exit(130);
  });
}

/** The answers of one run of load, by room. */
class Ledger {
  readonly acked = new Map<string, string>();
  readonly failed = new Set<string>();
  readonly violations: string[] = [];
  answers = { ok: 0, unavailable: 0 };
  latencies: number[] = [];
  record(room: string, body: string, status: number, text: string, ms: number): void {
    this.latencies.push(ms);
    if (status === 200 && text === OK_TEXT) {
      this.acked.set(room, body);
      this.answers.ok++;
    } else if (status === 503 && FAIL_503.test(text)) {
      this.failed.add(room);
      this.answers.unavailable++;
    } else if (this.violations.length < 20) this.violations.push(`answer ${status} ${text.slice(0, 120)} (only 200 OK or 503 FAIL 50301 are allowed)`);
  }
}

interface Load {
  stop(): void;
  done: Promise<void>;
  firstFailAt: () => number;
}

/** SENDERS loops of unique signed callbacks (1..16 KiB of padding) until stopped. */
function load(rh: Roomhook, ledger: Ledger, tag: string, senders: number, rand: () => number, expectDeath = false, shaped = 0): Load {
  let stopped = false;
  let firstFail = 0;
  const done = Promise.all(
    Array.from({ length: senders + shaped }, async (_, s) => {
      for (let i = 0; !stopped; i++) {
        const room = `${tag}-s${s}-n${i}`;
        // The first `senders` pad 1..16 KiB at random; a "shaped" sender goes 12 KiB, then three
        // without padding: the big one needs a segment roll, the small ones still fit the old
        // segment (the case where a failed roll matters).
        const pad = s < senders ? 1024 + Math.floor(rand() * 15 * 1024) : i % 4 === 0 ? 12 * 1024 : 0;
        const body = enterBody(room, { Pad: "d".repeat(pad) });
        try {
          const a = await sendSigned(rh.base, body);
          ledger.record(room, body, a.status, a.text, a.ms);
          if (a.status === 503) {
            firstFail ||= performance.now();
            await Bun.sleep(5); // Tencent would not hammer either
          }
        } catch (e) {
          if (!expectDeath && rh.alive && ledger.violations.length < 20) ledger.violations.push(`connection failed while the process was alive: ${(e as Error).message.slice(0, 100)}`);
          if (!rh.alive || expectDeath) return;
        }
      }
    }),
  ).then(() => {});
  return { stop: () => void (stopped = true), done, firstFailAt: () => firstFail };
}

async function readyz(rh: Roomhook): Promise<number> {
  try {
    return (await fetch(`${rh.base}/readyz`)).status;
  } catch {
    return 0;
  }
}

/** Polls /readyz (no callbacks) until it answers 200; returns the ms it took, or -1. */
async function readyAgain(rh: Roomhook, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await readyz(rh)) === 200) return Math.round(performance.now() - t0);
    await Bun.sleep(50);
  }
  return -1;
}

function adminOf(rh: Roomhook): string {
  return `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
}

async function caughtUp(rh: Roomhook, timeoutMs: number): Promise<string | null> {
  const admin = adminOf(rh);
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    try {
      const st = (await (await fetch(`${admin}/v1/targets`)).json()) as { headSeq: number; targets: { name: string; cursor: number; inFlight: number; lag: number }[] };
      if (st.targets.every((t) => t.cursor === st.headSeq && t.inFlight === 0)) return null;
      last = `head ${st.headSeq}, ${st.targets.map((t) => `${t.name} cursor ${t.cursor}`).join(", ")}`;
    } catch (e) {
      last = String(e);
    }
    await Bun.sleep(50);
  }
  return `delivery did not catch up within ${timeoutMs} ms: ${last}`;
}

/** The end-of-phase checks on a stopped service's data_dir. */
async function checkData(dataDir: string, ledger: Ledger, sink: Sink, strict: Sink | null, violation: (s: string) => void): Promise<{ events: number; deadLetters: number }> {
  const ver = await runCli(["verify", "--data-dir", dataDir]);
  if (ver.code !== 0) violation(`roomhook verify exit ${ver.code}: ${ver.stdout.slice(0, 400)}`);
  const j = scanJournal(dataDir);
  if (j.bad.length || j.torn.length) violation(`journal: ${j.bad.length} bad line(s), ${j.torn.length} torn tail(s)`);
  checkJournalLayout(j, dataDir, violation);
  const byRoom = new Map<string, string[]>();
  const ids = new Set<string>();
  for (const l of j.lines) {
    if (ids.has(l.id)) violation(`event id ${l.id} stored twice`);
    ids.add(l.id);
    const r = byRoom.get(l.roomId ?? "");
    if (r) r.push(l.raw);
    else byRoom.set(l.roomId ?? "", [l.raw]);
  }
  let missing = 0;
  for (const [room, body] of ledger.acked) {
    const raws = byRoom.get(room);
    if (!raws || raws.length !== 1 || !raws[0]!.endsWith(`"data":${body}}`)) missing++;
  }
  if (missing) violation(`${missing} of ${ledger.acked.size} acknowledged event(s) not in the journal exactly once, byte for byte`);
  const leaked = [...ledger.failed].filter((r) => byRoom.has(r));
  if (leaked.length) violation(`${leaked.length} event(s) answered 503 are in the journal, e.g. ${leaked[0]}`);
  const undelivered = j.lines.filter((l) => !sink.received.has(l.id));
  if (undelivered.length) {
    const dl = scanDeadLetters(dataDir, "sink");
    const dead = undelivered.filter((l) => dl.ids.has(l.id)).length;
    let why = "";
    try {
      const first = readFileSync(join(dataDir, "dead-letters", "sink.jsonl"), "utf8").split("\n")[0]!;
      why = `; first dead letter: ${JSON.stringify(first.slice(0, first.indexOf(',"event":')))}`;
    } catch {}
    violation(`${undelivered.length} journal event(s) never delivered to "sink" (seq ${undelivered.slice(0, 8).map((l) => l.seq).join(", ")}), ${dead} of them dead-lettered${why}`);
  }
  let deadLetters = 0;
  if (strict) {
    const dl = scanDeadLetters(dataDir, "strict");
    deadLetters = dl.ids.size;
    if (dl.bad.length || dl.tornTail) violation(`dead-letters/strict.jsonl: ${dl.bad.length} unreadable line(s), torn tail ${dl.tornTail} bytes`);
    const lost = j.lines.filter((l) => !strict.received.has(l.id) && !dl.ids.has(l.id));
    if (lost.length) violation(`${lost.length} event(s) neither delivered to "strict" nor a readable dead letter (seq ${lost.slice(0, 8).map((l) => l.seq).join(", ")}${lost.length > 8 ? ", ..." : ""})`);
  }
  return { events: j.lines.length, deadLetters };
}

/**
 * The end of a phase: the fan-out caught up, a clean SIGTERM, then the data checked against the
 * ledger. Every problem goes into `violations` (prefixed with the phase); the phase's own list is
 * returned for its summary line.
 */
async function endPhase(
  phase: string,
  rh: Roomhook,
  dataDir: string,
  ledger: Ledger,
  sink: Sink,
  strict: Sink | null,
  violations: string[],
): Promise<{ res: { events: number; deadLetters: number }; v: string[] }> {
  const lag = await caughtUp(rh, 30_000);
  if (lag) violations.push(`phase ${phase}: ${lag}`);
  const code = await rh.stop();
  if (code !== 0) violations.push(`phase ${phase}: SIGTERM exit ${code}`);
  const v: string[] = [];
  const res = await checkData(dataDir, ledger, sink, strict, (x) => v.push(x));
  v.push(...ledger.violations);
  violations.push(...v.map((x) => `phase ${phase}: ${x}`));
  return { res, v };
}

function targetsFor(sink: Sink, strict: Sink | null): TargetToml[] {
  const t: TargetToml[] = [{ name: "sink", url: sink.url, max_in_flight: 16, retry_delays_ms: [20, 50, 100, 200, 500, 1000, 1000, 1000, 1000, 1000] }];
  if (strict) t.push({ name: "strict", url: strict.url, max_in_flight: 16, retry_delays_ms: [20, 50, 100, 200, 500, 1000, 1000, 1000, 1000, 1000] });
  return t;
}

function free(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

// ---------------------------------------------------------------------------------------------
// Phase A: a real full disk (tmpfs)

async function phaseTmpfs(o: Required<Omit<DiskFaultOptions, "log">>, rand: () => number, log: (l: string) => void, violations: string[], notes: string[]) {
  const mnt = tempDir("diskfull");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${o.sizeMb}m`, "tmpfs", mnt], { encoding: "utf8" });
  if (r.status !== 0) {
    violations.push(`phase A: cannot mount a tmpfs (${r.stderr.trim()}); run as root, or EIO only with TMPFS=0`);
    return;
  }
  mounts.add(mnt);
  const sink = new Sink();
  const strict = o.strict ? new Sink((ev) => (strictRefuses(ev.roomId) ? 422 : 200)) : null;
  let rh: Roomhook | null = null;
  const ledger = new Ledger();
  try {
    const dataDir = join(mnt, "data");
    const toml = configText({ data_dir: dataDir, journal: { durability: "fsync", segment_bytes: 1024 * 1024 } }, targetsFor(sink, strict));
    rh = await startRoomhook({ dataDir, tomlText: toml });
    const filler = join(mnt, "filler.bin");
    for (let c = 0; c < o.cycles; c++) {
      const v: string[] = [];
      const crash = c % 2 === 1;
      const headroom = Math.floor((0.25 + rand() * 1.75) * 1024 * 1024);
      const avail = free(mnt);
      if (avail <= headroom + 1024 * 1024) {
        notes.push(`phase A: stopped after ${c} cycle(s): the journal has used the tmpfs (free ${avail} bytes); raise SIZE_MB for more cycles`);
        break;
      }
      writeFileSync(filler, Buffer.alloc(avail - headroom));
      const before = { ...ledger.answers };
      const l = load(rh, ledger, `a${c}`, o.senders, rand, crash);
      // Until the disk is full, then FULL_MS more; /readyz polled meanwhile.
      const t0 = performance.now();
      let ready503 = 0;
      let fullSince = 0;
      while (performance.now() - t0 < 15_000) {
        if (!fullSince && l.firstFailAt()) fullSince = l.firstFailAt();
        if (fullSince && performance.now() - fullSince > o.fullMs) break;
        if (fullSince && (await readyz(rh)) === 503) ready503++;
        await Bun.sleep(50);
      }
      if (!fullSince) v.push("the disk never filled up (no 503 within 15 s)");
      if (fullSince && ready503 === 0) v.push("/readyz never answered 503 while the disk was full");
      let restartNote = "";
      if (crash) {
        await rh.kill9();
        l.stop();
        await l.done;
        // Restart on the disk that is still full.
        const next = spawnRoomhook({ dataDir, tomlText: toml });
        try {
          const line = await next.waitForLog((x) => x.msg === "roomhook listening", 10_000);
          next.port = Number(String(line.listen).split(":").pop());
          const rz = await readyz(next);
          const probeRoom = `a${c}-on-full-disk`;
          const probeBody = enterBody(probeRoom, { Pad: "f".repeat(64 * 1024) });
          const a = await sendSigned(next.base, probeBody);
          ledger.record(probeRoom, probeBody, a.status, a.text, a.ms);
          restartNote = `kill -9 while full, restart on the full disk: up, /readyz ${rz}, a 64 KiB callback answered ${a.status}`;
          rh = next;
        } catch (e) {
          restartNote = `kill -9 while full, restart on the full disk failed: ${(e as Error).message.split("\n")[0]}`;
          await next.kill9();
          rh = null;
        }
      } else {
        l.stop();
        await l.done;
      }
      const okDuring = ledger.answers.ok - before.ok;
      const unav = ledger.answers.unavailable - before.unavailable;
      rmSync(filler);
      if (!rh) rh = await startRoomhook({ dataDir, tomlText: toml });
      // Readiness comes back by itself: no callback is sent until it does.
      const back = await readyAgain(rh, 6000);
      if (back < 0) v.push("/readyz did not turn 200 within 6 s of freeing space");
      // then 5 callbacks, each must be acknowledged
      for (let k = 0; k < 5; k++) {
        const room = `a${c}-after-${k}`;
        const body = enterBody(room);
        const a = await sendSigned(rh.base, body);
        ledger.record(room, body, a.status, a.text, a.ms);
        if (a.status !== 200) v.push(`callback after freeing space answered ${a.status}`);
      }
      log(
        `disk-full A cycle ${c}: headroom ${(headroom / 1048576).toFixed(2)} MiB; while filling and full: ${okDuring} acknowledged, ${unav} answered 503 FAIL 50301; ` +
          `/readyz 503 seen ${ready503} time(s) while full; ready again ${back} ms after freeing space, then 5 callbacks acknowledged${v.some((x) => x.startsWith("callback after")) ? " (NOT all)" : ""}` +
          (restartNote ? `; ${restartNote}` : "") +
          `; ${v.length ? `VIOLATIONS: ${v.join(" / ")}` : "ok"}`,
      );
      violations.push(...v.map((x) => `phase A cycle ${c}: ${x}`));
    }
    const { res, v } = await endPhase("A", rh, dataDir, ledger, sink, strict, violations);
    rh = null;
    log(
      `disk-full A total: ${ledger.acked.size} acknowledged, ${ledger.failed.size} answered 503; journal ${res.events} events, verify ${v.some((x) => x.includes("verify")) ? "FAILED" : "ok"}; ` +
        `"sink" received ${sink.received.size}; ${strict ? `${res.deadLetters} readable dead letters; ` : ""}${v.length ? `VIOLATIONS ${v.length}` : "ok"}`,
    );
  } finally {
    if (rh?.alive) await rh.kill9();
    sink.stop();
    strict?.stop();
    umount(mnt);
  }
}

// ---------------------------------------------------------------------------------------------
// Phase B: EIO injected with strace into the running binary

async function attachStrace(pid: number, syscall: string, when: string | null): Promise<ChildProcess> {
  const inject = `inject=${syscall}:error=EIO${when ? `:when=${when}` : ""}`;
  const st = spawn("strace", ["-f", "-p", String(pid), "-e", `trace=${syscall}`, "-e", inject, "-o", "/dev/null"], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`strace did not attach: ${err}`)), 5000);
    st.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (/attached/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    st.on("exit", (c) => {
      clearTimeout(timer);
      reject(new Error(`strace exited ${c}: ${err}`));
    });
  });
  return st;
}

async function detachStrace(st: ChildProcess): Promise<void> {
  if (st.exitCode !== null) return;
  const exited = new Promise((r) => st.once("exit", r));
  st.kill("SIGTERM");
  await Promise.race([exited, Bun.sleep(5000)]);
  if (st.exitCode === null && st.signalCode === null) st.kill("SIGKILL");
}

async function phaseEio(o: Required<Omit<DiskFaultOptions, "log">>, rand: () => number, log: (l: string) => void, violations: string[]) {
  const sink = new Sink();
  const strict = o.strict ? new Sink((ev) => (strictRefuses(ev.roomId) ? 422 : 200)) : null;
  const ledger = new Ledger();
  const dataDir = join(tempDir("eio"), "data");
  const toml = configText({ data_dir: dataDir, journal: { durability: "fsync", segment_bytes: 16384 } }, targetsFor(sink, strict));
  let rh: Roomhook | null = await startRoomhook({ dataDir, tomlText: toml });
  const steps: { name: string; syscall: string; when: string | null; ms: number; expectUnready: boolean; senders: number; shaped: number }[] = [
    { name: "B1 every 3rd fdatasync fails (EIO)", syscall: "fdatasync", when: "2+3", ms: 1500, expectUnready: false, senders: Math.min(o.senders, 8), shaped: 0 },
    { name: "B2 every fdatasync fails (EIO)", syscall: "fdatasync", when: null, ms: 1000, expectUnready: true, senders: Math.min(o.senders, 8), shaped: 0 },
    // One sequential sender: concurrent batches group small events with big ones and always roll.
    { name: "B3 every fsync fails (EIO): segment rolls, cursor saves", syscall: "fsync", when: null, ms: 1500, expectUnready: true, senders: 0, shaped: 1 },
  ];
  try {
    for (const s of steps.filter((x) => o.eioSteps.includes(x.name.slice(0, 2)))) {
      const v: string[] = [];
      const before = { ...ledger.answers };
      const st = await attachStrace(rh.pid, s.syscall, s.when);
      await Bun.sleep(200); // every thread attached
      const l = load(rh, ledger, s.name.slice(0, 2).toLowerCase(), s.senders, rand, false, s.shaped);
      const t0 = performance.now();
      let unready = 0;
      while (performance.now() - t0 < s.ms) {
        if ((await readyz(rh)) === 503) unready++;
        await Bun.sleep(50);
      }
      l.stop();
      await l.done;
      await detachStrace(st);
      const unav = ledger.answers.unavailable - before.unavailable;
      const okDuring = ledger.answers.ok - before.ok;
      if (unav === 0) v.push("no callback was answered 503: the injection did not bite");
      if (s.expectUnready && unready === 0) v.push("/readyz never answered 503 during the fault");
      const back = await readyAgain(rh, 6000);
      if (back < 0) v.push("/readyz did not turn 200 within 6 s of the fault ending");
      for (let k = 0; k < 5; k++) {
        const room = `${s.name.slice(0, 2).toLowerCase()}-after-${k}`;
        const body = enterBody(room);
        const a = await sendSigned(rh.base, body);
        ledger.record(room, body, a.status, a.text, a.ms);
        if (a.status !== 200) v.push(`callback after the fault answered ${a.status}`);
      }
      const errors = rh.logs.filter((x) => x.errno === "EIO").length;
      log(
        `disk-full ${s.name} for ${s.ms} ms: ${okDuring} acknowledged, ${unav} answered 503 FAIL 50301; /readyz 503 seen ${unready} time(s); ` +
          `ready again ${back} ms after, then 5 of 5 acknowledged${v.some((x) => x.startsWith("callback after")) ? " (NOT)" : ""}; EIO log lines so far ${errors}; ${v.length ? `VIOLATIONS: ${v.join(" / ")}` : "ok"}`,
      );
      violations.push(...v.map((x) => `phase ${s.name.slice(0, 2)}: ${x}`));
    }
    const { res, v } = await endPhase("B", rh, dataDir, ledger, sink, strict, violations);
    rh = null;
    log(
      `disk-full B total: ${ledger.acked.size} acknowledged, ${ledger.failed.size} answered 503; journal ${res.events} events; "sink" received ${sink.received.size}; ` +
        `${strict ? `${res.deadLetters} readable dead letters; ` : ""}${v.length ? `VIOLATIONS ${v.length}` : "ok"}`,
    );
  } finally {
    if (rh?.alive) await rh.kill9();
    sink.stop();
    strict?.stop();
  }
}

export async function diskFaults(opts: DiskFaultOptions): Promise<DiskFaultResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const o = {
    cycles: opts.cycles,
    seed: opts.seed,
    sizeMb: opts.sizeMb ?? 24,
    fullMs: opts.fullMs ?? 1500,
    senders: opts.senders ?? 16,
    strict: opts.strict ?? true,
    eio: opts.eio ?? hasStrace(),
    tmpfs: opts.tmpfs ?? true,
    eioSteps: opts.eioSteps ?? ["B1", "B2", "B3"],
  };
  const rand = rng(o.seed);
  const violations: string[] = [];
  const notes: string[] = [];
  log(`disk-full: seed ${o.seed}; phase A ${o.tmpfs ? `${o.cycles} cycle(s) on a ${o.sizeMb} MiB tmpfs` : "off"}; phase B (strace EIO) ${o.eio ? "on" : "off"}; targets sink${o.strict ? ", strict" : ""}`);
  try {
    if (o.tmpfs) await phaseTmpfs(o, rand, log, violations, notes);
    if (o.eio) await phaseEio(o, rand, log, violations);
  } finally {
    await cleanup();
  }
  for (const n of notes) log(`note: ${n}`);
  log(`disk-full totals: seed ${o.seed}; violations ${violations.length}`);
  for (const v of violations) log(`VIOLATION ${v}`);
  return { seed: o.seed, violations, notes, totals: { violations: violations.length } };
}

if (import.meta.main) {
  const r = await diskFaults({
    cycles: Number(process.env.CYCLES ?? 4),
    seed: process.env.SEED ? Number(process.env.SEED) : newSeed(),
    sizeMb: process.env.SIZE_MB ? Number(process.env.SIZE_MB) : undefined,
    fullMs: process.env.FULL_MS ? Number(process.env.FULL_MS) : undefined,
    senders: process.env.SENDERS ? Number(process.env.SENDERS) : undefined,
    strict: process.env.STRICT !== "0",
    eio: process.env.EIO === undefined ? undefined : process.env.EIO !== "0",
    tmpfs: process.env.TMPFS !== "0",
    eioSteps: process.env.EIO_STEPS?.split(","),
  });
  // For the e2e test, which runs this script as a process (test/ does not import scripts/).
  if (process.env.RESULT) writeFileSync(process.env.RESULT, JSON.stringify(r));
  process.exit(r.violations.length === 0 ? 0 : 1);
}
