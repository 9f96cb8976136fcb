// The count of a target's deliveries under way: an HTTP attempt, and after it the dead-letter write
// when its verdict sends the event there (the room's head stays taken until that line is durable).
// begin/end are a counter and nothing else, since they run for every event; only a stop waits on
// the count reaching zero.

export class InFlight {
  private n = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.n;
  }

  begin(): void {
    this.n++;
  }

  end(): void {
    if (--this.n === 0 && this.waiters.length) {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves true once the count is zero (at once if it is), or false after `timeoutMs`. */
  waitDrained(timeoutMs: number): Promise<boolean> {
    if (this.n === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const drained = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((f) => f !== drained);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(drained);
    });
  }
}
