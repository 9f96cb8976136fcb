// Polling until a condition holds, for tests and tools that wait on a live process or a worker.

type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

export interface UntilOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Between polls; default 20 ms. */
  stepMs?: number;
  /** Appended to the timeout error: the state that explains it. */
  detail?: () => string | Promise<string>;
}

/** Polls `pred` until it gives a truthy value, which it returns; throws after the timeout. */
export async function until<T>(
  what: string,
  pred: () => T | Promise<T>,
  opts: UntilOptions | number = {},
): Promise<Truthy<T>> {
  const o = typeof opts === "number" ? { timeoutMs: opts } : opts;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v as Truthy<T>;
    if (Date.now() > end) {
      const detail = o.detail ? `; ${await o.detail()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${detail}`);
    }
    await Bun.sleep(o.stepMs ?? 20);
  }
}
