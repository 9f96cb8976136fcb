// The dispatcher on its own: a real scheduler and cursor keeper, a fake target (an injected fetch
// held or answered by the test) and a fake dead-letter log whose writes the test completes.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import type { HttpTargetConfig } from "../../src/config/schema.ts";
import { targetConfig } from "../support/target.ts";
import { CursorKeeper } from "../../src/delivery/cursor-keeper.ts";
import type { DeadLetterMeta } from "../../src/delivery/dead-letters.ts";
import { Dispatcher } from "../../src/delivery/dispatcher.ts";
import { RoomScheduler, roomKey, type QueuedEvent } from "../../src/delivery/scheduler.ts";
import { until } from "../support/until.ts";

const silent = pino({ level: "silent" });

const target = targetConfig;

function event(seq: number, roomId: string): QueuedEvent {
  return {
    seq,
    id: String(seq).padStart(32, "0"),
    type: "Room.X",
    roomId,
    line: `{"seq":${seq}}`,
    pos: null,
    attempts: 0,
    nextAt: 0,
  };
}

/** A target whose every request waits until the test answers it (or its signal aborts). */
class HeldTarget {
  requests: { signal: AbortSignal; answer: (status: number) => void }[] = [];
  readonly fetch = ((_url: string, init: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal!;
      signal.addEventListener("abort", () => reject(signal.reason));
      this.requests.push({ signal, answer: (status) => resolve(new Response("x", { status })) });
    })) as unknown as typeof fetch;
}

class HeldDeadLetters {
  writes: { meta: DeadLetterMeta; done: () => void }[] = [];
  append(meta: DeadLetterMeta): Promise<void> {
    return new Promise((done) => this.writes.push({ meta, done }));
  }
}

function setup(config: HttpTargetConfig = target()) {
  const sched = new RoomScheduler({ perRoom: 64, maxEvents: 100, maxBytes: 1 << 20, maxRooms: 100 });
  const file = { load: () => ({ seq: 0, paused: null }), save: async () => {}, saveSync: () => {} };
  const keeper = new CursorKeeper("t", file, { remove: async () => 0 }, () => 0, silent);
  keeper.load(() => 0);
  const pauses: string[] = [];
  const hooks = {
    pause: (reason: string) => {
      pauses.push(reason);
      keeper.paused = { reason, at: "" };
    },
    schedule: () => {},
    wakeAt: () => {},
  };
  const remote = new HeldTarget();
  const dl = new HeldDeadLetters();
  const d = new Dispatcher(config, sched, dl, keeper, hooks, {
    logger: silent,
    fetch: remote.fetch,
    now: Date.now,
    random: () => 0.5,
  });
  return { sched, keeper, pauses, remote, dl, d };
}

const settled = (pred: () => boolean, ms = 5000) =>
  until("the dispatcher to settle", pred, { timeoutMs: ms, stepMs: 1 });

describe("dispatcher", () => {
  test("one delivery per room at a time, different rooms in parallel", async () => {
    const { sched, remote, d } = setup();
    sched.offer(roomKey("a"), event(1, "a"));
    sched.offer(roomKey("a"), event(2, "a"));
    sched.offer(roomKey("b"), event(3, "b"));
    d.dispatch(Date.now());
    expect(d.inFlight.count).toBe(2);
    await settled(() => remote.requests.length === 2);
    remote.requests[0]!.answer(200);
    await settled(() => d.inFlight.count === 1);
    expect(d.delivered).toBe(1);
    d.dispatch(Date.now());
    expect(d.inFlight.count).toBe(2); // room a's next event
    expect(sched.rooms.get("a")!.queue.map((e) => e.seq)).toEqual([2]);
  });

  test("a dead-lettered event keeps its slot until the dead letter is durable, and a stop waits for it", async () => {
    const { sched, remote, dl, d } = setup();
    sched.offer(roomKey("a"), event(1, "a"));
    d.dispatch(Date.now());
    await settled(() => remote.requests.length === 1);
    let drained = false;
    const drain = d.drain(5000).then(() => (drained = true)); // a stop begins while the attempt is out
    remote.requests[0]!.answer(422);
    await settled(() => dl.writes.length === 1);
    expect(dl.writes[0]!.meta).toMatchObject({ seq: 1, status: 422, attempts: 1 });
    expect(d.inFlight.count).toBe(1); // never zero between the attempt and the write
    await Bun.sleep(20);
    expect(drained).toBe(false);
    dl.writes[0]!.done();
    await drain;
    expect(d.inFlight.count).toBe(0);
    expect(remote.requests[0]!.signal.aborted).toBe(false); // drained in time: nothing aborted
    expect(sched.events).toBe(0); // the room moved past the dead letter
  });

  test("410 Gone pauses the target and puts the event back; nothing starts while paused", async () => {
    const { sched, pauses, remote, d } = setup();
    sched.offer(roomKey("a"), event(1, "a"));
    d.dispatch(Date.now());
    await settled(() => remote.requests.length === 1);
    remote.requests[0]!.answer(410);
    await settled(() => d.inFlight.count === 0);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toContain("410 Gone for event seq 1");
    expect(d.lastError).toMatchObject({ seq: 1, status: 410 });
    d.dispatch(Date.now());
    expect(d.inFlight.count).toBe(0);
    expect(sched.rooms.get("a")!.queue.map((e) => e.seq)).toEqual([1]);
  });

  test("an attempt started before a replay settles into nothing", async () => {
    const { sched, remote, d } = setup();
    sched.offer(roomKey("a"), event(1, "a"));
    d.dispatch(Date.now());
    await settled(() => remote.requests.length === 1);
    d.newGeneration();
    const orphan = sched.rooms.get("a")!;
    sched.clear();
    remote.requests[0]!.answer(200);
    await settled(() => d.inFlight.count === 0);
    expect(d.delivered).toBe(0);
    expect(orphan.queue).toHaveLength(1); // its room was not touched
    expect(d.breaker.state).toBe("closed");
  });

  test("a stop past its grace aborts what is in flight; the event keeps its attempts", async () => {
    const { sched, remote, d } = setup();
    sched.offer(roomKey("a"), event(1, "a"));
    d.dispatch(Date.now());
    await settled(() => remote.requests.length === 1);
    await d.drain(20);
    expect(remote.requests[0]!.signal.aborted).toBe(true);
    expect(d.inFlight.count).toBe(0);
    const room = sched.rooms.get("a")!;
    expect(room.queue[0]!.attempts).toBe(0);
    expect(room.inFlight).toBe(false);
  });
});
