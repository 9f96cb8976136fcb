// The fan-out thread's delivery observer: it only counts, per target, and the counts cross to the
// ingest thread's metrics with the next reply or every COUNTS_EVERY_MS (fanout-host.ts applies them),
// so an attempt costs the thread no message of its own.
import { failureClass } from "../metrics/roomhook.ts";
import type { DeliveryObserver } from "./dispatcher.ts";

export interface TargetCounts {
  delivered: number;
  deadLettered: number;
  /** By failure class (failureClass), the label of the failures counter. */
  failures: Record<string, number>;
}

export type DeliveryCounts = Record<string, TargetCounts>;

export class CountingObserver implements DeliveryObserver {
  private counts: DeliveryCounts = {};
  private empty = true;

  private of(target: string): TargetCounts {
    this.empty = false;
    let c = this.counts[target];
    if (!c) {
      c = { delivered: 0, deadLettered: 0, failures: {} };
      this.counts[target] = c;
    }
    return c;
  }

  delivered(target: string): void {
    this.of(target).delivered++;
  }

  failed(target: string, status: number | null, error: string): void {
    const f = this.of(target).failures;
    const cls = failureClass(status, error);
    f[cls] = (f[cls] ?? 0) + 1;
  }

  deadLettered(target: string): void {
    this.of(target).deadLettered++;
  }

  /** The counts since the last take, or null when nothing happened. */
  take(): DeliveryCounts | null {
    if (this.empty) return null;
    const c = this.counts;
    this.counts = {};
    this.empty = true;
    return c;
  }
}
