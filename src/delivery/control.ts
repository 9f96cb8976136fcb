// What the admin API and the service may ask of the fan-out, by target name. Every call is async
// because in `serve` the fan-out lives on its own thread (fanout-host.ts answers over messages); the
// same calls on an in-process Fanout (tests, and the thread's own message handler) go through
// controlFanout(). null: no target of that name.
import type { Fanout } from "./fanout.ts";
import type { TargetStatus } from "./worker.ts";

export interface DeadLetterPage {
  total: number;
  /** Dead-letter lines as stored (the event inside keeps every digit). */
  lines: string[];
}

export interface FanoutControl {
  list(): Promise<TargetStatus[]>;
  status(name: string): Promise<TargetStatus | null>;
  pause(name: string, reason: string): Promise<TargetStatus | null>;
  resume(name: string): Promise<TargetStatus | null>;
  /** Moves the cursor to just before `fromSeq`; resolves to the new cursor. */
  replay(name: string, fromSeq: number): Promise<number | null>;
  /** Queues dead letters (all, or those with these event ids) for another round of attempts. */
  redeliver(name: string, ids: string[] | null): Promise<{ queued: number; remaining: number } | null>;
  deadLetterPage(name: string, from: number, limit: number): Promise<DeadLetterPage | null>;
}

export type ControlOp = keyof FanoutControl;

export function controlFanout(fanout: Fanout): FanoutControl {
  const on = <T>(name: string, f: (w: NonNullable<ReturnType<Fanout["get"]>>) => T): Promise<T | null> => {
    const w = fanout.get(name);
    return w ? Promise.resolve(f(w)) : Promise.resolve(null);
  };
  return {
    list: async () => fanout.list().map((w) => w.status()),
    status: (name) => on(name, (w) => w.status()),
    pause: (name, reason) =>
      on(name, (w) => {
        w.pause(reason);
        return w.status();
      }),
    resume: (name) =>
      on(name, (w) => {
        w.resume();
        return w.status();
      }),
    replay: async (name, fromSeq) => {
      const w = fanout.get(name);
      return w ? await w.replay(fromSeq) : null;
    },
    redeliver: (name, ids) => on(name, (w) => w.redeliver(ids ? new Set(ids) : null)),
    deadLetterPage: (name, from, limit) =>
      on(name, (w) => {
        const p = w.deadLetterPage(from, limit);
        return { total: p.total, lines: p.entries.map((e) => e.line) };
      }),
  };
}
