// The projection in its own thread, as `serve` runs it: the service thread only stores the committed
// head in shared memory on each commit (and posts one message when the idle follower asked for it),
// so a callback's answer never waits for the room state. Queries go by message and come back
// rendered.
import type { Logger } from "pino";
import type { RoomsBackend } from "./backend.ts";
import type { FromRooms, ToRooms } from "./messages.ts";
import type { RoomsAnswer, RoomsQuery } from "./schema.ts";
import { SharedState } from "./shared-state.ts";

/** How long stop() waits for the last snapshot before ending the thread anyway. */
const STOP_TIMEOUT_MS = 5_000;

export class RoomsUnavailableError extends Error {}

export class ThreadedRooms implements RoomsBackend {
  private readonly worker: Worker;
  private readonly shared = new SharedState();
  private readonly pending = new Map<number, (a: RoomsAnswer) => void>();
  private nextId = 1;
  private dead: string | null = null;
  private stopped: (() => void) | null = null;

  constructor(opts: {
    dataDir: string;
    retainDestroyedHours: number;
    snapshotEveryMs: number;
    headSeq: number;
    logger: Logger;
  }) {
    const { logger } = opts;
    this.shared.set("head", opts.headSeq);
    this.shared.set("snapshotSavedAt", -1);
    this.worker = new Worker(threadUrl());
    this.worker.onmessage = (ev: MessageEvent<FromRooms>) => {
      const m = ev.data;
      if (m.t === "answer") {
        this.pending.get(m.id)?.(m.a);
        this.pending.delete(m.id);
      } else if (m.t === "log") logger[m.level](m.fields, m.msg);
      else if (m.t === "stopped") this.stopped?.();
    };
    this.worker.onerror = (e) => {
      this.dead = e.message;
      logger.error({ err: e.message }, "rooms: the projection thread failed; room state is unavailable");
      for (const resolve of this.pending.values()) resolve(unavailable(e.message));
      this.pending.clear();
    };
    this.post({
      t: "init",
      dataDir: opts.dataDir,
      retainDestroyedHours: opts.retainDestroyedHours,
      snapshotEveryMs: opts.snapshotEveryMs,
      buffer: this.shared.buffer,
    });
  }

  private post(m: ToRooms): void {
    this.worker.postMessage(m);
  }

  nudge(headSeq: number): void {
    this.shared.set("head", headSeq);
    if (this.shared.takeNudgeRequest()) this.post({ t: "nudge" });
  }

  query(q: RoomsQuery): Promise<RoomsAnswer> {
    if (this.dead !== null) return Promise.resolve(unavailable(this.dead));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post({ t: "query", id, q });
    });
  }

  stats() {
    const s = this.shared;
    const savedAt = s.get("snapshotSavedAt");
    return {
      headSeq: s.get("head"),
      appliedSeq: s.get("applied"),
      activeRooms: s.get("activeRooms"),
      members: s.get("members"),
      countMismatches: s.get("countMismatches"),
      snapshotSeq: s.get("snapshotSeq"),
      snapshotSavedAt: savedAt < 0 ? null : savedAt,
      gaps: s.get("gaps"),
    };
  }

  setRetainDestroyedHours(hours: number): void {
    this.post({ t: "retain", hours });
  }

  async stop(): Promise<void> {
    if (this.dead === null) {
      const done = new Promise<void>((resolve) => (this.stopped = resolve));
      this.post({ t: "stop" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    this.worker.terminate();
  }
}

function unavailable(why: string): RoomsAnswer {
  return {
    status: 503,
    contentType: "application/json",
    body: JSON.stringify({ error: `room state is unavailable: ${why}` }),
  };
}

/**
 * The thread's entry. From source it sits beside this file; in the compiled binary this file is
 * bundled into main's module at the root of the embedded files, and the thread is the extra entry
 * point src/rooms/rooms-thread.ts (scripts/build.ts), kept under its path below src/.
 */
function threadUrl(): string {
  const here = import.meta.url;
  const compiled = here.includes("/$bunfs/") || here.includes("/~BUN/");
  return new URL(compiled ? "./rooms/rooms-thread.ts" : "./rooms-thread.ts", here).href;
}
