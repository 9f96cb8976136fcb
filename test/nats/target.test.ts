// The NATS target's worker in process, against a real nats-server (JetStream on, temp store, a
// loopback port): journal order and headers in the stream, the cursor after the PubAck only,
// dedupe by Nats-Msg-Id across two receivers, an outage waited out, permanent errors dead-lettered,
// pause/resume and replay.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import pino from "pino";
import { loadCursor, saveCursorSync } from "../../src/delivery/cursor-store.ts";
import { NatsWorker } from "../../src/delivery/nats-worker.ts";
import { cleanup, type NatsNode, startNats, streamMessages, tempDir } from "../support/harness.ts";
import { appendEvents, hexId, journalWith, natsTargetConfig, type TestEvent } from "../support/nats-target.ts";
import { until } from "../support/until.ts";

const silent = pino({ level: "silent" });
let nats: NatsNode;
let root: string;
const workers: NatsWorker[] = [];
let streamN = 0;

beforeAll(async () => {
  nats = await startNats();
  root = tempDir("nats-target");
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop(100);
});
afterAll(async () => {
  await cleanup();
  rmSync(root, { recursive: true, force: true });
});

const events = (n: number, from = 0): TestEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    id: hexId(from + i + 1),
    roomId: i % 5 === 0 ? null : `room ${(from + i) % 7}.x`,
  }));

async function worker(evs: TestEvent[], over: Parameters<typeof natsTargetConfig>[0]) {
  const j = await journalWith(evs, root);
  saveCursorSync(j.dataDir, over.name ?? "n", { seq: 0, paused: null }); // from the start, not the head
  const w = new NatsWorker(natsTargetConfig(over), {
    dataDir: j.dataDir,
    journalDir: j.dir,
    headSeq: () => j.writer.headSeq,
    logger: silent,
  });
  workers.push(w.start());
  return { w, ...j };
}

const settled = (what: string, pred: () => boolean) => until(what, pred, { timeoutMs: 20_000, stepMs: 10 });
const nextStream = () => `S${++streamN}`;

describe("NATS target", () => {
  test("publishes the journal in order with Nats-Msg-Id and headers; the cursor reaches the head", async () => {
    const stream = nextStream();
    const evs = events(500);
    const { w, dataDir } = await worker(evs, {
      url: nats.url,
      stream,
      subject: `${stream}.{sdkAppId}.{type}.{roomId}`,
    });
    await settled("all published", () => w.status().cursor === 500);
    const msgs = await streamMessages([nats.url], stream);
    expect(msgs.map((m) => m.header?.get("Nats-Msg-Id"))).toEqual(evs.map((e) => e.id));
    expect(msgs.map((m) => Number(m.header?.get("Roomhook-Seq")))).toEqual(evs.map((_, i) => i + 1));
    const first = msgs[1]!;
    expect(first.subject).toBe(`${stream}.1400000000.Room.CallbackAfterMemberEnter.room%201%2Ex`);
    expect(first.header?.get("Roomhook-Room")).toBe("room%201.x");
    expect(first.header?.get("Roomhook-Type")).toBe("Room.CallbackAfterMemberEnter");
    expect(msgs[0]!.subject.endsWith(".~")).toBe(true); // no room
    const line = JSON.parse(first.string()) as { seq: number; id: string; data: { i: number } };
    expect([line.seq, line.id, line.data.i]).toEqual([2, evs[1]!.id, 1]);
    expect(w.status()).toMatchObject({ state: "running", delivered: 500, lag: 0, deadLetters: 0 });
    await w.stop(100);
    expect(loadCursor(dataDir, "n")!.seq).toBe(500);
  });

  test("the same events from two receivers are stored once (Nats-Msg-Id)", async () => {
    const stream = nextStream();
    const evs = events(300);
    const a = await worker(evs, { url: nats.url, stream, subject: `${stream}.{type}` });
    const b = await worker(evs, { url: nats.url, stream, subject: `${stream}.{type}` });
    await settled("both published", () => a.w.status().cursor === 300 && b.w.status().cursor === 300);
    const msgs = await streamMessages([nats.url], stream);
    expect(msgs.map((m) => m.header?.get("Nats-Msg-Id"))).toEqual(evs.map((e) => e.id));
  });

  test("nats-server down for a while, then back: the backlog arrives in order, nothing lost", async () => {
    const stream = nextStream();
    const { w, writer } = await worker(events(100), {
      url: nats.url,
      stream,
      subject: `${stream}.x`,
      retry_max_ms: 200,
      timeout_ms: 500,
    });
    await settled("first batch", () => w.status().cursor === 100);
    await nats.stop();
    await appendEvents(writer, events(400, 100));
    w.nudge();
    await settled("a failed attempt", () => w.status().failedAttempts > 0);
    expect(w.status().cursor).toBeLessThan(500); // nothing acknowledged while the server is down
    expect(w.status().state).toBe("open-circuit");
    await nats.start();
    await settled("the backlog", () => w.status().cursor === 500);
    const msgs = await streamMessages([nats.url], stream);
    expect(msgs.map((m) => Number(m.header?.get("Roomhook-Seq")))).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
  });

  test("a subject the stream does not cover and a message too large are dead-lettered; the rest goes on", async () => {
    const stream = nextStream();
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.Room.>`], max_msg_size: 4096 });
    await nc.close();
    const evs: TestEvent[] = [
      { id: hexId(1), roomId: "a" },
      { id: hexId(2), roomId: "a", type: "Other.Thing" },
      { id: hexId(3), roomId: "a", body: JSON.stringify({ pad: "x".repeat(8000) }) },
      { id: hexId(4), roomId: "a" },
    ];
    const { w } = await worker(evs, { url: nats.url, stream, subject: `${stream}.{type}`, create_stream: false });
    await settled("all settled", () => w.status().cursor === 4);
    expect(w.status().deadLetters).toBe(2);
    const page = w.deadLetterPage(0, 10);
    expect(page.entries.map((d) => d.meta.seq)).toEqual([2, 3]);
    expect(page.entries[0]!.meta.lastError).toContain("no stream for the subject");
    expect(page.entries[1]!.meta.lastError).toContain("too large");
    const msgs = await streamMessages([nats.url], stream);
    expect(msgs.map((m) => m.header?.get("Nats-Msg-Id"))).toEqual([hexId(1), hexId(4)]);
  });

  test("a missing stream without create_stream: nothing is published, the status says why", async () => {
    const { w } = await worker(events(3), { url: nats.url, stream: "NOPE", subject: "nope.x", create_stream: false });
    await settled("the problem in the status", () => (w.status().lastError?.message ?? "").includes("does not exist"));
    expect(w.status()).toMatchObject({ state: "open-circuit", cursor: 0, delivered: 0 });
  });

  test("pause holds the cursor, resume publishes the rest, replay sends again (absorbed as duplicates)", async () => {
    const stream = nextStream();
    const { w, writer } = await worker(events(50), { url: nats.url, stream, subject: `${stream}.x` });
    await settled("first", () => w.status().cursor === 50);
    w.pause("test");
    await appendEvents(writer, events(50, 50));
    w.nudge();
    await Bun.sleep(200);
    expect(w.status()).toMatchObject({ state: "paused", cursor: 50 });
    w.resume();
    await settled("the rest", () => w.status().cursor === 100);
    expect(await w.replay(1)).toBe(0);
    await settled("the replay", () => w.status().cursor === 100 && w.status().delivered === 200);
    const msgs = await streamMessages([nats.url], stream);
    expect(msgs).toHaveLength(100);
  });
});
