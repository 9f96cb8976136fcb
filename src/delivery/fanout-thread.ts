// The fan-out thread: a Bun Worker that fanout-host.ts starts. It runs the whole fan-out (every
// target's worker: journal reads, signing, HTTP, cursors, dead letters) on its own event loop, so
// the OS shares the cores between it and the ingest instead of one loop doing both. It learns of
// commits from a nudge and reads the head from the shared slots, answers the host's calls through
// controlFanout(), publishes the lowest cursor for retention, and batches the delivery counts for
// the metrics. This module is the thread's main: its state lives in the one `thread` below.
import type { Logger } from "pino";
import { createLogger } from "../log.ts";
import { controlFanout, type FanoutControl } from "./control.ts";
import { CountingObserver } from "./delivery-counts.ts";
import { Fanout } from "./fanout.ts";
import { IngestPriority } from "./ingest-priority.ts";
import { SharedSlots } from "./shared-slots.ts";
import type { FromThread, ThreadSetup, ToThread } from "./thread-messages.ts";
import { POLL_MS } from "./worker-limits.ts";

declare const self: Worker;

/** Delivery counts are pushed at least this often (a scrape also fetches them with its reply). */
export const COUNTS_EVERY_MS = 1000;

interface Running {
  fanout: Fanout;
  priority: IngestPriority;
  control: FanoutControl;
  slots: SharedSlots;
  counts: CountingObserver;
  logger: Logger;
  timers: ReturnType<typeof setInterval>[];
}

let thread: Running | null = null;

function post(m: FromThread): void {
  self.postMessage(m);
}

function reply(id: number, value?: unknown, error?: string): void {
  post({ t: "reply", id, value, error, counts: thread?.counts.take() ?? null });
}

/** What the ingest thread reads without asking: the lowest cursor (retention) and the rate cap. */
function publish(r: Running): void {
  r.slots.minCursor = r.fanout.minCursor();
  r.priority.refresh();
  r.slots.deliveryRateCap = r.priority.rateCap;
}

function start(setup: ThreadSetup): Running {
  const slots = SharedSlots.attach(setup.slots);
  const logger = createLogger(setup.logLevel);
  const counts = new CountingObserver();
  let fanout: Fanout | null = null; // the priority reads its width once it exists
  const priority = new IngestPriority(slots, () => fanout?.size ?? 0);
  fanout = new Fanout(setup.targets, {
    dataDir: setup.dataDir,
    journalDir: setup.journalDir,
    headSeq: () => slots.headSeq,
    logger,
    observer: counts,
    priority,
  }).start();
  const r: Running = {
    fanout,
    priority,
    control: controlFanout(fanout),
    slots,
    counts,
    logger,
    timers: [],
  };
  publish(r);
  r.timers.push(
    setInterval(() => publish(r), POLL_MS),
    setInterval(() => {
      const c = counts.take();
      if (c) post({ t: "counts", counts: c });
    }, COUNTS_EVERY_MS),
  );
  return r;
}

async function handle(m: ToThread): Promise<void> {
  if (m.t === "nudge") {
    thread?.slots.armNudge();
    thread?.fanout.nudge();
    return;
  }
  try {
    if (m.t === "start") {
      thread = start(m.setup);
      return reply(m.id);
    }
    const r = thread;
    if (!r) throw new Error("the fan-out thread has not started");
    if (m.t === "call") {
      const f = r.control[m.op] as (...a: unknown[]) => Promise<unknown>;
      const value = await f(...m.args);
      publish(r); // a replay may have moved a cursor back
      return reply(m.id, value);
    }
    if (m.t === "reconcile") {
      r.logger.level = m.logLevel;
      await r.fanout.reconcile(m.targets);
      publish(r);
      return reply(m.id);
    }
    // m.t === "stop": the last message the thread takes.
    for (const t of r.timers) clearInterval(t);
    await r.fanout.stop(m.graceMs);
    publish(r);
    reply(m.id);
  } catch (e) {
    reply(m.id, undefined, (e as Error).message);
  }
}

self.onmessage = (e: MessageEvent<ToThread>) => {
  void handle(e.data);
};
