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

const UTF8 = new TextDecoder();

/** A PubAck's body: `{"stream":…,"seq":N[,"duplicate":true]}` or `{"error":{"code":…,"err_code":…,"description":…}}`. */
export function classifyPubAck(data: Uint8Array): PublishOutcome {
  let v: { seq?: unknown; duplicate?: unknown; error?: { err_code?: number; description?: string } };
  try {
    v = JSON.parse(UTF8.decode(data));
  } catch {
    return { kind: "retry", error: "an answer that is not a PubAck" };
  }
  if (v.error) return apiError(v.error.err_code ?? 0, v.error.description ?? "JetStream error");
  if (typeof v.seq !== "number") return { kind: "retry", error: "an answer that is not a PubAck" };
  return { kind: "published", streamSeq: v.seq, duplicate: v.duplicate === true };
}

function apiError(code: number, message: string): PublishOutcome {
  const why = PERMANENT_CODES.get(code);
  if (why) return { kind: "dead", error: `${why}: ${message} (JetStream error ${code})` };
  return { kind: "retry", error: `JetStream error ${code}: ${message}` };
}

export function classifyPublishError(e: unknown): PublishOutcome {
  const err = e as { name?: string; message?: string; code?: unknown };
  const name = err?.name ?? "Error";
  const message = err?.message ?? String(e);
  if (name === "InvalidArgumentError" && /max_payload/.test(message)) {
    return { kind: "dead", error: `message too large: ${message} (the server's max_payload)` };
  }
  if (name === "JetStreamApiError" && typeof err.code === "number") return apiError(err.code, message);
  if (name === "JetStreamNotEnabled") return { kind: "retry", error: "no JetStream answered (stream unavailable)" };
  return { kind: "retry", error: `${name}: ${message}` };
}

/** The wait before publishing again after `failures` failures in a row: doubling from 100 ms, capped, jittered. */
export function publishBackoff(failures: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(base / 2 + (random() * base) / 2);
}
