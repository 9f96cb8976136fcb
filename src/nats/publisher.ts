// A NATS target's link to JetStream: connects (again and again until it works), checks the stream
// at start (creates it when create_stream is set), and publishes one journal line with its event id
// as Nats-Msg-Id, so a line published twice (a retry, a crash before the cursor was saved, the same
// callback at two receivers) is stored once within the stream's duplicate window.
import { jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import { headers, type NatsConnection, nanos } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { NatsTargetConfig } from "../config/schema.ts";
import { connectNats, publicServers } from "./connect.ts";
import type { PublishOutcome } from "./publish-outcome.ts";
import { PubAcks } from "./pub-acks.ts";
import { SubjectTemplate, subjectMatches } from "./subject.ts";

export interface PublishRecord {
  seq: number;
  id: string;
  type: string;
  roomId: string | null;
  sdkAppId: number | string;
  line: string;
}

const UTF8 = new TextEncoder();

export class NatsPublisher {
  readonly subject: SubjectTemplate;
  private nc: NatsConnection | null = null;
  private acks: PubAcks | null = null;
  private streamSubjects: string[] = [];
  private closed = false;
  /** Why the link is not ready, for the status; null once connected and the stream is checked. */
  problem: string | null = "connecting";

  constructor(
    private readonly config: NatsTargetConfig,
    private readonly logger: Logger,
  ) {
    this.subject = new SubjectTemplate(config.subject);
  }

  get ready(): boolean {
    return this.acks !== null && !this.closed;
  }

  /** Connects and checks the stream, retrying every `retryMs` until it works or close() is called. */
  async open(retryMs: number): Promise<void> {
    while (!this.closed) {
      try {
        this.nc ??= await connectNats(this.config, `roomhook target ${this.config.name}`);
        if (this.closed) break;
        await this.checkStream(this.nc);
        this.acks = new PubAcks(this.nc, this.config.timeout_ms);
        this.problem = null;
        this.logger.info(
          { target: this.config.name, servers: publicServers(this.config), stream: this.config.stream },
          "nats: connected; stream checked",
        );
        return;
      } catch (e) {
        this.problem = (e as Error).message;
        this.logger.warn({ target: this.config.name, err: this.problem }, "nats: not ready; will try again");
        await Bun.sleep(retryMs);
      }
    }
    await this.close();
  }

  private async checkStream(nc: NatsConnection): Promise<void> {
    const c = this.config;
    const jsm = await jetstreamManager(nc, { timeout: c.timeout_ms });
    try {
      const info = await jsm.streams.info(c.stream);
      this.streamSubjects = info.config.subjects ?? [];
    } catch (e) {
      if ((e as Error).name !== "StreamNotFoundError") throw e;
      if (!c.create_stream)
        throw new Error(`stream ${c.stream} does not exist (set create_stream = true to create it)`);
      const cfg: Partial<StreamConfig> & { name: string } = {
        name: c.stream,
        subjects: c.stream_subjects ?? this.subject.coveringSubjects(),
        duplicate_window: nanos(c.duplicate_window_s * 1000),
        num_replicas: c.replicas,
      };
      const info = await jsm.streams.add(cfg);
      this.streamSubjects = info.config.subjects ?? [];
      this.logger.info({ target: c.name, stream: c.stream, subjects: this.streamSubjects }, "nats: stream created");
    }
  }

  /** Whether the checked stream takes this subject: a subject it does not cover can never be stored. */
  covers(subject: string): boolean {
    return this.streamSubjects.some((p) => subjectMatches(p, subject));
  }

  publish(r: PublishRecord): Promise<PublishOutcome> {
    const acks = this.acks;
    if (!acks) return Promise.resolve({ kind: "retry", error: this.problem ?? "not connected" });
    const subject = this.subject.render(r);
    if (!this.covers(subject)) {
      return Promise.resolve({
        kind: "dead",
        error: `no stream for the subject: ${this.config.stream} does not cover ${subject}`,
      });
    }
    const h = headers();
    h.set("Roomhook-Seq", String(r.seq));
    h.set("Roomhook-Type", r.type);
    if (r.roomId !== null) h.set("Roomhook-Room", encodeURIComponent(r.roomId));
    h.set("Nats-Msg-Id", r.id);
    return acks.publish(subject, UTF8.encode(r.line), h);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.acks?.close();
    this.acks = null;
    const nc = this.nc;
    this.nc = null;
    if (nc) await nc.close().catch(() => {});
  }
}
