// scripts/faults/disk-full: disk faults against dist/roomhook under concurrent signed load.
// Loopback only; bounded in cycles and time; the tmpfs is unmounted and every process stopped by
// pid at the end.
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
//
// Phase A is below; phase B is in disk-eio.ts; disk-check.ts has the ledger, the load and the checks.
import { spawnSync } from "node:child_process";
import { rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cleanup,
  configText,
  enterBody,
  hasStrace,
  newSeed,
  rng,
  sendSigned,
  Sink,
  spawnRoomhook,
  startRoomhook,
  tempDir,
  type Roomhook,
} from "../../test/support/harness.ts";
import {
  endPhase,
  Ledger,
  load,
  readyAgain,
  readyz,
  strictRefuses,
  targetsFor,
  type DiskFaultOptions,
  type DiskFaultResult,
  type DiskFaultSettings,
  type Load,
} from "./disk-check.ts";
import { phaseEio } from "./disk-eio.ts";

export type { DiskFaultOptions, DiskFaultResult };

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

function free(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

// ---------------------------------------------------------------------------------------------
// Phase A: a real full disk (tmpfs)

/** Phase A's state across its cycles. */
interface TmpfsRun {
  o: DiskFaultSettings;
  rand: () => number;
  log: (l: string) => void;
  violations: string[];
  notes: string[];
  mnt: string;
  dataDir: string;
  toml: string;
  ledger: Ledger;
  rh: Roomhook | null;
}

async function phaseTmpfs(
  o: DiskFaultSettings,
  rand: () => number,
  log: (l: string) => void,
  violations: string[],
  notes: string[],
) {
  const mnt = tempDir("diskfull");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${o.sizeMb}m`, "tmpfs", mnt], { encoding: "utf8" });
  if (r.status !== 0) {
    violations.push(`phase A: cannot mount a tmpfs (${r.stderr.trim()}); run as root, or EIO only with TMPFS=0`);
    return;
  }
  mounts.add(mnt);
  const sink = new Sink();
  const strict = o.strict ? new Sink((ev) => (strictRefuses(ev.roomId) ? 422 : 200)) : null;
  const dataDir = join(mnt, "data");
  const toml = configText(
    { data_dir: dataDir, journal: { durability: "fsync", segment_bytes: 1024 * 1024 } },
    targetsFor(sink, strict),
  );
  const run: TmpfsRun = { o, rand, log, violations, notes, mnt, dataDir, toml, ledger: new Ledger(), rh: null };
  const ledger = run.ledger;
  try {
    run.rh = await startRoomhook({ dataDir, tomlText: toml });
    for (let c = 0; c < o.cycles; c++) if (!(await fullDiskCycle(run, c))) break;
    const { res, v } = await endPhase("A", run.rh!, dataDir, ledger, sink, strict, violations);
    run.rh = null;
    log(
      `disk-full A total: ${ledger.acked.size} acknowledged, ${ledger.failed.size} answered 503; journal ${res.events} events, verify ${v.some((x) => x.includes("verify")) ? "FAILED" : "ok"}; ` +
        `"sink" received ${sink.received.size}; ${strict ? `${res.deadLetters} readable dead letters; ` : ""}${v.length ? `VIOLATIONS ${v.length}` : "ok"}`,
    );
  } finally {
    if (run.rh?.alive) await run.rh.kill9();
    sink.stop();
    strict?.stop();
    umount(mnt);
  }
}

/**
 * One cycle: a filler leaves a random headroom, the load fills the rest and goes on for FULL_MS
 * (every other cycle ends in kill -9 and a restart on the full disk), then the filler is freed.
 * False when the journal has used up the tmpfs and no more cycles fit.
 */
async function fullDiskCycle(run: TmpfsRun, c: number): Promise<boolean> {
  const { o, rand, ledger, mnt } = run;
  const v: string[] = [];
  const crash = c % 2 === 1;
  const headroom = Math.floor((0.25 + rand() * 1.75) * 1024 * 1024);
  const avail = free(mnt);
  if (avail <= headroom + 1024 * 1024) {
    run.notes.push(
      `phase A: stopped after ${c} cycle(s): the journal has used the tmpfs (free ${avail} bytes); raise SIZE_MB for more cycles`,
    );
    return false;
  }
  const filler = join(mnt, "filler.bin");
  writeFileSync(filler, Buffer.alloc(avail - headroom));
  const before = { ...ledger.answers };
  const l = load(run.rh!, ledger, `a${c}`, o.senders, rand, crash);
  const ready503 = await untilFull(run, l, v);
  let restartNote = "";
  if (crash) restartNote = await restartOnFullDisk(run, c, l);
  else {
    l.stop();
    await l.done;
  }
  const okDuring = ledger.answers.ok - before.ok;
  const unav = ledger.answers.unavailable - before.unavailable;
  rmSync(filler);
  if (!run.rh) run.rh = await startRoomhook({ dataDir: run.dataDir, tomlText: run.toml });
  const back = await afterFreeing(run, c, v);
  run.log(
    `disk-full A cycle ${c}: headroom ${(headroom / 1048576).toFixed(2)} MiB; while filling and full: ${okDuring} acknowledged, ${unav} answered 503 FAIL 50301; ` +
      `/readyz 503 seen ${ready503} time(s) while full; ready again ${back} ms after freeing space, then 5 callbacks acknowledged${v.some((x) => x.startsWith("callback after")) ? " (NOT all)" : ""}` +
      (restartNote ? `; ${restartNote}` : "") +
      `; ${v.length ? `VIOLATIONS: ${v.join(" / ")}` : "ok"}`,
  );
  run.violations.push(...v.map((x) => `phase A cycle ${c}: ${x}`));
  return true;
}

/** Until the disk is full, then FULL_MS more; /readyz polled meanwhile. Returns its 503 count. */
async function untilFull(run: TmpfsRun, l: Load, v: string[]): Promise<number> {
  const t0 = performance.now();
  let ready503 = 0;
  let fullSince = 0;
  while (performance.now() - t0 < 15_000) {
    if (!fullSince && l.firstFailAt()) fullSince = l.firstFailAt();
    if (fullSince && performance.now() - fullSince > run.o.fullMs) break;
    if (fullSince && (await readyz(run.rh!)) === 503) ready503++;
    await Bun.sleep(50);
  }
  if (!fullSince) v.push("the disk never filled up (no 503 within 15 s)");
  if (fullSince && ready503 === 0) v.push("/readyz never answered 503 while the disk was full");
  return ready503;
}

/** kill -9 while full, then a restart on the disk that is still full and one 64 KiB callback. */
async function restartOnFullDisk(run: TmpfsRun, c: number, l: Load): Promise<string> {
  await run.rh!.kill9();
  l.stop();
  await l.done;
  const next = spawnRoomhook({ dataDir: run.dataDir, tomlText: run.toml });
  try {
    const line = await next.waitForLog((x) => x.msg === "roomhook listening", 10_000);
    next.port = Number(String(line.listen).split(":").pop());
    const rz = await readyz(next);
    const probeRoom = `a${c}-on-full-disk`;
    const probeBody = enterBody(probeRoom, { Pad: "f".repeat(64 * 1024) });
    const a = await sendSigned(next.base, probeBody);
    run.ledger.record(probeRoom, probeBody, a.status, a.text, a.ms);
    run.rh = next;
    return `kill -9 while full, restart on the full disk: up, /readyz ${rz}, a 64 KiB callback answered ${a.status}`;
  } catch (e) {
    await next.kill9();
    run.rh = null;
    return `kill -9 while full, restart on the full disk failed: ${(e as Error).message.split("\n")[0]}`;
  }
}

/** Readiness comes back by itself (no callback is sent until it does), then 5 callbacks. */
async function afterFreeing(run: TmpfsRun, c: number, v: string[]): Promise<number> {
  const rh = run.rh!;
  const back = await readyAgain(rh, 6000);
  if (back < 0) v.push("/readyz did not turn 200 within 6 s of freeing space");
  for (let k = 0; k < 5; k++) {
    const room = `a${c}-after-${k}`;
    const body = enterBody(room);
    const a = await sendSigned(rh.base, body);
    run.ledger.record(room, body, a.status, a.text, a.ms);
    if (a.status !== 200) v.push(`callback after freeing space answered ${a.status}`);
  }
  return back;
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
  log(
    `disk-full: seed ${o.seed}; phase A ${o.tmpfs ? `${o.cycles} cycle(s) on a ${o.sizeMb} MiB tmpfs` : "off"}; phase B (strace EIO) ${o.eio ? "on" : "off"}; targets sink${o.strict ? ", strict" : ""}`,
  );
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
