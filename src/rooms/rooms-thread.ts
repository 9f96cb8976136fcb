// The rooms thread (a Bun Worker started by threaded.ts): it follows the journal and keeps the
// projection, so the callback path never spends a moment on it. It applies committed lines in
// batches, answers queries between batches, publishes its figures in the shared buffer, writes the
// snapshot every [rooms] snapshot_every_s while the state moves, and drops destroyed rooms past their retention.
import { currentThreadId, setThreadIdle, setThreadNice } from "../threads/priority.ts";
import type { FromRooms, ToRooms } from "./messages.ts";
import { Projection } from "./projection.ts";
import { SharedState } from "./shared-state.ts";

/** Lines applied between two looks at the message queue: a few ms of work. */
const BATCH = 2_000;
const SWEEP_EVERY_MS = 60_000;
const PUBLISH_EVERY_MS = 250;
/** Lines read in one go after which a collection returns the parsing's garbage to the system. */
const BIG_BACKLOG = 100_000;
/** How long a caught-up follower waits for more commits before reading again. */
const GATHER_MS = 25;
/** A follower that was not told of a commit (or whose segment could not be opened) looks anyway. */
const IDLE_POLL_MS = 1_000;

const port = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<ToRooms>) => void) | null;
  postMessage(m: FromRooms): void;
};

let projection: Projection | null = null;
let shared: SharedState | null = null;
let stopping = false;
let wake: (() => void) | null = null;
const timers: ReturnType<typeof setInterval>[] = [];

const log = (level: "info" | "warn" | "error", fields: Record<string, unknown>, msg: string) =>
  port.postMessage({ t: "log", level, fields, msg });

function publish(full: boolean): void {
  if (!projection || !shared) return;
  shared.set("applied", projection.state.seq);
  if (!full) return;
  const s = projection.stats();
  shared.set("activeRooms", s.activeRooms);
  shared.set("members", s.members);
  shared.set("countMismatches", s.countMismatches);
  shared.set("snapshotSeq", s.snapshotSeq);
  shared.set("snapshotSavedAt", s.snapshotSavedAt ?? -1);
  shared.set("gaps", s.gaps);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      wake = null;
      resolve();
    }, ms);
    wake = () => {
      clearTimeout(t);
      wake = null;
      resolve();
    };
  });
}

async function follow(p: Projection, sh: SharedState): Promise<void> {
  let backlog = 0;
  while (!stopping) {
    const n = p.catchUp(sh.get("head"), BATCH);
    publish(false);
    if (n === BATCH) {
      backlog += n;
      await new Promise((r) => setImmediate(r)); // a backlog: let queries and timers in, read on
      continue;
    }
    if (backlog >= BIG_BACKLOG) compact();
    backlog = 0;
    // Caught up. Under load commits come every millisecond or so: a short pause turns many tiny
    // reads (each an open, a read and a close of the segment) into one, for a few ms of lag.
    await sleep(GATHER_MS);
    if (stopping || sh.get("head") > p.state.seq) continue;
    // Idle: ask to be told of the next commit, then look once more (it may have come between).
    sh.askForNudge();
    if (sh.get("head") > p.state.seq && p.catchUp(sh.get("head"), 1) > 0) {
      sh.cancelNudgeRequest();
      continue;
    }
    await sleep(IDLE_POLL_MS);
  }
}

/**
 * A full collection in this thread (the service thread is not paused by it): after a rebuild or a
 * snapshot the garbage of parsed lines or of the snapshot's text would otherwise stay resident.
 */
function compact(): void {
  Bun.gc(true);
}

async function saveSnapshot(): Promise<void> {
  try {
    const wrote = projection?.dirty === true;
    await projection?.saveSnapshot();
    if (wrote) compact();
    publish(true);
  } catch (e) {
    log("error", { err: (e as Error).message }, "rooms: cannot write the snapshot; retrying later");
  }
}

/**
 * This thread takes only CPU nothing else wants: SCHED_IDLE (Linux; any other thread that wakes
 * preempts it at once), else nice 19, for this thread only. Room state is a view of the journal and
 * may fall behind while the machine is saturated (projection_lag shows it); the acks may not. With a
 * core to spare it runs at full speed all the same.
 */
function yieldCpu(): void {
  try {
    const tid = currentThreadId();
    if (!setThreadIdle(tid)) setThreadNice(tid, 19);
  } catch (e) {
    log("warn", { err: (e as Error).message }, "rooms: cannot lower the projection thread's priority");
  }
}

function init(m: Extract<ToRooms, { t: "init" }>): void {
  yieldCpu();
  shared = new SharedState(m.buffer);
  const p = new Projection({
    dataDir: m.dataDir,
    retainDestroyedHours: m.retainDestroyedHours,
    warn: (fields, msg) => log("warn", fields, msg),
  });
  const started = performance.now();
  p.open(shared.get("head"));
  compact(); // the snapshot's text is garbage now
  projection = p;
  publish(true);
  log("info", { snapshotSeq: p.state.seq, ms: Math.round(performance.now() - started) }, "rooms: state loaded");
  timers.push(setInterval(() => publish(true), PUBLISH_EVERY_MS));
  timers.push(setInterval(() => void saveSnapshot(), m.snapshotEveryMs));
  timers.push(setInterval(() => p.sweep(), SWEEP_EVERY_MS));
  void follow(p, shared).catch((e) => log("error", { err: (e as Error).message }, "rooms: the follower stopped"));
}

async function stop(): Promise<void> {
  stopping = true;
  wake?.();
  for (const t of timers) clearInterval(t);
  await saveSnapshot();
  port.postMessage({ t: "stopped" });
}

port.onmessage = (ev) => {
  const m = ev.data;
  switch (m.t) {
    case "init":
      return init(m);
    case "nudge":
      wake?.();
      return;
    case "query":
      if (!projection) return; // init always comes first
      port.postMessage({ t: "answer", id: m.id, a: projection.answer(m.q) });
      return;
    case "retain":
      if (projection) projection.retainDestroyedHours = m.hours;
      return;
    case "stop":
      void stop();
      return;
  }
};
