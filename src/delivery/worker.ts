// The worker of one target: reads the journal from the target's cursor, keeps per-room order through
// the scheduler, sends, retries, dead-letters, pauses, and saves the cursor (every 250 ms when it
// moved, and at stop). Nothing here blocks on the target: every attempt is a promise, bounded by
// max_in_flight, so a slow or dead target costs its own worker only.
import type { Logger } from "pino";
import type { TargetConfig } from "../config/schema.ts";
import { retryDelay } from "./backoff.ts";
import { CircuitBreaker } from "./breaker.ts";
import type { CursorState } from "./cursor-store.ts";
import { CursorKeeper, cursorFile } from "./cursor-keeper.ts";
import { DeadLetterLog } from "./dead-letters.ts";
import { InFlight } from "./in-flight.ts";
import { attempt, publicUrl, type Attempt, type AttemptOptions } from "./deliver.ts";
import type { DeliveryGovernor } from "./governor.ts";
import { EventFilter, JournalFeed } from "./journal-feed.ts";
import { RoomScheduler, type Limits, type QueuedEvent, type Room } from "./scheduler.ts";
import { secretKey } from "./signature.ts";
import {
  ABORT_GRACE_MS,
  DEAD_LETTER_RETRY_MS,
  GOVERNOR_RETRY_MS,
  LINES_PER_PUMP,
  MAX_REDELIVERY_BATCH,
  POLL_MS,
  schedulerLimits,
} from "./worker-limits.ts";

export interface WorkerDeps {
  dataDir: string;
  journalDir: string;
  /** The last committed (durable) seq: nothing beyond it is read, so no seq is sent twice for two events. */
  headSeq: () => number;
  logger: Logger;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  /** Shared by all targets: yields the event loop to the ingest during bursts. */
  governor?: DeliveryGovernor;
  /** Memory bounds; the defaults suit production, tests shrink them to reach the edges. */
  limits?: Partial<Limits>;
  /** Told about every attempt's verdict (metrics); shared by all targets, so it takes the name. */
  observer?: DeliveryObserver;
}

export interface DeliveryObserver {
  delivered(target: string): void;
  /** A failed attempt: status null for a network error or timeout. */
  failed(target: string, status: number | null, error: string): void;
  deadLettered(target: string): void;
}

export type TargetState = "running" | "paused" | "open-circuit" | "half-open" | "stopped";

export interface TargetStatus {
  name: string;
  url: string;
  state: TargetState;
  cursor: number;
  savedCursor: number;
  headSeq: number;
  lag: number;
  inFlight: number;
  buffered: number;
  overflowedRooms: number;
  delivered: number;
  failedAttempts: number;
  deadLetters: number;
  paused: CursorState["paused"];
  lastError: { at: string; seq: number; id: string; message: string; status: number | null } | null;
}

export class TargetWorker {
  readonly name: string;
  private readonly sched: RoomScheduler;
  private readonly breaker: CircuitBreaker;
  private readonly dl: DeadLetterLog;
  private readonly keeper: CursorKeeper;
  private readonly feed: JournalFeed;
  private readonly opts: AttemptOptions;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;

  private running = false;
  private stopped = false;
  private gen = 0;
  private readonly inFlight = new InFlight();
  private pumpQueued = false;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeAt = 0;
  private delivered = 0;
  private failedAttempts = 0;
  private lastError: TargetStatus["lastError"] = null;

  constructor(
    readonly config: TargetConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.name = config.name;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.sched = new RoomScheduler(schedulerLimits(config.max_in_flight, deps.limits));
    this.breaker = CircuitBreaker.forSchedule(config.retry_delays_ms);
    this.dl = new DeadLetterLog(deps.dataDir, config.name);
    if (this.dl.cutBytes > 0) {
      deps.logger.warn({ target: config.name, bytes: this.dl.cutBytes, path: this.dl.path }, "dead letters: cut a torn last line left by a crash (kept aside as .torn-*)");
    }
    this.keeper = new CursorKeeper(config.name, cursorFile(deps.dataDir, config.name), this.dl, () => this.cursor, deps.logger);
    this.feed = new JournalFeed(this.sched, new EventFilter(config.types, config.rooms), { target: config.name, journalDir: deps.journalDir, headSeq: deps.headSeq, logger: deps.logger });
    const secrets = Array.isArray(config.secret) ? config.secret : [config.secret];
    this.opts = {
      url: config.url,
      keys: secrets.map(secretKey),
      timeoutMs: config.timeout_ms,
      fetch: deps.fetch ?? fetch,
      now: this.now,
      stop: this.abort.signal,
    };
  }

  /** Loads (or creates, at the journal's head: a new target gets new events) the cursor and starts. */
  start(): this {
    this.position(this.keeper.load(this.deps.headSeq));
    this.running = true;
    this.pollTimer = setInterval(() => this.tick(), POLL_MS);
    this.schedule();
    this.deps.logger.info({ target: this.name, url: publicUrl(this.config.url), cursor: this.keeper.savedSeq, paused: this.keeper.paused?.reason ?? null }, "fan-out: target started");
    return this;
  }

  private position(cursor: number): void {
    this.sched.clear();
    this.feed.startAt(cursor);
  }

  /** New events were committed: look now rather than at the next poll. */
  nudge(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.pumpQueued || !this.running) return;
    this.pumpQueued = true;
    // setImmediate: Bun's shortest timer costs ~1.2 ms a hop.
    setImmediate(() => this.pump());
  }

  private tick(): void {
    this.schedule();
    this.keeper.tick(this.now());
  }

  get cursor(): number {
    return this.sched.floor(this.feed.readSeq);
  }

  /** The lowest cursor that a restart could resume from (for retention). */
  get safeCursor(): number {
    return Math.min(this.keeper.savedSeq, this.cursor);
  }

  private pump(): void {
    this.pumpQueued = false;
    if (!this.running) return;
    const now = this.now();
    const budget = this.feed.read(LINES_PER_PUMP);
    this.sched.promote(now);
    this.dispatch(now);
    if (budget <= 0) this.schedule(); // more to read: continue after other work had its turn
    this.arm(now);
  }

  private dispatch(now: number): void {
    while (this.inFlight.count < this.config.max_in_flight && !this.keeper.paused) {
      if (this.deps.governor && !this.deps.governor.take()) {
        this.arm(now, now + GOVERNOR_RETRY_MS);
        break;
      }
      if (!this.breaker.allow(now)) break;
      const room = this.sched.take();
      if (!room) {
        this.breaker.release();
        break;
      }
      this.send(room, room.queue[0]!);
    }
  }

  private send(room: Room, ev: QueuedEvent): void {
    this.inFlight.begin();
    ev.attempts++;
    const gen = this.gen;
    attempt(this.opts, ev.id, ev.line).then(
      (a) => this.settle(room, ev, a, gen),
      (e) => this.settle(room, ev, { kind: "retry", status: null, error: String(e), retryAfterMs: null }, gen),
    );
  }

  /** Ends the attempt's slot, unless its verdict hands the slot on to a dead-letter write. */
  private settle(room: Room, ev: QueuedEvent, a: Attempt, gen: number): void {
    if (gen !== this.gen) {
      this.inFlight.end();
      this.breaker.release(); // a replay reset the worker; this room is gone
      this.schedule();
      return;
    }
    if (!this.apply(room, ev, a, gen, this.now())) this.inFlight.end();
    this.schedule();
  }

  /** Acts on the verdict. Returns true when the event went on to the dead letters (still in flight). */
  private apply(room: Room, ev: QueuedEvent, a: Attempt, gen: number, now: number): boolean {
    switch (a.kind) {
      case "delivered":
        this.breaker.success();
        this.delivered++;
        this.deps.observer?.delivered(this.name);
        if (ev.deadLetterKey) this.keeper.resolvedDeadLetter(ev.deadLetterKey);
        this.sched.done(room);
        return false;
      case "aborted":
        this.breaker.release();
        ev.attempts--;
        this.sched.release(room);
        return false;
      case "gone":
        this.breaker.release();
        this.failed(ev, a.status, a.error, now);
        this.pause(`the target answered 410 Gone for event seq ${ev.seq}; resume when it accepts deliveries again`);
        this.sched.release(room);
        return false;
      case "dead":
        this.breaker.success(); // it answered: the target is up, it just refuses this event
        this.failed(ev, a.status, a.error, now);
        this.deadLetter(room, ev, a.status, a.error, gen);
        return true;
      case "retry": {
        this.breaker.failure(now);
        this.failed(ev, a.status, a.error, now);
        const delay = retryDelay(this.config.retry_delays_ms, ev.attempts, a.retryAfterMs, this.random);
        if (delay === null) {
          this.deadLetter(room, ev, a.status, `${a.error} (after ${ev.attempts} attempts)`, gen);
          return true;
        }
        this.deps.logger.debug({ target: this.name, seq: ev.seq, attempts: ev.attempts, retryInMs: delay, err: a.error }, "fan-out: delivery failed, will retry");
        this.sched.retryAt(room, now + delay);
        return false;
      }
    }
  }

  private failed(ev: QueuedEvent, status: number | null, message: string, now: number): void {
    this.failedAttempts++;
    this.deps.observer?.failed(this.name, status, message);
    this.lastError = { at: new Date(now).toISOString(), seq: ev.seq, id: ev.id, message, status };
  }

  /** The room stays blocked (its head in flight) until the dead letter is durable; then the slot ends. */
  private deadLetter(room: Room, ev: QueuedEvent, status: number | null, error: string, gen: number): void {
    this.dl
      .append({ deadAt: new Date(this.now()).toISOString(), target: this.name, seq: ev.seq, id: ev.id, type: ev.type, roomId: ev.roomId, attempts: ev.attempts, status, lastError: error }, ev.line)
      .then(
        () => {
          this.deps.logger.warn({ target: this.name, seq: ev.seq, id: ev.id, attempts: ev.attempts, status, err: error }, "fan-out: event dead-lettered");
          this.deps.observer?.deadLettered(this.name);
          if (ev.deadLetterKey) this.keeper.resolvedDeadLetter(ev.deadLetterKey);
          if (gen === this.gen) this.sched.done(room);
        },
        (e: Error) => {
          // Not durable: keep the event and try again later rather than lose it.
          this.deps.logger.error({ target: this.name, seq: ev.seq, err: e.message }, "fan-out: cannot write the dead letter; will retry the event");
          if (gen === this.gen) this.sched.retryAt(room, this.now() + DEAD_LETTER_RETRY_MS);
        },
      )
      .finally(() => {
        this.inFlight.end();
        this.schedule();
      });
  }

  /** One timer for the earliest retry or the breaker's probe. */
  private arm(now: number, soon = Infinity): void {
    let at = Math.min(soon, this.sched.nextWake());
    if (this.breaker.reopensAt) at = Math.min(at, Math.max(this.breaker.reopensAt, now));
    if (!Number.isFinite(at) || at - now <= 0 || at - now >= POLL_MS) return; // the poll covers it
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.schedule();
    }, at - now);
  }

  pause(reason: string): void {
    if (this.keeper.paused) return;
    this.keeper.paused = { reason, at: new Date(this.now()).toISOString() };
    this.deps.logger.warn({ target: this.name, reason }, "fan-out: target paused");
    void this.keeper.saveIfMoved();
  }

  resume(): boolean {
    if (!this.keeper.paused) return false;
    this.keeper.paused = null;
    this.breaker.success();
    this.deps.logger.info({ target: this.name }, "fan-out: target resumed");
    void this.keeper.saveIfMoved();
    this.schedule();
    return true;
  }

  /** Moves the cursor to just before `fromSeq` (back or forward); what was queued is dropped. */
  async replay(fromSeq: number): Promise<number> {
    this.gen++;
    const cursor = Math.max(0, fromSeq - 1);
    await this.keeper.replay(cursor, () => this.position(cursor));
    this.deps.logger.info({ target: this.name, cursor }, "fan-out: replay: cursor moved");
    this.schedule();
    return cursor;
  }

  /** Queues dead letters (all, or those with the given event ids) for another round of attempts. */
  redeliver(ids: ReadonlySet<string> | null): { queued: number; remaining: number } {
    const busy = new Set<string>();
    for (const r of this.sched.rooms.values()) if (r.lane) for (const e of r.queue) busy.add(e.deadLetterKey!);
    for (const k of this.keeper.pendingRemovals) busy.add(k);
    let queued = 0;
    let remaining = 0;
    for (const d of this.dl.entries()) {
      if (ids && !ids.has(d.meta.id)) continue;
      if (busy.has(d.key)) continue;
      if (queued >= MAX_REDELIVERY_BATCH) {
        remaining++;
        continue;
      }
      this.sched.offerRedelivery({ seq: d.meta.seq, id: d.meta.id, type: d.meta.type, roomId: d.meta.roomId, line: d.event, pos: null, attempts: 0, nextAt: 0, deadLetterKey: d.key });
      queued++;
    }
    this.schedule();
    return { queued, remaining };
  }

  deadLetterPage(from: number, limit: number) {
    return this.dl.page(from, limit);
  }

  status(): TargetStatus {
    const head = this.deps.headSeq();
    const cursor = this.cursor;
    const b = this.breaker.state;
    const paused = this.keeper.paused;
    const state: TargetState = this.stopped ? "stopped" : paused ? "paused" : b === "open" ? "open-circuit" : b === "half-open" ? "half-open" : "running";
    return {
      name: this.name,
      url: publicUrl(this.config.url),
      state,
      cursor,
      savedCursor: this.keeper.savedSeq,
      headSeq: head,
      lag: Math.max(0, head - cursor),
      inFlight: this.inFlight.count,
      buffered: this.sched.events,
      overflowedRooms: this.sched.overflowed.size,
      delivered: this.delivered,
      failedAttempts: this.failedAttempts,
      deadLetters: this.dl.count,
      paused,
      lastError: this.lastError,
    };
  }

  /** Stops starting deliveries, lets those in flight finish for up to `graceMs`, saves the cursor. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.running = false;
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.inFlight.count > 0) {
      await this.inFlight.waitDrained(graceMs);
      if (this.inFlight.count > 0) {
        this.abort.abort();
        await this.inFlight.waitDrained(ABORT_GRACE_MS);
      }
    }
    await this.keeper.stop();
    await this.dl.close();
    this.deps.logger.info({ target: this.name, cursor: this.keeper.savedSeq }, "fan-out: target stopped");
  }
}
