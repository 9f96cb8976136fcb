// roomhook as a hub (README "Scaling out"): `[upstream] kind = "nats"` mirrors a JetStream stream,
// the journal lines the edge receivers published, into this roomhook's own journal, so room state,
// the targets and the admin API work on the merged events of every receiver.
//
// A durable pull consumer (explicit acks) reads the stream in order. Each message is appended to
// the journal as the edge wrote it (its envelope and body; only the seq is this journal's), and
// acknowledged to JetStream only once that append is durable (fsync with durability = "fsync"). A
// message seen twice (an ack lost, a crash between the fsync and the ack, two edges' copies that
// slipped past the stream's duplicate window) is dropped by the journal's dedupe on its event id.
//
// Order: appends are started in stream order and the journal writes them in that order. A message
// that JetStream delivered but we never acknowledged would come back only after ack_wait, behind
// later ones; so at start and after any failure the consumer is set back to just after its ack floor
// (deleted and created again there) before reading on: the journal keeps stream order.
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { UpstreamConfig } from "../config/schema.ts";
import type { Journal } from "../journal/journal.ts";
import { peekSeqId, splitLine } from "../journal/line-codec.ts";
import { connectNats, publicServers } from "../nats/connect.ts";
import { hexEventId } from "./event-id-hex.ts";

const RETRY_MS = 1000;
const UTF8 = new TextDecoder();

export interface MirrorDeps {
  journal: Journal;
  logger: Logger;
}

export interface MirrorStatus {
  mirrored: number;
  duplicates: number;
  skipped: number;
  lastStreamSeq: number;
  problem: string | null;
}

export class NatsMirror {
  private nc: NatsConnection | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private stopCurrent: (() => void) | null = null;
  readonly stats: MirrorStatus = { mirrored: 0, duplicates: 0, skipped: 0, lastStreamSeq: 0, problem: "connecting" };

  constructor(
    private readonly config: UpstreamConfig,
    private readonly deps: MirrorDeps,
  ) {}

  start(): this {
    this.running = this.loop();
    return this;
  }

  /** Connects, sets the consumer back to its ack floor, mirrors until a failure; then again, until stop(). */
  private async loop(): Promise<void> {
    const log = this.deps.logger;
    while (!this.stopped) {
      try {
        if (!this.nc) {
          this.nc = await connectNats(this.config, "roomhook hub");
          void this.watch(this.nc);
        }
        const jsm = await jetstreamManager(this.nc, { timeout: 10_000 });
        await this.rewind(jsm);
        this.stats.problem = null;
        log.info(
          { nats: publicServers(this.config), stream: this.config.stream, consumer: this.config.consumer },
          "upstream: mirroring the stream into the journal",
        );
        await this.mirror(this.nc);
      } catch (e) {
        this.stats.problem = (e as Error).message;
        if (!this.stopped) log.warn({ err: this.stats.problem }, "upstream: mirror interrupted; will start again");
      }
      if (!this.stopped) await Bun.sleep(RETRY_MS);
    }
  }

  /** A reconnect may have lost deliveries in transit: read again from the ack floor (rewind). */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "reconnect") {
        this.deps.logger.warn("upstream: reconnected to NATS; reading again from the ack floor");
        this.stopCurrent?.();
      }
    }
  }

  /** The durable consumer, created at the stream's start, or set back to just after its ack floor. */
  private async rewind(jsm: JetStreamManager): Promise<void> {
    const c = this.config;
    const base: Partial<ConsumerConfig> = {
      durable_name: c.consumer,
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: c.batch * 4,
      ...(c.filter_subject ? { filter_subject: c.filter_subject } : {}),
    };
    const info = await jsm.consumers.info(c.stream, c.consumer).catch((e: Error) => {
      if (e.name === "ConsumerNotFoundError") return null;
      throw e;
    });
    if (!info) {
      await jsm.consumers.add(c.stream, { ...base, deliver_policy: DeliverPolicy.All });
      return;
    }
    if (info.num_ack_pending === 0 && info.delivered.stream_seq === info.ack_floor.stream_seq) return;
    const from = info.ack_floor.stream_seq + 1;
    await jsm.consumers.delete(c.stream, c.consumer);
    await jsm.consumers.add(c.stream, { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
    this.deps.logger.info({ consumer: c.consumer, from }, "upstream: consumer set back to just after its ack floor");
  }

  /** Reads until the connection or the journal fails (throws) or stop() is called (returns). */
  private async mirror(nc: NatsConnection): Promise<void> {
    const consumer = await jetstream(nc).consumers.get(this.config.stream, this.config.consumer);
    const messages = await consumer.consume({ max_messages: this.config.batch });
    let failed: Error | null = null;
    this.stopCurrent = () => void messages.close();
    const pending: Promise<void>[] = [];
    for await (const m of messages) {
      if (failed || this.stopped) break;
      pending.push(
        this.append(m).catch((e: Error) => {
          failed ??= e;
          void messages.close();
        }),
      );
      if (pending.length >= this.config.batch) await pending.shift();
    }
    await Promise.all(pending);
    this.stopCurrent = null;
    if (failed) throw failed;
    if (!this.stopped) throw new Error("the consumer stopped");
  }

  /** Appends one message (in call order) and acks it once the journal holds it durably. */
  private async append(m: JsMsg): Promise<void> {
    const text = UTF8.decode(m.data);
    const parts = splitLine(text);
    // The line's own id, not Nats-Msg-Id: a publisher other than roomhook may set that differently.
    const id = parts ? hexEventId(peekSeqId(text)?.id ?? "") : null;
    if (!parts || !id) {
      this.stats.skipped++;
      this.deps.logger.warn({ streamSeq: m.seq, subject: m.subject }, "upstream: not a journal line; skipped");
      m.ack();
      return;
    }
    const r = await this.deps.journal.ingest(id, parts.head, parts.body);
    if (r.duplicate) this.stats.duplicates++;
    else this.stats.mirrored++;
    this.stats.lastStreamSeq = m.seq;
    m.ack();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCurrent?.();
    await this.running;
    await this.nc?.close().catch(() => {});
  }
}
