// The messages between the ingest thread (fanout-host.ts) and the fan-out thread (fanout-thread.ts).
// Structured clone carries them; both sides are this code, so plain types suffice.
import type { LogLevel, TargetConfig } from "../config/schema.ts";
import type { ControlOp } from "./control.ts";
import type { DeliveryCounts } from "./delivery-counts.ts";

export interface ThreadSetup {
  slots: SharedArrayBuffer;
  targets: TargetConfig[];
  dataDir: string;
  journalDir: string;
  logLevel: LogLevel;
}

export type ToThread =
  | { t: "start"; id: number; setup: ThreadSetup }
  /** New commits: the head is in the shared slots. At most one is queued (SharedSlots.takeNudge). */
  | { t: "nudge" }
  | { t: "call"; id: number; op: ControlOp; args: unknown[] }
  | { t: "reconcile"; id: number; targets: TargetConfig[]; logLevel: LogLevel }
  | { t: "stop"; id: number; graceMs: number };

export type FromThread =
  | { t: "reply"; id: number; value?: unknown; error?: string; counts: DeliveryCounts | null }
  | { t: "counts"; counts: DeliveryCounts };
