// scripts/faults/crash-loop: kill -9 at random and at aimed moments, restart, check. Loopback only,
// bounded in rounds and time; every process is started by us (test/support/harness.ts) and killed
// by pid.
//
// Each round: SENDERS concurrent signed callbacks (RATE requests/s in all) against dist/roomhook with
// durability = "fsync" and two targets on local sinks: "sink" answers 200, "strict" answers 422 to
// the rooms whose number ends in 0 (so dead letters are written while we kill); kill -9 at a moment
// chosen by the round's kind; restart on the same data_dir; check:
//   - before recovery: the only damage allowed is a torn last line of the newest segment; the cursor
//     files parse and are not ahead of the last complete journal line;
//   - after recovery: `roomhook verify` exits 0; seq runs 1..N with no gap and every segment is named
//     after its first seq; no event id twice; every acknowledged event there exactly once, byte for
//     byte; the restart's nextSeq is N+1 and the next callback gets N+1; acknowledged bodies sent
//     again are not stored again; no cursor moved back or is ahead of the journal;
//   - delivery: both targets catch up (cursor = head); "sink" has received every journal event (so
//     every acknowledged one) at least once and nothing that is not in the journal; for "strict",
//     every journal event was delivered or is a readable dead letter (file and admin API agree).
// Kinds of round, in turn:
//   random  segment_bytes 65536, kill after a random 150..1500 ms of load
//   roll    segment_bytes 4096 (almost every batch rolls); kill the moment the k-th new segment file
//           appears (inotify), k random in 1..20: the kill lands inside the roll (open, directory
//           fsync, first write and fdatasync of the new segment)
//   cursor  kill the moment a cursor temp file appears (inotify; inside the 250 ms cursor save:
//           write, fsync, rename, directory fsync), or 0..250 ms after a random sink receipt
//   torn    250-500 KiB bodies, so a batch is megabytes; kill when the newest segment grows past a
//           random size (polled): the kill lands inside the write(2) and leaves a torn tail
// A fresh data_dir every EPOCH rounds keeps the journal (and its 4 KiB segments) small.
//
// Env: ROUNDS=50 SEED=<random> SENDERS=16 RATE=2500 EPOCH=10 STRICT=1 (0: no dead-letter target)
//      ROOMHOOK=dist/roomhook RESULT=FILE (the result as JSON, for test/e2e/crash-loop.test.ts).
//      Exit 0 when no violation was found, 1 otherwise.
//
// The phases of a round: crash-kill.ts (the kill trigger), crash-check.ts (load, the files after the
// kill, restart, recovery, delivery); crash-round.ts holds what they share.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, newSeed, rng, Sink, startRoomhook, tempDir } from "../../test/support/harness.ts";
import { armKill } from "./crash-kill.ts";
import { checkDelivery, checkRecovery, finishRound, inspectCrash, restart, runLoad } from "./crash-check.ts";
import {
  configFor,
  KINDS,
  strictRefuses,
  targetsFor,
  type Loop,
  type Round,
  type RoundKind,
  type RoundResult,
} from "./crash-round.ts";

export { KINDS, type RoundKind, type RoundResult };

export interface CrashLoopOptions {
  rounds: number;
  seed: number;
  senders?: number;
  rate?: number;
  epoch?: number;
  /** The second target that dead-letters a fifth of the rooms (default true). */
  strict?: boolean;
  log?: (line: string) => void;
}

export interface CrashLoopResult {
  seed: number;
  rounds: RoundResult[];
  violations: string[];
  totals: Record<string, number>;
}

export async function crashLoop(o: CrashLoopOptions): Promise<CrashLoopResult> {
  const sink = new Sink();
  const strict = o.strict === false ? null : new Sink((ev) => (strictRefuses(ev.roomId) ? 422 : 200));
  const targets = targetsFor(sink, strict);
  const L: Loop = {
    seed: o.seed,
    rounds: o.rounds,
    rand: rng(o.seed),
    log: o.log ?? ((l: string) => console.log(l)),
    senders: o.senders ?? 16,
    rate: o.rate ?? 2500,
    epoch: o.epoch ?? 10,
    sink,
    strict,
    targets,
    names: targets.map((t) => t.name),
    results: [],
    all: [],
    rh: null,
    dataDir: "",
    acked: new Map(),
    lastCursor: new Map(),
    knownBadDeadLetters: new Set(),
    adminDeadLettersBroken: false,
  };
  L.log(
    `crash-loop: seed ${o.seed}, ${o.rounds} rounds, ${L.senders} senders at ${L.rate} req/s in all (torn rounds: unthrottled, 250-500 KiB bodies), ` +
      `targets ${L.names.join(", ")}, fresh data_dir every ${L.epoch} rounds`,
  );
  try {
    for (let round = 0; round < o.rounds; round++) if (!(await runRound(L, round))) break;
  } finally {
    if (L.rh?.alive) {
      const code = await L.rh.stop().catch(() => -1);
      if (code !== 0) L.all.push(`final SIGTERM exit ${code}`);
    }
    sink.stop();
    strict?.stop();
    await cleanup();
  }
  const totals = totalsOf(L);
  for (const x of L.all) L.log(`VIOLATION ${x}`);
  return { seed: o.seed, rounds: L.results, violations: L.all, totals };
}

/** Runs round `round`; false when the restart failed and the loop must stop. */
export async function runRound(L: Loop, round: number): Promise<boolean> {
  const kind = KINDS[round % KINDS.length]!;
  const v: string[] = [];
  const R: Round = {
    round,
    kind,
    t0: performance.now(),
    v,
    violation: (s) => v.push(s),
    killed: false,
    trigger: "",
    cutOff: 0,
    ackedNow: 0,
    deadLetters: 0,
  };
  if (round % L.epoch === 0) await newEpoch(L, round, kind);
  const cur = L.rh!;
  const trap = armKill(L, R, cur);
  await runLoad(L, R, cur, trap);
  const crash = inspectCrash(L, R);
  const next = await restart(L, R);
  if (!next) {
    finishRound(L, R, crash);
    L.rh = null;
    return false;
  }
  L.rh = next;
  await checkRecovery(L, R, next, crash);
  await checkDelivery(L, R, next);
  finishRound(L, R, crash);
  return true;
}

/** A fresh data_dir (and server) every EPOCH rounds keeps the journal and its segments small. */
async function newEpoch(L: Loop, round: number, kind: RoundKind): Promise<void> {
  if (L.rh) {
    const code = await L.rh.stop();
    if (code !== 0) L.all.push(`epoch end before round ${round}: SIGTERM exit ${code}`);
  }
  L.dataDir = join(tempDir("crashloop"), "data");
  L.acked = new Map();
  L.lastCursor = new Map();
  L.knownBadDeadLetters = new Set();
  L.adminDeadLettersBroken = false;
  L.sink.received.clear(); // the previous data_dir's server is stopped: its deliveries are done
  L.strict?.received.clear();
  L.rh = await startRoomhook({ dataDir: L.dataDir, tomlText: configFor(L.dataDir, kind, L.targets) });
}

/** The totals over every round, and their line. */
function totalsOf(L: Loop): Record<string, number> {
  const results = L.results;
  const count = (f: (r: RoundResult) => boolean) => results.filter(f).length;
  const totals = {
    rounds: results.length,
    acked: results.reduce((a, r) => a + r.acked, 0),
    cutOff: results.reduce((a, r) => a + r.cutOff, 0),
    tornTails: count((r) => r.tornTail),
    emptySegments: count((r) => r.emptySegment),
    cursorTmpLeft: count((r) => r.cursorTmpLeft),
    deadLetterTornTails: count((r) => r.deadLetterTornTail),
    violatingRounds: count((r) => r.violations.length > 0),
    violations: L.all.length,
  };
  L.log(
    `crash-loop totals: seed ${L.seed}, ${totals.rounds} rounds (${KINDS.map((k) => `${count((r) => r.kind === k)} ${k}`).join(", ")}), ` +
      `${totals.acked} acknowledged, ${totals.cutOff} requests cut off by kills; kills that left a torn journal tail ${totals.tornTails}, ` +
      `an empty new segment ${totals.emptySegments}, a cursor temp file ${totals.cursorTmpLeft}, a torn dead-letter line ${totals.deadLetterTornTails}; ` +
      `rounds with violations ${totals.violatingRounds}, violations ${totals.violations}`,
  );
  return totals;
}

if (import.meta.main) {
  const seed = process.env.SEED ? Number(process.env.SEED) : newSeed();
  const r = await crashLoop({
    rounds: Number(process.env.ROUNDS ?? 50),
    seed,
    senders: process.env.SENDERS ? Number(process.env.SENDERS) : undefined,
    rate: process.env.RATE ? Number(process.env.RATE) : undefined,
    epoch: process.env.EPOCH ? Number(process.env.EPOCH) : undefined,
    strict: process.env.STRICT !== "0",
  });
  // For the e2e test, which runs this script as a process (test/ does not import scripts/).
  if (process.env.RESULT) writeFileSync(process.env.RESULT, JSON.stringify(r));
  process.exit(r.violations.length === 0 ? 0 : 1);
}
