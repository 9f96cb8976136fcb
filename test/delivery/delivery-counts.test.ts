import { describe, expect, test } from "bun:test";
import { CountingObserver } from "../../src/delivery/delivery-counts.ts";
import { AttemptAborts, attempt } from "../../src/delivery/deliver.ts";

describe("CountingObserver", () => {
  test("counts per target and failure class, and hands the counts over once", () => {
    const o = new CountingObserver();
    expect(o.take()).toBeNull();
    o.delivered("a");
    o.delivered("a");
    o.failed("a", 503, "HTTP 503");
    o.failed("a", null, "timeout after 5000 ms");
    o.failed("b", 500, "HTTP 500");
    o.deadLettered("b");
    expect(o.take()).toEqual({
      a: { delivered: 2, deadLettered: 0, failures: { http_5xx: 1, timeout: 1 } },
      b: { delivered: 0, deadLettered: 1, failures: { http_5xx: 1 } },
    });
    expect(o.take()).toBeNull();
  });
});

describe("AttemptAborts", () => {
  const hang = () => Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
  const opts = (url: string, aborts: AttemptAborts) => ({
    url,
    keys: [Buffer.from("secret")],
    timeoutMs: 150,
    fetch,
    now: Date.now,
    aborts,
  });

  test("an attempt that gets no answer times out as a retry naming the timeout", async () => {
    const s = hang();
    try {
      const a = await attempt(opts(`http://127.0.0.1:${s.port}/`, new AttemptAborts(150)), "id", "{}");
      expect(a).toMatchObject({ kind: "retry", status: null, error: "timeout after 150 ms" });
    } finally {
      s.stop(true);
    }
  });

  test("stopAll aborts what is in flight and what starts later: no verdict", async () => {
    const s = hang();
    try {
      const aborts = new AttemptAborts(60_000);
      const o = opts(`http://127.0.0.1:${s.port}/`, aborts);
      const pending = attempt(o, "id", "{}");
      await Bun.sleep(50);
      aborts.stopAll();
      expect(await pending).toEqual({ kind: "aborted" });
      expect(await attempt(o, "id2", "{}")).toEqual({ kind: "aborted" });
    } finally {
      s.stop(true);
    }
  });
});
