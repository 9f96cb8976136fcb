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
  /** Aborted at shutdown or replay: the attempt then has no verdict. */
  stop: AbortSignal;
}

/** Reads (and drops) at most this much of a response body, so a chatty target costs no memory. */
const MAX_BODY = 64 * 1024;

async function drainResponseBody(res: Response): Promise<void> {
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
  if (o.stop.aborted) return { kind: "aborted" };
  try {
    const res = await o.fetch(o.url, {
      method: "POST",
      headers: webhookHeaders(o.keys, id, body, o.now()),
      body,
      redirect: "manual",
      signal: AbortSignal.any([o.stop, AbortSignal.timeout(o.timeoutMs)]),
    });
    const outcome = classifyStatus(res.status, res.headers.get("retry-after"), o.now());
    await drainResponseBody(res);
    return outcome;
  } catch (e) {
    if (o.stop.aborted) return { kind: "aborted" };
    return classifyError(e, o.timeoutMs);
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
