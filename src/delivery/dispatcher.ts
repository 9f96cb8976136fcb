// The sending side of a target's worker: starts deliveries (up to max_in_flight, while neither the
// pause, the ingest priority nor the breaker says no), and settles each attempt: delivered, retried later
// (the schedule, or Retry-After), dead-lettered, or the whole target paused on 410 Gone, as the
// table in the README's "What your service receives" says. Every attempt is a promise: nothing here
// blocks on the target, so a slow or dead target costs its own worker only.
import type { Logger } from "pino";
import type { HttpTargetConfig } from "../config/schema.ts";
import { retryDelay } from "./backoff.ts";
import { CircuitBreaker } from "./breaker.ts";
import type { CursorKeeper } from "./cursor-keeper.ts";
import type { DeadLetterLog } from "./dead-letters.ts";
import { attempt, type Attempt, AttemptAborts, type AttemptOptions } from "./deliver.ts";
import type { IngestPriority } from "./ingest-priority.ts";
import { InFlight } from "./in-flight.ts";
import type { QueuedEvent, Room, RoomScheduler } from "./scheduler.ts";
import { secretKey } from "./signature.ts";
import { ABORT_GRACE_MS, DEAD_LETTER_RETRY_MS, PRIORITY_RETRY_MS } from "./worker-limits.ts";

export interface DeliveryObserver {
  delivered(target: string): void;
  /** A failed attempt: status null for a network error or timeout. */
  failed(target: string, status: number | null, error: string): void;
  deadLettered(target: string): void;
}

export type LastError = { at: string; seq: number; id: string; message: string; status: number | null } | null;

export interface DispatchDeps {
  logger: Logger;
  fetch: typeof fetch;
  now: () => number;
  random: () => number;
  priority?: Pick<IngestPriority, "take">;
  observer?: DeliveryObserver;
}

/** What the dispatcher asks of the worker around it. */
export interface DispatchHooks {
  /** The target answered 410 Gone. */
  pause(reason: string): void;
  /** An attempt settled: run the pump again (a room may be ready, a slot is free). */
  schedule(): void;
  /** Run the pump again by `at` (the ingest priority said not yet). */
  wakeAt(now: number, at: number): void;
}

export class Dispatcher {
  readonly inFlight = new InFlight();
  readonly breaker: CircuitBreaker;
  delivered = 0;
  failedAttempts = 0;
  lastError: LastError = null;
  /** Bumped by a replay: attempts started before it settle into nothing (their rooms are gone). */
  private gen = 0;
  private readonly opts: AttemptOptions;
  private readonly name: string;

  constructor(
    private readonly config: HttpTargetConfig,
    private readonly sched: RoomScheduler,
    private readonly dl: Pick<DeadLetterLog, "append">,
    private readonly keeper: CursorKeeper,
    private readonly hooks: DispatchHooks,
    private readonly deps: DispatchDeps,
  ) {
    this.name = config.name;
    this.breaker = CircuitBreaker.forSchedule(config.retry_delays_ms);
    const secrets = Array.isArray(config.secret) ? config.secret : [config.secret];
    this.opts = {
      url: config.url,
      keys: secrets.map(secretKey),
      timeoutMs: config.timeout_ms,
      fetch: deps.fetch,
      now: deps.now,
      aborts: new AttemptAborts(config.timeout_ms),
    };
  }

  /** A replay reset the scheduler: what is in flight now belongs to rooms that no longer exist. */
  newGeneration(): void {
    this.gen++;
  }

  /** Starts deliveries of ready rooms' heads while a slot is free and nothing says no. */
  dispatch(now: number): void {
    while (this.inFlight.count < this.config.max_in_flight && !this.keeper.paused) {
      if (this.deps.priority && !this.deps.priority.take(this.name)) {
        this.hooks.wakeAt(now, now + PRIORITY_RETRY_MS);
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

  /** Waits up to `graceMs` for what is in flight, then aborts it and gives it ABORT_GRACE_MS more. */
  async drain(graceMs: number): Promise<void> {
    if (this.inFlight.count === 0) return;
    await this.inFlight.waitDrained(graceMs);
    if (this.inFlight.count === 0) return;
    this.opts.aborts.stopAll();
    await this.inFlight.waitDrained(ABORT_GRACE_MS);
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
      this.hooks.schedule();
      return;
    }
    if (!this.apply(room, ev, a, gen, this.deps.now())) this.inFlight.end();
    this.hooks.schedule();
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
        this.hooks.pause(
          `the target answered 410 Gone for event seq ${ev.seq}; resume when it accepts deliveries again`,
        );
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
        const delay = retryDelay(this.config.retry_delays_ms, ev.attempts, a.retryAfterMs, this.deps.random);
        if (delay === null) {
          this.deadLetter(room, ev, a.status, `${a.error} (after ${ev.attempts} attempts)`, gen);
          return true;
        }
        this.deps.logger.debug(
          { target: this.name, seq: ev.seq, attempts: ev.attempts, retryInMs: delay, err: a.error },
          "fan-out: delivery failed, will retry",
        );
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
    const meta = {
      deadAt: new Date(this.deps.now()).toISOString(),
      target: this.name,
      seq: ev.seq,
      id: ev.id,
      type: ev.type,
      roomId: ev.roomId,
      attempts: ev.attempts,
      status,
      lastError: error,
    };
    this.dl
      .append(meta, ev.line)
      .then(
        () => {
          this.deps.logger.warn(
            { target: this.name, seq: ev.seq, id: ev.id, attempts: ev.attempts, status, err: error },
            "fan-out: event dead-lettered",
          );
          this.deps.observer?.deadLettered(this.name);
          if (ev.deadLetterKey) this.keeper.resolvedDeadLetter(ev.deadLetterKey);
          if (gen === this.gen) this.sched.done(room);
        },
        (e: Error) => {
          // Not durable: keep the event and try again later rather than lose it.
          this.deps.logger.error(
            { target: this.name, seq: ev.seq, err: e.message },
            "fan-out: cannot write the dead letter; will retry the event",
          );
          if (gen === this.gen) this.sched.retryAt(room, this.deps.now() + DEAD_LETTER_RETRY_MS);
        },
      )
      .finally(() => {
        this.inFlight.end();
        this.hooks.schedule();
      });
  }
}
