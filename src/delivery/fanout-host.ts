// The ingest thread's handle on the fan-out thread (fanout-thread.ts): it starts the thread, tells it
// of commits (the head in the shared slots, at most one nudge queued), measures the ingest's own
// stalls for the thread's ingest-priority rule, and answers the admin API's FanoutControl calls by
// message. Should the thread die, the calls waiting on it fail, and it is started again from the
// saved cursors (at-least-once: what was in flight is sent again).
import type { Logger } from "pino";
import type { LogLevel, TargetConfig } from "../config/schema.ts";
import type { ControlOp, DeadLetterPage, FanoutControl } from "./control.ts";
import type { DeliveryCounts } from "./delivery-counts.ts";
import { StallMonitor } from "./ingest-priority.ts";
import { SharedSlots } from "./shared-slots.ts";
import type { FromThread, ToThread } from "./thread-messages.ts";
import type { TargetStatus } from "./worker.ts";

/** A thread that died is started again this much later. */
export const RESTART_DELAY_MS = 1000;
/** stop() waits this long beyond the thread's own grace before terminating it. */
const STOP_SLACK_MS = 2000;

export interface FanoutHostOptions {
  targets: readonly TargetConfig[];
  dataDir: string;
  journalDir: string;
  logLevel: LogLevel;
  headSeq: number;
  logger: Logger;
  /** Delivery counts from the thread, for the metrics. */
  onCounts: (counts: DeliveryCounts) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * The thread's entry. In the compiled binary modules have no paths of their own; entry points sit
 * under /$bunfs/root/ laid out as under src/ (scripts/build.ts adds this one).
 */
function threadUrl(): string {
  return import.meta.url.startsWith("file:///$bunfs/")
    ? "/$bunfs/root/delivery/fanout-thread.ts"
    : new URL("./fanout-thread.ts", import.meta.url).href;
}

export class FanoutHost implements FanoutControl {
  private worker: Worker | null = null;
  private readonly slots: SharedSlots;
  private readonly monitor: StallMonitor;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  private targets: readonly TargetConfig[];
  private logLevel: LogLevel;
  private lastStatuses: TargetStatus[] = [];

  private constructor(private readonly opts: FanoutHostOptions) {
    this.slots = SharedSlots.create(opts.headSeq);
    this.monitor = new StallMonitor(this.slots);
    this.targets = opts.targets;
    this.logLevel = opts.logLevel;
  }

  /**
   * Starts the thread and returns at once: calls made meanwhile wait in the thread's queue, so the
   * admin API can listen before the thread is up. `ready` resolves once every target has loaded its
   * cursor, and rejects (the thread ended) if one cannot.
   */
  static spawn(opts: FanoutHostOptions): { host: FanoutHost; ready: Promise<void> } {
    const host = new FanoutHost(opts);
    const ready = host.spawn().then(
      () => {
        host.monitor.start();
      },
      (e: Error) => {
        host.stopping = true;
        host.worker?.terminate();
        throw e;
      },
    );
    return { host, ready };
  }

  /** spawn() and wait until it is ready. */
  static async start(opts: FanoutHostOptions): Promise<FanoutHost> {
    const { host, ready } = FanoutHost.spawn(opts);
    await ready;
    return host;
  }

  private spawn(): Promise<unknown> {
    const w = new Worker(threadUrl());
    this.worker = w;
    w.unref();
    w.onmessage = (e: MessageEvent<FromThread>) => this.receive(e.data);
    w.onerror = (e: ErrorEvent) => this.opts.logger.error({ err: e.message }, "fan-out thread: uncaught error");
    w.addEventListener("close", () => this.closed(w));
    this.slots.armNudge();
    const { dataDir, journalDir } = this.opts;
    const setup = {
      slots: this.slots.buffer,
      targets: [...this.targets],
      dataDir,
      journalDir,
      logLevel: this.logLevel,
    };
    return this.request((id) => ({ t: "start", id, setup }));
  }

  private closed(w: Worker): void {
    if (w !== this.worker) return;
    this.worker = null; // calls fail at once until it is back
    const err = new Error("the fan-out thread stopped");
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (this.stopping) return;
    this.opts.logger.error(
      { restartInMs: RESTART_DELAY_MS },
      "fan-out thread died; starting it again from the saved cursors",
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn().catch((e: Error) =>
        this.opts.logger.error({ err: e.message }, "fan-out thread: cannot start it again"),
      );
    }, RESTART_DELAY_MS);
  }

  private receive(m: FromThread): void {
    if (m.counts) this.opts.onCounts(m.counts);
    if (m.t !== "reply") return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.value);
  }

  private request(make: (id: number) => ToThread): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.worker) return reject(new Error("the fan-out thread is not running"));
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(make(id));
    });
  }

  private call<T>(op: ControlOp, ...args: unknown[]): Promise<T> {
    return this.request((id) => ({ t: "call", id, op, args })) as Promise<T>;
  }

  /** The journal committed up to `headSeq`. Called on every commit: a store and, at most, one message. */
  committed(headSeq: number): void {
    this.slots.headSeq = headSeq;
    if (this.worker && this.slots.takeNudge()) this.worker.postMessage({ t: "nudge" } satisfies ToThread);
  }

  /** The lowest cursor a restart could resume from (for retention); 0 until the thread has said. */
  minCursor(): number {
    return this.slots.minCursor;
  }

  /** Deliveries/s the fan-out allows itself while the ingest waits for a core; Infinity: no cap. */
  get deliveryRateCap(): number {
    return this.slots.deliveryRateCap;
  }

  /** The statuses of the last list() (what the metrics render between scrapes). */
  get statuses(): readonly TargetStatus[] {
    return this.lastStatuses;
  }

  async list(): Promise<TargetStatus[]> {
    this.lastStatuses = await this.call<TargetStatus[]>("list");
    return this.lastStatuses;
  }

  status(name: string): Promise<TargetStatus | null> {
    return this.call("status", name);
  }

  pause(name: string, reason: string): Promise<TargetStatus | null> {
    return this.call("pause", name, reason);
  }

  resume(name: string): Promise<TargetStatus | null> {
    return this.call("resume", name);
  }

  replay(name: string, fromSeq: number): Promise<number | null> {
    return this.call("replay", name, fromSeq);
  }

  redeliver(name: string, ids: string[] | null): Promise<{ queued: number; remaining: number } | null> {
    return this.call("redeliver", name, ids);
  }

  deadLetterPage(name: string, from: number, limit: number): Promise<DeadLetterPage | null> {
    return this.call("deadLetterPage", name, from, limit);
  }

  /** A reload's targets and log level (a changed target restarts from its saved cursor). */
  async reconcile(targets: readonly TargetConfig[], logLevel: LogLevel): Promise<void> {
    this.targets = targets;
    this.logLevel = logLevel;
    await this.request((id) => ({ t: "reconcile", id, targets: [...targets], logLevel }));
  }

  /** Lets deliveries in flight finish for up to `graceMs`, saves the cursors, ends the thread. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.monitor.stop();
    const w = this.worker;
    if (!w) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs + STOP_SLACK_MS);
    });
    const stopped = this.request((id) => ({ t: "stop", id, graceMs })).catch((e: Error) =>
      this.opts.logger.error({ err: e.message }, "fan-out thread: stop failed"),
    );
    await Promise.race([stopped, deadline]);
    clearTimeout(timer);
    w.terminate();
  }
}
