// The worker of a NATS JetStream target (README "Scaling out"). It reuses the HTTP worker's parts
// that are about the journal and the target's state (the filters, the cursor keeper, the dead
// letters, the status) and swaps the per-room HTTP delivery for an ordered publish pipeline:
// journal lines are published in journal order, up to max_in_flight awaiting their PubAck at once
// over one connection (so JetStream stores them in that order); the cursor is one below the oldest
// line not yet acknowledged (or dead-lettered), so it moves only after JetStream's PubAck. A failed
// publish stops the pipeline: once what is in flight has settled, publishing starts again from the
// oldest unacknowledged line after a backoff, forever (the journal is the buffer). Lines after it
// that JetStream did store are acknowledged already; those sent again are absorbed by Nats-Msg-Id.
import type { NatsTargetConfig } from "../config/schema.ts";
import { readEnvelope } from "../journal/line.ts";
import { JournalLineReader } from "../journal/line-reader.ts";
import { publicServers } from "../nats/connect.ts";
import { publishBackoff, type PublishOutcome } from "../nats/publish-outcome.ts";
import { NatsPublisher, type PublishRecord } from "../nats/publisher.ts";
import { CursorKeeper, cursorFile } from "./cursor-keeper.ts";
import { DeadLetterLog } from "./dead-letters.ts";
import type { LastError } from "./dispatcher.ts";
import { EventFilter } from "./journal-feed.ts";
import type { TargetState, TargetStatus, WorkerDeps } from "./worker.ts";
import { LINES_PER_SCAN, MAX_REDELIVERY_BATCH, POLL_MS, PRIORITY_RETRY_MS } from "./worker-limits.ts";

/** Lines read ahead of the publishes (in memory), per max_in_flight slot. */
const READ_AHEAD_PER_SLOT = 4;
/** How often a link that is not ready tries to connect and check the stream again. */
const OPEN_RETRY_MS = 1000;

interface Entry extends PublishRecord {
  state: "queued" | "sent" | "done";
  attempts: number;
  deadLetterKey?: string;
}

const SDK_APP_ID = /,"sdkAppId":(-?\d+),/;

export class NatsWorker {
  readonly name: string;
  private readonly publisher: NatsPublisher;
  private readonly dl: DeadLetterLog;
  private readonly keeper: CursorKeeper;
  private readonly filter: EventFilter;
  private readonly now: () => number;
  private reader!: JournalLineReader;
  /** The last seq read from the journal (queued or filtered out). */
  private readSeq = 0;
  /** Lines read and not yet settled, in journal order; `head` is the first unsettled. */
  private queue: Entry[] = [];
  private head = 0;
  /** The next queue index to publish. */
  private next = 0;
  private redeliveries: Entry[] = [];
  private inFlight = 0;
  private failures = 0;
  private retryAt = 0;
  /** Bumped by a replay: publishes started before it settle into nothing. */
  private gen = 0;
  private running = false;
  private stopped = false;
  private pumpQueued = false;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private priorityTimer: ReturnType<typeof setTimeout> | null = null;
  private delivered = 0;
  private failedAttempts = 0;
  private lastError: LastError = null;
  private drained: (() => void) | null = null;

  constructor(
    readonly config: NatsTargetConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.name = config.name;
    this.now = deps.now ?? Date.now;
    this.publisher = new NatsPublisher(config, deps.logger);
    this.dl = new DeadLetterLog(deps.dataDir, config.name);
    this.keeper = new CursorKeeper(
      config.name,
      cursorFile(deps.dataDir, config.name),
      this.dl,
      () => this.cursor,
      deps.logger,
    );
    this.filter = new EventFilter(config.types, config.rooms);
  }

  start(): this {
    this.position(this.keeper.load(this.deps.headSeq));
    this.running = true;
    this.pollTimer = setInterval(() => this.tick(), POLL_MS);
    void this.publisher.open(OPEN_RETRY_MS).then(() => this.schedule());
    this.deps.logger.info(
      {
        target: this.name,
        nats: publicServers(this.config),
        stream: this.config.stream,
        cursor: this.keeper.savedSeq,
        paused: this.keeper.paused?.reason ?? null,
      },
      "fan-out: target started",
    );
    return this;
  }

  private position(cursor: number): void {
    this.queue = [];
    this.head = 0;
    this.next = 0;
    this.readSeq = cursor;
    this.reader = JournalLineReader.fromSeq(this.deps.journalDir, cursor + 1);
  }

  nudge(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.pumpQueued || !this.running) return;
    this.pumpQueued = true;
    setImmediate(() => this.pump());
  }

  private tick(): void {
    this.schedule();
    this.keeper.tick(this.now());
  }

  /** One below the oldest line not settled: everything up to it is in the stream (or dead-lettered). */
  get cursor(): number {
    return this.head < this.queue.length ? this.queue[this.head]!.seq - 1 : this.readSeq;
  }

  get safeCursor(): number {
    return Math.min(this.keeper.savedSeq, this.cursor);
  }

  private pump(): void {
    this.pumpQueued = false;
    if (!this.running) return;
    this.read();
    if (this.keeper.paused || !this.publisher.ready || this.now() < this.retryAt) return;
    if (this.retryAt && this.inFlight > 0) return; // a failure: let what is in flight settle first
    this.retryAt = 0;
    const max = this.config.max_in_flight;
    while (this.inFlight < max && this.redeliveries.length && this.mayStart()) this.send(this.redeliveries.shift()!);
    while (this.inFlight < max && this.next < this.queue.length) {
      const e = this.queue[this.next]!;
      if (e.state === "queued" && !this.mayStart()) break;
      this.next++;
      if (e.state === "queued") this.send(e);
    }
  }

  /** The ingest priority (shared with the HTTP targets): publishes slow down while the ingest waits for a core. */
  private mayStart(): boolean {
    if (!this.deps.priority || this.deps.priority.take(this.name)) return true;
    if (!this.priorityTimer) {
      this.priorityTimer = setTimeout(() => {
        this.priorityTimer = null;
        this.schedule();
      }, PRIORITY_RETRY_MS);
    }
    return false;
  }

  /** Reads committed lines into the queue while the read-ahead has room. */
  private read(): void {
    const limit = this.config.max_in_flight * READ_AHEAD_PER_SLOT;
    if (this.head > 0 && this.head >= this.queue.length / 2) {
      this.queue = this.queue.slice(this.head);
      this.next -= this.head;
      this.head = 0;
    }
    const head = this.deps.headSeq();
    while (this.readSeq < head && this.queue.length - this.head < limit) {
      const room = limit - (this.queue.length - this.head);
      const r = this.reader.scan(head, Math.min(room, LINES_PER_SCAN), (text, seq) => {
        const e = this.toEntry(text);
        if (e) this.queue.push(e);
        this.readSeq = seq;
        return true;
      });
      if (r.consumed === 0) break;
    }
  }

  private toEntry(text: string): Entry | null {
    const env = readEnvelope(text);
    if (!env) {
      this.deps.logger.warn({ target: this.name }, "fan-out: unreadable journal line skipped");
      return null;
    }
    if (!this.filter.accepts(env.type, env.roomId)) return null;
    const sdkAppId = SDK_APP_ID.exec(text)?.[1] ?? "~";
    const line = text.endsWith("\n") ? text.slice(0, -1) : text;
    return {
      seq: env.seq,
      id: env.id,
      type: env.type,
      roomId: env.roomId,
      sdkAppId,
      line,
      state: "queued",
      attempts: 0,
    };
  }

  private send(e: Entry): void {
    e.state = "sent";
    e.attempts++;
    this.inFlight++;
    const gen = this.gen;
    this.publisher.publish(e).then(
      (o) => this.settle(e, o, gen),
      (err: Error) => this.settle(e, { kind: "retry", error: err.message }, gen),
    );
  }

  private settle(e: Entry, o: PublishOutcome, gen: number): void {
    if (gen !== this.gen) {
      this.slotFreed();
      return;
    }
    const now = this.now();
    if (o.kind === "published") {
      this.failures = 0;
      this.delivered++;
      this.deps.observer?.delivered(this.name);
      this.done(e);
      this.slotFreed();
      return;
    }
    this.failedAttempts++;
    this.deps.observer?.failed(this.name, null, o.error);
    this.lastError = { at: new Date(now).toISOString(), seq: e.seq, id: e.id, message: o.error, status: null };
    if (o.kind === "dead") {
      this.deadLetter(e, o.error, gen);
      return;
    }
    e.state = "queued";
    if (e.deadLetterKey) this.redeliveries.push(e);
    else this.rewindTo(e);
    this.failures++;
    const delay = publishBackoff(this.failures, this.config.retry_max_ms, this.deps.random ?? Math.random);
    this.retryAt = Math.max(this.retryAt, now + delay);
    this.deps.logger.debug({ target: this.name, seq: e.seq, retryInMs: delay, err: o.error }, "nats: publish failed");
    setTimeout(() => this.schedule(), delay);
    this.slotFreed();
  }

  /** Publishing starts again at the oldest line that is not stored. */
  private rewindTo(e: Entry): void {
    for (let i = this.head; i < this.next; i++) {
      if (this.queue[i] === e) {
        this.next = i;
        return;
      }
    }
  }

  private done(e: Entry): void {
    e.state = "done";
    if (e.deadLetterKey) {
      this.keeper.resolvedDeadLetter(e.deadLetterKey);
      return;
    }
    while (this.head < this.queue.length && this.queue[this.head]!.state === "done") this.head++;
  }

  private slotFreed(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.drained?.();
    this.schedule();
  }

  /** The line stays unsettled (the cursor holds) until its dead letter is durable. */
  private deadLetter(e: Entry, error: string, gen: number): void {
    const meta = {
      deadAt: new Date(this.now()).toISOString(),
      target: this.name,
      seq: e.seq,
      id: e.id,
      type: e.type,
      roomId: e.roomId,
      attempts: e.attempts,
      status: null,
      lastError: error,
    };
    this.dl.append(meta, `${e.line}\n`).then(
      () => {
        this.deps.logger.warn({ target: this.name, seq: e.seq, id: e.id, err: error }, "fan-out: event dead-lettered");
        this.deps.observer?.deadLettered(this.name);
        if (gen === this.gen) this.done(e);
        this.slotFreed();
      },
      (err: Error) => {
        this.deps.logger.error(
          { target: this.name, seq: e.seq, err: err.message },
          "fan-out: cannot write the dead letter",
        );
        if (gen === this.gen) {
          e.state = "queued";
          this.rewindTo(e);
          this.retryAt = this.now() + OPEN_RETRY_MS;
        }
        this.slotFreed();
      },
    );
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
    this.retryAt = 0;
    this.deps.logger.info({ target: this.name }, "fan-out: target resumed");
    void this.keeper.saveIfMoved();
    this.schedule();
    return true;
  }

  /** Moves the cursor to just before `fromSeq`. Lines still in the duplicate window are absorbed by JetStream. */
  async replay(fromSeq: number): Promise<number> {
    this.gen++;
    this.redeliveries = [];
    const cursor = Math.max(0, fromSeq - 1);
    await this.keeper.replay(cursor, () => this.position(cursor));
    this.deps.logger.info({ target: this.name, cursor }, "fan-out: replay: cursor moved");
    this.schedule();
    return cursor;
  }

  redeliver(ids: ReadonlySet<string> | null): { queued: number; remaining: number } {
    const busy = new Set<string>(this.keeper.pendingRemovals);
    for (const e of this.redeliveries) busy.add(e.deadLetterKey!);
    let queued = 0;
    let remaining = 0;
    for (const d of this.dl.entries()) {
      if ((ids && !ids.has(d.meta.id)) || busy.has(d.key)) continue;
      if (queued >= MAX_REDELIVERY_BATCH) {
        remaining++;
        continue;
      }
      const line = d.event.endsWith("\n") ? d.event.slice(0, -1) : d.event;
      const sdkAppId = SDK_APP_ID.exec(line)?.[1] ?? "~";
      const { seq, id, type, roomId } = d.meta;
      this.redeliveries.push({
        seq,
        id,
        type,
        roomId,
        sdkAppId,
        line,
        state: "queued",
        attempts: 0,
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
    const state: TargetState = this.stopped
      ? "stopped"
      : this.keeper.paused
        ? "paused"
        : !this.publisher.ready || this.retryAt > this.now()
          ? "open-circuit"
          : "running";
    return {
      name: this.name,
      url: `${publicServers(this.config)} stream ${this.config.stream} subject ${this.config.subject}`,
      state,
      cursor,
      savedCursor: this.keeper.savedSeq,
      headSeq: head,
      lag: Math.max(0, head - cursor),
      inFlight: this.inFlight,
      buffered: this.queue.length - this.head,
      overflowedRooms: 0,
      delivered: this.delivered,
      failedAttempts: this.failedAttempts,
      deadLetters: this.dl.count,
      paused: this.keeper.paused,
      lastError: this.lastError ?? this.linkError(),
    };
  }

  private linkError(): LastError {
    const p = this.publisher.problem;
    return p && this.running
      ? { at: new Date(this.now()).toISOString(), seq: 0, id: "", message: p, status: null }
      : null;
  }

  /** Stops publishing, waits up to `graceMs` for PubAcks in flight, saves the cursor, closes the link. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.running = false;
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.priorityTimer) clearTimeout(this.priorityTimer);
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    await this.keeper.stop();
    await this.publisher.close();
    await this.dl.close();
    this.deps.logger.info({ target: this.name, cursor: this.keeper.savedSeq }, "fan-out: target stopped");
  }
}
