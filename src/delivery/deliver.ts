// One HTTP attempt: POST the journal line, signed, with the target's timeout; classify the answer.
import { classifyError, classifyStatus, type DeliveryOutcome } from "./outcome.ts";
import { webhookHeaders } from "./signature.ts";

export type Attempt = DeliveryOutcome | { kind: "aborted" };

export interface AttemptOptions {
  url: string;
  keys: readonly Buffer[];
  timeoutMs: number;
  fetch: typeof fetch;
  now: () => number;
  /** The target's timeouts, and its stop at shutdown (a stopped attempt has no verdict). */
  aborts: AttemptAborts;
}

/**
 * The timeouts of one target's attempts, and its stop: an AbortController per attempt, timed out by
 * one sweep (a timer plus a combined signal per attempt cost more than the rest of its JS). A
 * timeout fires up to a sweep late: a tenth of timeout_ms, at most 100 ms.
 */
export class AttemptAborts {
  private readonly live = new Map<AbortController, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly sweepMs: number;
  stopped = false;

  constructor(private readonly timeoutMs: number) {
    this.sweepMs = Math.min(100, Math.max(5, Math.floor(timeoutMs / 10)));
  }

  begin(): AbortController {
    const c = new AbortController();
    this.live.set(c, performance.now() + this.timeoutMs);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref?.();
    }
    return c;
  }

  end(c: AbortController): void {
    this.live.delete(c);
  }

  private sweep(): void {
    if (this.live.size === 0) {
      clearInterval(this.timer!);
      this.timer = null;
      return;
    }
    const t = performance.now();
    for (const [c, at] of this.live) {
      if (at > t) continue;
      this.live.delete(c);
      c.abort(new DOMException(`timeout after ${this.timeoutMs} ms`, "TimeoutError"));
    }
  }

  /** Shutdown: aborts every attempt in flight; later ones do not start. */
  stopAll(): void {
    this.stopped = true;
    for (const c of this.live.keys()) c.abort(new DOMException("stopping", "AbortError"));
    this.live.clear();
  }
}

/** Reads (and drops) at most this much of a response body, so a chatty target costs no memory. */
const MAX_BODY = 64 * 1024;

async function drainResponseBody(res: Response): Promise<void> {
  // The usual answer is small and says how small: read it natively (a JS stream reader costs more
  // than the rest of the delivery). Read to the end either way, so the connection is kept for reuse.
  const length = Number(res.headers.get("content-length") ?? Number.NaN);
  if (length <= MAX_BODY) {
    await res.arrayBuffer().catch(() => {});
    return;
  }
  if (!res.body) return;
  const reader = res.body.getReader();
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      n += value.byteLength;
      if (n > MAX_BODY) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The verdict comes from the status; a broken body after it changes nothing.
  }
}

export async function attempt(o: AttemptOptions, id: string, body: string): Promise<Attempt> {
  if (o.aborts.stopped) return { kind: "aborted" };
  const abort = o.aborts.begin();
  try {
    const res = await o.fetch(o.url, {
      method: "POST",
      headers: webhookHeaders(o.keys, id, body, o.now()),
      body,
      redirect: "manual",
      signal: abort.signal,
    });
    const outcome = classifyStatus(res.status, res.headers.get("retry-after"), o.now());
    await drainResponseBody(res);
    return outcome;
  } catch (e) {
    if (o.aborts.stopped) return { kind: "aborted" };
    return classifyError(e, o.timeoutMs);
  } finally {
    o.aborts.end(abort);
  }
}

/** The URL as shown in status and logs: no user:password. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}
