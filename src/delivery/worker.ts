// The worker of one target, as the fan-out and the admin API see it. It runs the pump (read the
// journal, start deliveries, set the next wake-up) on a poll, on a nudge from the journal, and when
// an attempt settles, and holds the parts that do the work:
//   journal-feed.ts    the journal into the per-room scheduler (scheduler.ts), with the filters;
//   dispatcher.ts      sending, settling and dead-lettering, with the breaker and the ingest priority;
//   cursor-keeper.ts   the saved cursor and pause, and the dead letters a redelivery resolved;
//   worker-limits.ts   the numbers all of them run by.
import type { Logger } from "pino";
import type { HttpTargetConfig } from "../config/schema.ts";
import type { CursorState } from "./cursor-store.ts";
import { CursorKeeper, cursorFile } from "./cursor-keeper.ts";
import { DeadLetterLog } from "./dead-letters.ts";
import { publicUrl } from "./deliver.ts";
import { Dispatcher, type DeliveryObserver, type LastError } from "./dispatcher.ts";
import type { IngestPriority } from "./ingest-priority.ts";
import { EventFilter, JournalFeed } from "./journal-feed.ts";
import { RoomScheduler, type Limits } from "./scheduler.ts";
import { LINES_PER_PUMP, MAX_REDELIVERY_BATCH, POLL_MS, schedulerLimits } from "./worker-limits.ts";

export type { DeliveryObserver } from "./dispatcher.ts";

export interface WorkerDeps {
  dataDir: string;
  journalDir: string;
  /** The last committed (durable) seq: nothing beyond it is read, so no seq is sent twice for two events. */
  headSeq: () => number;
  logger: Logger;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  /** Shared by all targets: cuts the delivery rate while the ingest thread waits for a core. */
  priority?: Pick<IngestPriority, "take">;
  /** Memory bounds; the defaults suit production, tests shrink them to reach the edges. */
  limits?: Partial<Limits>;
  /** Told about every attempt's verdict (metrics); shared by all targets, so it takes the name. */
  observer?: DeliveryObserver;
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
  lastError: LastError;
}

export class TargetWorker {
  readonly name: string;
  private readonly sched: RoomScheduler;
  private readonly dl: DeadLetterLog;
  private readonly keeper: CursorKeeper;
  private readonly feed: JournalFeed;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;

  private running = false;
  private stopped = false;
  private pumpQueued = false;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeAt = 0;

  constructor(
    readonly config: HttpTargetConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.name = config.name;
    this.now = deps.now ?? Date.now;
    this.sched = new RoomScheduler(schedulerLimits(config.max_in_flight, deps.limits));
    this.dl = new DeadLetterLog(deps.dataDir, config.name);
    if (this.dl.cutBytes > 0) {
      deps.logger.warn(
        { target: config.name, bytes: this.dl.cutBytes, path: this.dl.path },
        "dead letters: cut a torn last line left by a crash (kept aside as .torn-*)",
      );
    }
    this.keeper = new CursorKeeper(
      config.name,
      cursorFile(deps.dataDir, config.name),
      this.dl,
      () => this.cursor,
      deps.logger,
    );
    this.feed = new JournalFeed(this.sched, new EventFilter(config.types, config.rooms), {
      target: config.name,
      journalDir: deps.journalDir,
      headSeq: deps.headSeq,
      logger: deps.logger,
    });
    const hooks = {
      pause: (reason: string) => this.pause(reason),
      schedule: () => this.schedule(),
      wakeAt: (now: number, at: number) => this.arm(now, at),
    };
    const dispatchDeps = {
      logger: deps.logger,
      fetch: deps.fetch ?? fetch,
      now: this.now,
      random: deps.random ?? Math.random,
      priority: deps.priority,
      observer: deps.observer,
    };
    this.dispatcher = new Dispatcher(config, this.sched, this.dl, this.keeper, hooks, dispatchDeps);
  }

  /** Loads (or creates, at the journal's head: a new target gets new events) the cursor and starts. */
  start(): this {
    this.position(this.keeper.load(this.deps.headSeq));
    this.running = true;
    this.pollTimer = setInterval(() => this.tick(), POLL_MS);
    this.schedule();
    this.deps.logger.info(
      {
        target: this.name,
        url: publicUrl(this.config.url),
        cursor: this.keeper.savedSeq,
        paused: this.keeper.paused?.reason ?? null,
      },
      "fan-out: target started",
    );
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
    this.dispatcher.dispatch(now);
    if (budget <= 0) this.schedule(); // more to read: continue after other work had its turn
    this.arm(now);
  }

  /** One timer for the earliest retry or the breaker's probe. */
  private arm(now: number, soon = Infinity): void {
    let at = Math.min(soon, this.sched.nextWake());
    const reopensAt = this.dispatcher.breaker.reopensAt;
    if (reopensAt) at = Math.min(at, Math.max(reopensAt, now));
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
    this.dispatcher.breaker.success();
    this.deps.logger.info({ target: this.name }, "fan-out: target resumed");
    void this.keeper.saveIfMoved();
    this.schedule();
    return true;
  }

  /** Moves the cursor to just before `fromSeq` (back or forward); what was queued is dropped. */
  async replay(fromSeq: number): Promise<number> {
    this.dispatcher.newGeneration();
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
      this.sched.offerRedelivery({
        seq: d.meta.seq,
        id: d.meta.id,
        type: d.meta.type,
        roomId: d.meta.roomId,
        line: d.event,
        pos: null,
        attempts: 0,
        nextAt: 0,
        deadLetterKey: d.key,
      });
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
    const b = this.dispatcher.breaker.state;
    const paused = this.keeper.paused;
    const state: TargetState = this.stopped
      ? "stopped"
      : paused
        ? "paused"
        : b === "open"
          ? "open-circuit"
          : b === "half-open"
            ? "half-open"
            : "running";
    return {
      name: this.name,
      url: publicUrl(this.config.url),
      state,
      cursor,
      savedCursor: this.keeper.savedSeq,
      headSeq: head,
      lag: Math.max(0, head - cursor),
      inFlight: this.dispatcher.inFlight.count,
      buffered: this.sched.events,
      overflowedRooms: this.sched.overflowed.size,
      delivered: this.dispatcher.delivered,
      failedAttempts: this.dispatcher.failedAttempts,
      deadLetters: this.dl.count,
      paused,
      lastError: this.dispatcher.lastError,
    };
  }

  /** Stops starting deliveries, lets those in flight finish for up to `graceMs`, saves the cursor. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.running = false;
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.dispatcher.drain(graceMs);
    await this.keeper.stop();
    await this.dl.close();
    this.deps.logger.info({ target: this.name, cursor: this.keeper.savedSeq }, "fan-out: target stopped");
  }
}
