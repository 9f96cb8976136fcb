// roomhook as a hub, in process against a real nats-server: the mirror puts every event of the
// stream into the journal exactly once and in stream order (copies in the stream are dropped by
// event id), acks only what the journal holds, and a new mirror on the same consumer goes on where
// the last one stopped.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Value } from "@sinclair/typebox/value";
import pino from "pino";
import { type UpstreamConfig, UpstreamSchema } from "../../src/config/schema.ts";
import { Journal } from "../../src/journal/journal.ts";
import { envelopeHead, renderLine } from "../../src/journal/line.ts";
import { NatsMirror } from "../../src/upstream/nats-mirror.ts";
import { cleanup, type NatsNode, readJournal, startNats, tempDir } from "../support/harness.ts";
import { hexId } from "../support/nats-target.ts";
import { until } from "../support/until.ts";

const silent = pino({ level: "silent" });
let nats: NatsNode;
let nc: NatsConnection;
let root: string;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  root = tempDir("nats-hub");
});
afterAll(async () => {
  await nc.close();
  await cleanup();
  rmSync(root, { recursive: true, force: true });
});

/** A journal line as an edge receiver wrote it (its own seq). */
function edgeLine(n: number, edgeSeq: number): string {
  const head = envelopeHead({
    id: hexId(n),
    type: "Room.CallbackAfterMemberEnter",
    sdkAppId: 1400000000,
    roomId: `r${n % 3}`,
    eventTime: n,
    receivedAt: "2026-01-01T00:00:00.000Z",
    clientIp: null,
    optPlatform: null,
  });
  return renderLine(edgeSeq, head, `{"n":${n},"big":12345678901234567890}`).slice(0, -1);
}

async function publish(stream: string, ns: number[], withMsgId = true): Promise<void> {
  const js = jetstream(nc);
  for (const [i, n] of ns.entries()) {
    await js.publish(`${stream}.x`, edgeLine(n, i + 1), withMsgId ? { msgID: hexId(n) } : {});
  }
}

function hub(stream: string, dataDir: string) {
  const journal = new Journal({
    dir: join(dataDir, "journal"),
    durability: "fsync",
    segmentBytes: 1 << 20,
    dedupeWindow: 1000,
  });
  const config = Value.Default(UpstreamSchema, { kind: "nats", url: nats.url, stream, batch: 16 }) as UpstreamConfig;
  const mirror = new NatsMirror(config, { journal, logger: silent }).start();
  return {
    journal,
    mirror,
    async close() {
      await mirror.stop();
      await journal.close();
    },
  };
}

describe("hub: NATS upstream mirror", () => {
  test("every event of the stream once, in stream order; copies dropped; a restart goes on", async () => {
    const stream = "HUB1";
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await publish(stream, [1, 2, 3, 4, 5]);
    await publish(stream, [3, 4], false); // copies past the duplicate window: in the stream twice
    await publish(stream, [6, 7, 8]);
    const dataDir = mkdtempSync(join(root, "h-"));
    let h = hub(stream, dataDir);
    await until("the hub caught up", () => h.mirror.stats.lastStreamSeq === 10, 15_000);
    expect(h.mirror.stats).toMatchObject({ mirrored: 8, duplicates: 2, skipped: 0, problem: null });
    await h.close();
    const ci = await jsm.consumers.info(stream, "roomhook-hub");
    expect(ci.ack_floor.stream_seq).toBe(10);
    await publish(
      stream,
      Array.from({ length: 100 }, (_, i) => 9 + i),
    );
    h = hub(stream, dataDir);
    await until("the second run caught up", () => h.mirror.stats.lastStreamSeq === 110, 15_000);
    expect(h.mirror.stats.duplicates).toBe(0);
    await h.close();
    const lines = readJournal(dataDir);
    expect(lines.map((l) => l.entry.id)).toEqual(Array.from({ length: 108 }, (_, i) => hexId(i + 1)));
    expect(lines.map((l) => l.entry.seq)).toEqual(Array.from({ length: 108 }, (_, i) => i + 1));
    // The edge's envelope and body as written, big numbers included; only the seq is the hub's.
    expect(lines[0]!.raw).toBe(edgeLine(1, 1));
    expect(lines[107]!.raw).toContain('"big":12345678901234567890');
  });

  test("a consumer left with unacked deliveries is set back to its ack floor: order and once hold", async () => {
    const stream = "HUB2";
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await publish(
      stream,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    await jsm.consumers.add(stream, { durable_name: "roomhook-hub", ack_policy: "explicit" as never });
    // A hub that died after taking 5 deliveries and acking 2 of them (as a crash would leave it).
    const c = await jetstream(nc).consumers.get(stream, "roomhook-hub");
    const got = await c.fetch({ max_messages: 5 });
    let k = 0;
    for await (const m of got) if (++k <= 2) m.ack();
    await nc.flush();
    const dataDir = mkdtempSync(join(root, "h-"));
    const h = hub(stream, dataDir);
    await until("caught up", () => h.mirror.stats.lastStreamSeq === 20, 15_000);
    await h.close();
    const ids = readJournal(dataDir).map((l) => l.entry.id);
    expect(ids).toEqual(Array.from({ length: 18 }, (_, i) => hexId(i + 3)));
  });
});
