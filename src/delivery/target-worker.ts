// One worker per target, of the target's kind: HTTP (worker.ts, per-room order, Standard Webhooks)
// or NATS JetStream (nats-worker.ts, journal order, PubAck). Both answer the fan-out and the admin
// API the same calls (status, pause, resume, replay, redeliver, dead letters).
import type { TargetConfig } from "../config/schema.ts";
import { NatsWorker } from "./nats-worker.ts";
import { TargetWorker, type WorkerDeps } from "./worker.ts";

export type AnyWorker = TargetWorker | NatsWorker;

export function createWorker(config: TargetConfig, deps: WorkerDeps): AnyWorker {
  return config.kind === "nats" ? new NatsWorker(config, deps) : new TargetWorker(config, deps);
}
