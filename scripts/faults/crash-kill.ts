// The kill trigger of a scripts/faults/crash-loop round, by kind (the kinds are listed in
// crash-loop.ts): a timer, the k-th segment roll (inotify), a cursor save or a sink receipt, or the
// newest segment growing mid-write. Each has a fallback timer, so every round ends in a kill.
import { existsSync, statSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { Roomhook } from "../../test/support/harness.ts";
import { newestSegment, type Loop, type Round } from "./crash-round.ts";

export interface Trap {
  watchers: FSWatcher[];
  timers: ReturnType<typeof setTimeout>[];
  poller: Promise<void>;
  kill: (why: string) => void;
  since: () => string;
}

export function armKill(L: Loop, R: Round, cur: Roomhook): Trap {
  const t1 = performance.now();
  const trap: Trap = {
    watchers: [],
    timers: [],
    poller: Promise.resolve(),
    kill: (why) => {
      if (R.killed) return;
      R.killed = true;
      cur.proc.kill(9);
      R.trigger = why;
    },
    since: () => `${Math.round(performance.now() - t1)} ms`,
  };
  if (R.kind === "random") {
    const at = 150 + Math.floor(L.rand() * 1350);
    trap.timers.push(setTimeout(() => trap.kill(`timer ${at} ms`), at));
  } else if (R.kind === "roll") killOnRoll(L, trap);
  else if (R.kind === "cursor") killOnCursorSave(L, trap);
  else killOnGrowth(L, R, trap);
  return trap;
}

/** Inside a segment roll: the moment the k-th new segment file appears (inotify). */
function killOnRoll(L: Loop, trap: Trap): void {
  const k = 1 + Math.floor(L.rand() * 20);
  const seen = new Set<string>();
  let rolls = 0;
  trap.watchers.push(
    watch(join(L.dataDir, "journal"), (_ev, name) => {
      if (!name || !/^\d{20}\.jsonl$/.test(name) || seen.has(name)) return;
      seen.add(name);
      if (++rolls === k) trap.kill(`new segment #${k} ${name} after ${trap.since()}`);
    }),
  );
  trap.timers.push(setTimeout(() => trap.kill(`fallback timer (only ${rolls} of ${k} rolls seen)`), 5000));
}

/** Inside a cursor save (its temp file appears), or shortly after a random sink receipt. */
function killOnCursorSave(L: Loop, trap: Trap): void {
  const dataDir = L.dataDir;
  const sink = L.sink;
  if (L.rand() < 0.5) {
    const k = 1 + Math.floor(L.rand() * 4);
    let saves = 0;
    trap.watchers.push(
      watch(join(dataDir, "cursors"), (ev, name) => {
        if (ev !== "rename" || !name?.endsWith(".json.tmp") || !existsSync(join(dataDir, "cursors", name))) return;
        if (++saves === k) trap.kill(`cursor temp file ${name}, save #${k}, after ${trap.since()}`);
      }),
    );
  } else {
    const n = 1 + Math.floor(L.rand() * 1500);
    const delay = Math.floor(L.rand() * 250);
    const base = sink.deliveries;
    sink.onReceipt = () => {
      if (sink.deliveries - base === n) {
        sink.onReceipt = null;
        trap.timers.push(setTimeout(() => trap.kill(`${delay} ms after sink receipt #${n}`), delay));
      }
    };
  }
  trap.timers.push(setTimeout(() => trap.kill("fallback timer (trigger never fired)"), 5000));
}

/** Inside a multi-MiB write(2): the newest segment grew past a random size (polled). */
function killOnGrowth(L: Loop, R: Round, trap: Trap): void {
  const dataDir = L.dataDir;
  const seg0 = newestSegment(dataDir);
  const start = seg0 ? statSync(seg0).size : 0;
  const grow = Math.floor((1 + L.rand() * 15) * 1024 * 1024);
  trap.poller = (async () => {
    while (!R.killed) {
      const seg = newestSegment(dataDir);
      let size = 0;
      try {
        size = seg ? statSync(seg).size : 0;
      } catch {}
      if (size - (seg === seg0 ? start : 0) >= grow)
        trap.kill(`newest segment grew past +${(grow / 1048576).toFixed(1)} MiB (size ${size}) after ${trap.since()}`);
      else await Bun.sleep(0);
    }
  })();
  trap.timers.push(setTimeout(() => trap.kill("fallback timer (segment never grew enough)"), 8000));
}
