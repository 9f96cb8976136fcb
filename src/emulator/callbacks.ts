// Fires callbacks as Tencent does (reference §1): POST to the configured URL with Tencent's query
// string (Sign/RequestTime when a token is set), the JSON body, a 2 s timeout, no retry. Only the
// commands enabled in the configuration at the time of the event are sent. A room's callbacks go
// out one after the other, in event order; rooms go in parallel (up to maxInFlight). Every callback
// fired is recorded with the answer it got (GET /emulator/callbacks).
import { callbackUrl } from "../callback/outgoing.ts";
import { listEnables } from "../tencent/callback-commands.ts";
import type { Emitted } from "./model.ts";

export interface CallbackConfig {
  Url: string;
  CallbackCommandList: string[];
}

export interface FiredCallback {
  /** 1, 2, 3… in the order the answers came (so `since` pages through them). */
  n: number;
  command: string;
  roomId: string;
  url: string;
  optPlatform: string;
  body: Record<string, unknown>;
  /** The HTTP status, null when no answer came (timeout, refused). */
  status: number | null;
  answer: string | null;
  error: string | null;
  acknowledged: boolean;
  ms: number;
}

export interface SenderOptions {
  sdkAppId: number;
  token?: string;
  timeoutMs?: number;
  maxInFlight?: number;
  maxRecords?: number;
}

interface Queued {
  url: string;
  event: Emitted;
}

const MAX_ANSWER = 1024;

export class CallbackSender {
  private readonly lanes = new Map<string, Queued[]>();
  private readonly busy = new Set<string>();
  private readonly ready: string[] = [];
  private readonly records: FiredCallback[] = [];
  private inFlight = 0;
  private queued = 0;
  private fired = 0;
  private settled = 0;
  private acknowledged = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly o: SenderOptions) {}

  /** Queues the events `config` enables; returns how many. */
  enqueue(events: Emitted[], config: CallbackConfig | null): number {
    if (!config) return 0;
    let n = 0;
    for (const event of events) {
      if (!listEnables(config.CallbackCommandList, event.command)) continue;
      const lane = this.lanes.get(event.roomId) ?? [];
      this.lanes.set(event.roomId, lane);
      lane.push({ url: config.Url, event });
      if (lane.length === 1 && !this.busy.has(event.roomId)) this.ready.push(event.roomId);
      n++;
    }
    this.queued += n;
    this.pump();
    return n;
  }

  private pump(): void {
    const max = this.o.maxInFlight ?? 64;
    while (this.inFlight < max && this.ready.length) {
      const roomId = this.ready.shift()!;
      const lane = this.lanes.get(roomId)!;
      const item = lane.shift()!;
      if (lane.length === 0) this.lanes.delete(roomId);
      this.busy.add(roomId);
      this.inFlight++;
      void this.send(item).then((rec) => this.settle(roomId, rec));
    }
  }

  private settle(roomId: string, rec: FiredCallback): void {
    this.inFlight--;
    this.queued--;
    this.busy.delete(roomId);
    if (rec.acknowledged) this.acknowledged++;
    rec.n = ++this.settled;
    this.records.push(rec);
    const max = this.o.maxRecords ?? 200_000;
    if (this.records.length > max * 1.5) this.records.splice(0, this.records.length - max);
    if (this.lanes.has(roomId)) this.ready.push(roomId);
    this.pump();
    if (this.queued === 0) for (const w of this.waiters.splice(0)) w();
  }

  private async send({ url: base, event }: Queued): Promise<FiredCallback> {
    this.fired++;
    const url = callbackUrl(base, {
      sdkAppId: String(this.o.sdkAppId),
      command: event.command,
      clientIp: event.clientIp,
      optPlatform: event.optPlatform,
      token: this.o.token,
      requestTime: Math.floor(Date.now() / 1000),
    });
    const rec = { n: 0, command: event.command, roomId: event.roomId, url, optPlatform: event.optPlatform };
    const started = performance.now();
    const done = (r: Pick<FiredCallback, "status" | "answer" | "error" | "acknowledged">): FiredCallback => ({
      ...rec,
      body: event.body,
      ...r,
      ms: Math.round(performance.now() - started),
    });
    try {
      const res = await fetch(url, {
        method: "POST",
        body: JSON.stringify(event.body),
        headers: { "content-type": "application/json" },
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 2000),
      });
      const answer = (await res.text()).slice(0, MAX_ANSWER);
      return done({ status: res.status, answer, error: null, acknowledged: res.status === 200 && isOk(answer) });
    } catch (e) {
      const error = (e as Error).name === "TimeoutError" ? "timeout" : (e as Error).message;
      return done({ status: null, answer: null, error, acknowledged: false });
    }
  }

  /** Records numbered above `since`, at most `limit`. */
  list(since: number, limit: number): FiredCallback[] {
    const first = this.records.length ? Math.max(0, since - this.records[0]!.n + 1) : 0;
    return this.records.slice(first, first + limit);
  }

  stats(): { fired: number; settled: number; pending: number; acknowledged: number; failed: number } {
    const { fired, settled, acknowledged } = this;
    return { fired, settled, pending: this.queued, acknowledged, failed: settled - acknowledged };
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    return this.queued === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

function isOk(answer: string): boolean {
  try {
    return (JSON.parse(answer) as { ActionStatus?: unknown }).ActionStatus === "OK";
  } catch {
    return false;
  }
}
