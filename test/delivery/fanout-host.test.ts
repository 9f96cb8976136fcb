// The fan-out on its own thread, driven as `serve` drives it: commits told through the shared head,
// the admin calls answered by message, delivery counts batched to the metrics, the thread started
// again (from the saved cursors) when it dies, and the cursors saved on stop.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { loadCursor } from "../../src/delivery/cursor-store.ts";
import type { DeliveryCounts } from "../../src/delivery/delivery-counts.ts";
import { FanoutHost } from "../../src/delivery/fanout-host.ts";
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { targetConfig } from "../support/target.ts";
import { until } from "../support/until.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const head = (i: number) =>
  envelopeHead({
    id: `${i}`.padStart(32, "0"),
    type: "Room.CallbackAfterMemberEnter",
    sdkAppId: 1,
    roomId: `r${i % 3}`,
    eventTime: i,
    receivedAt: new Date().toISOString(),
    clientIp: null,
    optPlatform: null,
  });

async function rig() {
  const dataDir = mkdtempSync(join(tmpdir(), "roomhook-host-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const journalDir = join(dataDir, "journal");
  const writer = new SegmentWriter({ dir: journalDir, durability: "write", segmentBytes: 1 << 20 }).open();
  cleanups.push(() => writer.close());
  const seen: number[] = [];
  const sink = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      seen.push((JSON.parse(await req.text()) as { seq: number }).seq);
      return new Response(null, { status: 204 });
    },
  });
  cleanups.push(() => sink.stop(true));
  const counts: DeliveryCounts[] = [];
  const host = await FanoutHost.start({
    targets: [targetConfig({ name: "t", url: `http://127.0.0.1:${sink.port}/hook` })],
    dataDir,
    journalDir,
    logLevel: "silent",
    headSeq: 0,
    logger: pino({ level: process.env.DBG ? "debug" : "silent" }),
    onCounts: (c) => counts.push(c),
  });
  cleanups.push(() => host.stop(1000));
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) await writer.append(head(writer.headSeq + 1), `{"i":${i}}`);
    host.committed(writer.headSeq);
  };
  return { dataDir, host, seen, counts, append, writer };
}

const delivered = (counts: DeliveryCounts[]) => counts.reduce((n, c) => n + (c.t?.delivered ?? 0), 0);

describe("FanoutHost: the fan-out thread", () => {
  test("commits told through the shared head are delivered; status, counts and the lowest cursor follow", async () => {
    const { host, seen, counts, append } = await rig();
    await append(20);
    await until("20 deliveries settled", async () => (await host.list())[0]!.delivered === 20);
    const [t] = await host.list();
    expect(t!.name).toBe("t");
    expect(t!.delivered).toBe(20);
    expect(t!.headSeq).toBe(20);
    expect(delivered(counts)).toBe(20); // the counts came with the reply, before it resolved
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await until("the lowest cursor published", async () => host.minCursor() === 20);
    expect(await host.status("nope")).toBeNull();
  });

  test("pause, resume and replay act on the thread's worker", async () => {
    const { host, seen, append } = await rig();
    await append(5);
    await until("5 deliveries", () => seen.length >= 5);
    expect((await host.pause("t", "test"))!.state).toBe("paused");
    await append(5);
    await Bun.sleep(200);
    expect(seen.length).toBe(5); // paused: nothing more sent
    expect((await host.resume("t"))!.state).toBe("running");
    await until("10 deliveries", () => seen.length >= 10);
    expect(await host.replay("t", 3)).toBe(2);
    await until("seq 3..10 again", () => seen.length >= 18);
    expect(seen.slice(10).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await host.deadLetterPage("t", 0, 10)).toEqual({ total: 0, lines: [] });
    expect(await host.redeliver("nope", null)).toBeNull();
  });

  test("a thread that dies fails the calls waiting on it and is started again from the saved cursor", async () => {
    const { host, seen, append } = await rig();
    await append(3);
    await until("3 deliveries", () => seen.length >= 3);
    await until("the cursor saved", async () => (await host.list())[0]!.savedCursor === 3);
    (host as any).worker.terminate(); // the thread dies as an uncaught error would end it
    await until("the thread back", async () => (await host.list().catch(() => []))[0]?.cursor === 3);
    await append(2);
    await until("deliveries after the restart", () => seen.length >= 5);
    expect(seen.slice(3).sort()).toEqual([4, 5]);
  });

  test("stop saves every cursor and ends the thread; later calls fail", async () => {
    const { host, seen, append, dataDir } = await rig();
    await append(7);
    await until("7 deliveries", () => seen.length >= 7);
    await host.stop(1000);
    expect(loadCursor(dataDir, "t")?.seq).toBe(7);
    expect(host.list()).rejects.toThrow();
  });
});
