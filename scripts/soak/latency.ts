// Latency bookkeeping of the soak's load generator (scripts/soak/load.ts): a log-bucketed histogram
// for the whole run, exact percentiles and counters for each sample window.

/** Log-bucketed histogram, 1 µs .. ~100 s at ~1 % resolution, for the whole-run percentiles. */
export class Histo {
  private readonly b = new Float64Array(2000);
  n = 0;
  max = 0;
  add(ms: number) {
    const us = Math.max(1, ms * 1000);
    this.b[Math.min(1999, Math.floor(Math.log(us) / Math.log(1.01)))]! += 1;
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  pct(p: number): number {
    if (this.n === 0) return NaN;
    const want = Math.ceil((p / 100) * this.n);
    let seen = 0;
    for (let i = 0; i < this.b.length; i++) {
      seen += this.b[i]!;
      if (seen >= want) return 1.01 ** (i + 1) / 1000;
    }
    return this.max;
  }
}
export function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export class Window {
  lat: number[] = [];
  svc: number[] = [];
  ok = 0;
  non2xx = 0;
  errors = 0;
  sent = 0;
  scheduled = 0;
  stall = 0; // longest gap between two ticks of this process's 1 ms ticker, ms
}
