// What one delivery attempt's result means for the event (README "Fan-out to your services"):
// delivered, try again later, dead-letter now, or pause the whole target.

export type DeliveryOutcome =
  | { kind: "delivered"; status: number }
  | { kind: "retry"; status: number | null; error: string; retryAfterMs: number | null }
  | { kind: "dead"; status: number; error: string }
  | { kind: "gone"; status: 410; error: string };

/** Retry-After as delay-seconds or an HTTP date; null when absent or unreadable. Never negative. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (v === "") return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (/^[-+\d]/.test(v)) return null; // "1.5", "-3": not delta-seconds, and an HTTP date starts with a day name
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - nowMs);
}

export function classifyStatus(status: number, retryAfter: string | null, nowMs: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (status === 410) return { kind: "gone", status, error: "410 Gone: the target asked to stop deliveries" };
  // 3xx is a failure (Standard Webhooks: do not follow redirects) that a fixed proxy can heal: retry.
  if (status === 408 || status === 429 || status >= 500 || (status >= 300 && status < 400)) {
    return { kind: "retry", status, error: `HTTP ${status}`, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  }
  return { kind: "dead", status, error: `HTTP ${status}: rejected by the target, not retried` };
}

export function classifyError(e: unknown, timeoutMs: number): DeliveryOutcome {
  const err = e as { name?: string; code?: string; message?: string };
  const timedOut = err?.name === "TimeoutError" || err?.code === "ETIMEDOUT";
  const error = timedOut
    ? `timeout after ${timeoutMs} ms`
    : `network error: ${err?.code ?? err?.name ?? "Error"}${err?.message ? ` (${err.message})` : ""}`;
  return { kind: "retry", status: null, error, retryAfterMs: null };
}
