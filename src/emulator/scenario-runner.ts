// Runs a scenario at a rate (callbacks per second) until its duration or event count is reached.
// It never runs far ahead of the receiver: while more than a second's worth of callbacks (at least
// 1000) wait to be sent, it waits too, so a slow receiver slows the scenario instead of growing a
// queue without bound. It also waits while no callback is configured (so a demo started before
// `tencent set-callback` loses no room's creation): its clock runs only while one is.
import type { Emulator } from "./emulator.ts";
import type { ScenarioName } from "./profiles.ts";
import { ScenarioDriver } from "./scenario.ts";

export interface ScenarioOptions {
  name: ScenarioName;
  rooms: number;
  /** Callbacks per second. */
  rate: number;
  durationMs: number | null;
  maxEvents: number | null;
  seed: number;
}

export interface ScenarioStatus {
  name: ScenarioName;
  seed: number;
  running: boolean;
  steps: number;
  events: number;
  elapsedMs: number;
}

const TICK_MS = 10;

export class ScenarioRunner {
  private readonly driver: ScenarioDriver;
  private steps = 0;
  private events = 0;
  private running = false;
  private stopped = false;
  /** Time run with a callback configured: the scenario's own clock. */
  private activeMs = 0;
  readonly finished: Promise<ScenarioStatus>;
  private resolveFinished!: (s: ScenarioStatus) => void;

  constructor(
    private readonly em: Emulator,
    readonly options: ScenarioOptions,
  ) {
    this.driver = new ScenarioDriver(em, options.name, options.rooms, options.seed);
    this.finished = new Promise((r) => (this.resolveFinished = r));
  }

  start(): void {
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
  }

  private done(elapsed: number): boolean {
    const o = this.options;
    return (
      this.stopped ||
      (o.durationMs !== null && elapsed >= o.durationMs) ||
      (o.maxEvents !== null && this.events >= o.maxEvents)
    );
  }

  private async loop(): Promise<void> {
    const o = this.options;
    const backlog = Math.max(1000, o.rate);
    let elapsed = 0;
    let last = performance.now();
    for (;;) {
      const now = performance.now();
      if (this.em.callback) elapsed += now - last;
      last = now;
      this.activeMs = elapsed;
      if (this.done(elapsed)) break;
      const due = (o.rate * elapsed) / 1000;
      while (this.events < due && this.em.sender.stats().pending < backlog && !this.done(elapsed)) {
        this.events += this.driver.step();
        this.steps++;
      }
      await Bun.sleep(TICK_MS);
    }
    this.running = false;
    this.resolveFinished(this.status());
  }

  status(): ScenarioStatus {
    return {
      name: this.options.name,
      seed: this.options.seed,
      running: this.running,
      steps: this.steps,
      events: this.events,
      elapsedMs: Math.round(this.activeMs),
    };
  }
}
