// Retry timing: the target's retry_delays_ms is the schedule (the default spans 31.7 h); each wait is
// jittered by ±20 % so that events failed together do not retry in lockstep. Retry-After replaces
// the scheduled wait, within bounds.

export const JITTER = 0.2;
/** A Retry-After beyond this is not believed: the schedule's own longest waits are 8 h. */
export const MAX_RETRY_AFTER_MS = 6 * 3600_000;

export function jittered(ms: number, rand: () => number = Math.random): number {
  return Math.round(ms * (1 - JITTER + 2 * JITTER * rand()));
}

/**
 * The wait before retry number `retry` (1 = the first retry), or null when the schedule is used up
 * and the event goes to the dead letters.
 */
export function retryDelay(
  delays: readonly number[],
  retry: number,
  retryAfterMs: number | null,
  rand: () => number = Math.random,
): number | null {
  const base = delays[retry - 1];
  if (base === undefined) return null;
  const scheduled = jittered(base, rand);
  if (retryAfterMs === null) return scheduled;
  // Honour the target's hint, but a "Retry-After: 0" must not turn into a hot loop (the floor) and
  // a hint of days must not park the event forever (the cap).
  const floor = Math.min(scheduled, 1000);
  return Math.min(Math.max(retryAfterMs, floor), MAX_RETRY_AFTER_MS);
}
