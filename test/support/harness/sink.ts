// A webhook sink for roomhook's fan-out: records every 2xx delivery by webhook-id (with the seq of
// the body).
import type { Server } from "bun";

export class Sink {
  /** webhook-id -> seqs received with it (one per 2xx answer). */
  readonly received = new Map<string, number[]>();
  deliveries = 0;
  refused = 0;
  onReceipt: (() => void) | null = null;
  readonly server: Server<undefined>;
  /** `answer` decides the status from the event (default 200). */
  constructor(answer: (ev: { seq: number; roomId: string | null }) => number = () => 200) {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 64 * 1024 * 1024,
      fetch: async (req) => {
        const body = await req.text();
        const id = req.headers.get("webhook-id") ?? "";
        let ev = { seq: -1, roomId: null as string | null };
        try {
          ev = JSON.parse(body) as { seq: number; roomId: string | null };
        } catch {}
        const status = answer(ev);
        if (status < 200 || status >= 300) {
          this.refused++;
          return new Response("refused", { status });
        }
        const seen = this.received.get(id);
        if (seen) seen.push(ev.seq);
        else this.received.set(id, [ev.seq]);
        this.deliveries++;
        this.onReceipt?.();
        return new Response("ok");
      },
    });
  }
  get url(): string {
    return `http://127.0.0.1:${this.server.port}/hook`;
  }
  stop(): void {
    this.server.stop(true);
  }
}
