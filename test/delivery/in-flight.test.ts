// The in-flight counter: a stop waits on it reaching zero, for a bounded time.
import { describe, expect, test } from "bun:test";
import { InFlight } from "../../src/delivery/in-flight.ts";

describe("in-flight counter", () => {
  test("counts begin and end", () => {
    const f = new InFlight();
    f.begin();
    f.begin();
    expect(f.count).toBe(2);
    f.end();
    expect(f.count).toBe(1);
  });

  test("the drained wait resolves true at once when nothing is in flight", async () => {
    const f = new InFlight();
    const t0 = performance.now();
    expect(await f.waitDrained(5_000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test("the drained wait resolves true when the count reaches zero, not before", async () => {
    const f = new InFlight();
    f.begin();
    f.begin();
    let done = null as boolean | null;
    const waiting = f.waitDrained(5_000).then((v) => (done = v));
    f.end();
    await Bun.sleep(5);
    expect(done).toBeNull(); // one still in flight
    const t0 = performance.now();
    f.end();
    await waiting;
    expect(done).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000); // at zero, not at the timeout
  });

  test("the drained wait times out (false) while something stays in flight", async () => {
    const f = new InFlight();
    f.begin();
    const t0 = performance.now();
    expect(await f.waitDrained(30)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(f.count).toBe(1);
    // A timed-out wait is forgotten: a later one is told when the count reaches zero.
    const later = f.waitDrained(5_000);
    f.end();
    expect(await later).toBe(true);
  });

  test("several waiters are all told", async () => {
    const f = new InFlight();
    f.begin();
    const a = f.waitDrained(5_000);
    const b = f.waitDrained(5_000);
    f.end();
    expect(await Promise.all([a, b])).toEqual([true, true]);
  });
});
