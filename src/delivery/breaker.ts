// A circuit breaker per target: after FAILURE_THRESHOLD failed attempts in a row (with no success
// in between, whichever rooms they were for) it opens and no delivery starts; after the open time
// one probe goes out (half-open); its success closes the breaker, its failure reopens it for twice
// as long. The open time starts at the target's first retry delay and is capped at its longest,
// so the breaker keeps the rhythm of the configured schedule. Blocked events keep their attempts.

export const FAILURE_THRESHOLD = 5;
export const MAX_OPEN_MS = 60_000;

export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  private failures = 0;
  private trips = 0;
  private openUntil = 0;
  private probing = false;
  state: BreakerState = "closed";

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  static forSchedule(delays: readonly number[]): CircuitBreaker {
    const base = Math.max(50, delays[0] ?? 1000);
    const max = Math.max(base, Math.min(MAX_OPEN_MS, Math.max(...delays, base)));
    return new CircuitBreaker(base, max);
  }

  /** May a delivery start now? In half-open, true once (that delivery is the probe). */
  allow(now: number): boolean {
    if (this.state === "closed") return true;
    if (this.state === "open") {
      if (now < this.openUntil) return false;
      this.state = "half-open";
      this.probing = false;
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** When an open breaker lets the next probe through (0 when not open). */
  get reopensAt(): number {
    return this.state === "open" ? this.openUntil : 0;
  }

  success(): void {
    this.failures = 0;
    this.trips = 0;
    this.probing = false;
    this.state = "closed";
  }

  failure(now: number): void {
    this.failures++;
    if (this.state === "half-open" || (this.state === "closed" && this.failures >= FAILURE_THRESHOLD)) {
      this.trips++;
      this.state = "open";
      this.probing = false;
      this.openUntil = now + Math.min(this.maxMs, this.baseMs * 2 ** (this.trips - 1));
    }
  }

  /** A delivery that ended without a verdict on the target's health (e.g. aborted at shutdown). */
  release(): void {
    this.probing = false;
  }
}
