// All targets' workers: started with the service, reconciled on SIGHUP (added, removed, or changed
// targets; a changed one restarts from its saved cursor), stopped on SIGTERM. In `serve` this runs
// on the fan-out thread (fanout-thread.ts); tests drive it in process.
import type { TargetConfig } from "../config/schema.ts";
import { type AnyWorker, createWorker } from "./target-worker.ts";
import type { WorkerDeps } from "./worker.ts";

export const STOP_GRACE_MS = 2000;

export class Fanout {
  private readonly workers = new Map<string, AnyWorker>();
  /** Changed targets between their old worker's stop and their new worker's start: their cursors
   *  still hold retention back. */
  private readonly restarting = new Set<AnyWorker>();
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    targets: readonly TargetConfig[],
    private readonly deps: WorkerDeps,
  ) {
    for (const t of targets) this.workers.set(t.name, createWorker(t, this.deps));
  }

  start(): this {
    for (const w of this.workers.values()) w.start();
    return this;
  }

  get(name: string): AnyWorker | undefined {
    return this.workers.get(name);
  }

  /** How many targets run (the fan-out's width: deliveries per event, at most). */
  get size(): number {
    return this.workers.size;
  }

  list(): AnyWorker[] {
    return [...this.workers.values()];
  }

  /** The journal committed: look now. */
  nudge(): void {
    for (const w of this.workers.values()) w.nudge();
  }

  /** The lowest cursor any target could resume from; Infinity with no targets (for retention). */
  minCursor(): number {
    let m = Infinity;
    for (const w of this.workers.values()) m = Math.min(m, w.safeCursor);
    for (const w of this.restarting) m = Math.min(m, w.safeCursor);
    return m;
  }

  /** Applies a new configuration's targets. Serialised: two quick SIGHUPs apply in order. */
  reconcile(targets: readonly TargetConfig[]): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.apply(targets));
    return this.reconciling;
  }

  private async apply(targets: readonly TargetConfig[]): Promise<void> {
    const wanted = new Map(targets.map((t) => [t.name, t]));
    const log = this.deps.logger;
    for (const [name, w] of this.workers) {
      const t = wanted.get(name);
      if (t && JSON.stringify(t) === JSON.stringify(w.config)) continue;
      // Removed or changed: stop and save; a changed target starts again from its saved cursor.
      this.workers.delete(name);
      if (t) this.restarting.add(w);
      await w.stop(STOP_GRACE_MS);
      log.info(
        { target: name },
        t ? "fan-out: target changed; restarting it" : "fan-out: target removed (its cursor file stays)",
      );
    }
    for (const [name, t] of wanted) {
      if (this.workers.has(name)) continue;
      const w = createWorker(t, this.deps);
      this.workers.set(name, w);
      w.start();
    }
    this.restarting.clear();
  }

  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    await this.reconciling;
    await Promise.all([...this.workers.values()].map((w) => w.stop(graceMs)));
  }
}
