// What a failed JetStream publish means for the event: try again (an outage, a leader election, a
// full stream: the journal holds the event meanwhile) or dead-letter it now (it can never be
// stored: too large for the server or the stream). Anything unknown is retried: a wrong "dead"
// loses an event from the stream, a wrong "retry" only delays the target.

export type PublishOutcome =
  | { kind: "published"; streamSeq: number; duplicate: boolean }
  | { kind: "retry"; error: string }
  | { kind: "dead"; error: string };

/** JetStream API error codes that no retry can heal. */
const PERMANENT_CODES = new Map<number, string>([
  [10054, "message too large for the stream (max_msg_size)"],
  [10062, "message too large for the stream"],
]);

export function classifyPublishError(e: unknown): PublishOutcome {
  const err = e as { name?: string; message?: string; code?: unknown };
  const name = err?.name ?? "Error";
  const message = err?.message ?? String(e);
  if (name === "InvalidArgumentError" && /max_payload/.test(message)) {
    return { kind: "dead", error: `message too large: ${message} (the server's max_payload)` };
  }
  if (name === "JetStreamApiError" && typeof err.code === "number") {
    const why = PERMANENT_CODES.get(err.code);
    if (why) return { kind: "dead", error: `${why}: ${message} (JetStream error ${err.code})` };
    return { kind: "retry", error: `JetStream error ${err.code}: ${message}` };
  }
  if (name === "JetStreamNotEnabled") return { kind: "retry", error: "no JetStream answered (stream unavailable)" };
  return { kind: "retry", error: `${name}: ${message}` };
}

/** The wait before publishing again after `failures` failures in a row: doubling from 100 ms, capped, jittered. */
export function publishBackoff(failures: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(base / 2 + (random() * base) / 2);
}
