// Ingest first. The fan-out shares the event loop (one core) with the callback endpoint, and one
// delivery costs about as much CPU as one ingested callback, so N targets delivering at full speed
// during a burst would cut the ingest to 1/(N+1). While the journal is committing faster than
// PRESSURE_RPS, the fan-out as a whole may start at most BUDGET_RPS deliveries a second; the rest
// waits in the journal (that is what the cursor is for) and is sent at full speed once the burst
// ends. Below the threshold nothing is limited.

export const PRESSURE_RPS = 1000;
export const BUDGET_RPS = 1500;
const WINDOW_MS = 200;

export class DeliveryGovernor {
  private windowStart = 0;
  private windowRecords = 0;
  private rate = 0;
  private tokens = BUDGET_RPS / 10;
  private refilledAt = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Told about every journal commit. */
  committed(records: number): void {
    const t = this.now();
    if (t - this.windowStart >= WINDOW_MS) {
      const span = Math.max(WINDOW_MS, t - this.windowStart);
      this.rate = (this.windowRecords * 1000) / span;
      this.windowStart = t;
      this.windowRecords = 0;
    }
    this.windowRecords += records;
  }

  get underPressure(): boolean {
    // A window that ended long ago (no commits since) means the burst is over.
    if (this.now() - this.windowStart > 2 * WINDOW_MS) return false;
    return this.rate >= PRESSURE_RPS;
  }

  /** May one more delivery start now? */
  take(): boolean {
    if (!this.underPressure) return true;
    const t = this.now();
    this.tokens = Math.min(BUDGET_RPS / 10, this.tokens + ((t - this.refilledAt) * BUDGET_RPS) / 1000);
    this.refilledAt = t;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
