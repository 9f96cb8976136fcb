// The NATS target end to end: the compiled binary publishing to a real nats-server. The same
// callbacks sent to two receivers end up once in the stream; kill -9 of a receiver in the middle of
// publishing loses nothing and its duplicates are absorbed by Nats-Msg-Id.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { until } from "../support/until.ts";
import {
  APP,
  cleanup,
  defaultConfig,
  memberEnter,
  type NatsNode,
  natsTargetToml,
  readJournal,
  sendCallback,
  startNats,
  startRoomhook,
  streamMessages,
  streamState,
  tempDir,
  toToml,
} from "./helpers.ts";

let nats: NatsNode;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(cleanup);

function receiverToml(dataDir: string, stream: string): string {
  return `${toToml(defaultConfig(dataDir))}\n${natsTargetToml({ url: nats.url, stream, create_stream: true, subject: `${stream}.{sdkAppId}.{type}.{roomId}` })}`;
}

async function receiver(stream: string, dataDir = join(tempDir("nats-rx"), "data")) {
  return await startRoomhook({ dataDir, tomlText: receiverToml(dataDir, stream) });
}

const idsOf = (msgs: { header?: { get(k: string): string } }[]) => msgs.map((m) => m.header?.get("Nats-Msg-Id") ?? "");

describe("NATS target (binary)", () => {
  test("the same callbacks sent to two receivers end up once in the stream", async () => {
    const stream = "TWO";
    const [a, b] = await Promise.all([receiver(stream), receiver(stream)]);
    const bodies = Array.from({ length: 200 }, () => memberEnter());
    for (const body of bodies) {
      const [ra, rb] = await Promise.all([sendCallback(a, { body }), sendCallback(b, { body })]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
    }
    await until("200 in the stream", async () => (await streamState([nats.url], stream)).lastSeq >= 200, 20_000);
    await Bun.sleep(300); // the other receiver's copies, had they not been absorbed, would land now
    const msgs = await streamMessages([nats.url], stream);
    const ids = readJournal(a.dataDir).map((l) => l.entry.id);
    expect(new Set(ids)).toEqual(new Set(readJournal(b.dataDir).map((l) => l.entry.id)));
    expect(msgs).toHaveLength(200);
    expect(new Set(idsOf(msgs))).toEqual(new Set(ids));
    const body = JSON.parse(msgs[0]!.string()) as { sdkAppId: number; data: { RoomId: string } };
    expect(body.sdkAppId).toBe(APP);
    expect(msgs[0]!.subject).toStartWith(`${stream}.${APP}.Room.CallbackAfterMemberEnter.`);
  });

  test("kill -9 of a receiver mid-publish: nothing lost, duplicates absorbed, journal order kept", async () => {
    const stream = "KILL";
    const dataDir = join(tempDir("nats-kill"), "data");
    // A kill can land when everything is already published; then try again (it rarely takes two).
    let landed = false;
    let written = 0;
    for (let attempt = 0; attempt < 5 && !landed; attempt++) {
      const r = await receiver(stream, dataDir);
      let sending = true;
      const sender = (async () => {
        while (sending) {
          await Promise.all(
            Array.from({ length: 16 }, () => sendCallback(r, { body: memberEnter() }).catch(() => null)),
          );
        }
      })();
      const goal = (await streamState([nats.url], stream)).messages + 300;
      await until("publishing under way", async () => (await streamState([nats.url], stream)).messages >= goal, 20_000);
      await r.kill9();
      sending = false;
      await sender;
      written = readJournal(dataDir).length;
      landed = (await streamState([nats.url], stream)).messages < written; // the kill landed mid-publish
    }
    expect(landed).toBe(true);
    const again = await receiver(stream, dataDir);
    await until(
      "the whole journal in the stream",
      async () => (await streamState([nats.url], stream)).messages >= written,
      30_000,
    );
    await Bun.sleep(300);
    await again.stop();
    const journal = readJournal(dataDir).map((l) => l.entry as { id: string; seq: number });
    const msgs = await streamMessages([nats.url], stream);
    expect(idsOf(msgs)).toEqual(journal.map((l) => l.id));
    expect(msgs.map((m) => Number(m.header?.get("Roomhook-Seq")))).toEqual(journal.map((l) => l.seq));
  });
});
