// The worker against a real journal on disk and a fake target (an injected fetch): ordering, a stuck
// room with bounded memory (overflow and re-scan), cursor persistence, dead letters.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { targetConfig } from "../support/target.ts";
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { loadCursor } from "../../src/delivery/cursor-store.ts";
import { TargetWorker } from "../../src/delivery/worker.ts";
import { until } from "../support/until.ts";

const dirs: string[] = [];
const workers: TargetWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop(100);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const silent = pino({ level: "silent" });

const target = targetConfig;

async function journal(rooms: (string | null)[], segmentBytes = 1 << 20) {
  const dataDir = mkdtempSync(join(tmpdir(), "roomhook-worker-"));
  dirs.push(dataDir);
  const dir = join(dataDir, "journal");
  const writer = new SegmentWriter({ dir, durability: "write", segmentBytes }).open();
  await Promise.all(
    rooms.map((r, i) =>
      writer.append(
        envelopeHead({
          id: `${i}`.padStart(32, "0"),
          type: "Room.CallbackAfterMemberEnter",
          sdkAppId: 1,
          roomId: r,
          eventTime: i,
          receivedAt: new Date().toISOString(),
          clientIp: null,
          optPlatform: null,
        }),
        `{"RoomId":${JSON.stringify(r)},"i":${i}}`,
      ),
    ),
  );
  return { dataDir, dir, writer };
}

type Handler = (e: { seq: number; roomId: string | null }) => number | Promise<number>;
function fakeFetch(handler: Handler, log: { seq: number; roomId: string | null }[]): typeof fetch {
  return (async (_url: string, init: RequestInit) => {
    const e = JSON.parse(String(init.body)) as { seq: number; roomId: string | null };
    const status = await handler(e);
    if (status === 200) log.push(e);
    return new Response("x", { status });
  }) as unknown as typeof fetch;
}

const settled = (pred: () => boolean, ms = 10_000) => until("the worker to settle", pred, { timeoutMs: ms, stepMs: 5 });

describe("target worker", () => {
  test("a stuck room neither stalls the others nor grows memory; once it recovers it gets everything in order", async () => {
    const rooms = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? "stuck" : `r${i % 7}`));
    const { dataDir, dir, writer } = await journal(rooms, 16 * 1024); // many segments: re-scans cross rolls
    const got: { seq: number; roomId: string | null }[] = [];
    let stuckFails = true;
    const w = new TargetWorker(target({ max_in_flight: 4, retry_delays_ms: Array(2000).fill(5) }), {
      dataDir,
      journalDir: dir,
      headSeq: () => writer.headSeq,
      logger: silent,
      fetch: fakeFetch((e) => (e.roomId === "stuck" && stuckFails ? 503 : 200), got),
      limits: { perRoom: 4, maxEvents: 24 },
    });
    // A cursor file that starts at 0 (a new target would start at the head).
    (await import("../../src/delivery/cursor-store.ts")).saveCursorSync(dataDir, "t", { seq: 0, paused: null });
    workers.push(w.start());
    let maxBuffered = 0;
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, w.status().buffered)), 1);
    await settled(() => got.length === 400);
    expect(got.every((e) => e.roomId !== "stuck")).toBe(true);
    expect(w.status().cursor).toBe(0); // seq 1 (stuck) is owed
    expect(w.status().overflowedRooms).toBe(1);
    stuckFails = false;
    await settled(() => got.length === 600);
    clearInterval(sampler);
    expect(maxBuffered).toBeLessThanOrEqual(24 + 4);
    const byRoom = new Map<string, number[]>();
    for (const e of got) byRoom.set(e.roomId!, [...(byRoom.get(e.roomId!) ?? []), e.seq]);
    for (const seqs of byRoom.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(byRoom.get("stuck")).toHaveLength(200);
    await settled(() => w.status().cursor === 600);
    await w.stop(100);
    expect(loadCursor(dataDir, "t")!.seq).toBe(600);
    await writer.close();
  });

  test("the cursor is saved while it moves, filters skip events, a 4xx is dead-lettered with its error", async () => {
    const { dataDir, dir, writer } = await journal(["a", "b", "a", "c", null]);
    const { saveCursorSync } = await import("../../src/delivery/cursor-store.ts");
    saveCursorSync(dataDir, "t", { seq: 0, paused: null });
    const got: { seq: number; roomId: string | null }[] = [];
    const w = new TargetWorker(target({ rooms: ["a", "b"] }), {
      dataDir,
      journalDir: dir,
      headSeq: () => writer.headSeq,
      logger: silent,
      fetch: fakeFetch((e) => (e.roomId === "b" ? 400 : 200), got),
    });
    workers.push(w.start());
    await settled(() => got.length === 2 && w.status().deadLetters === 1);
    expect(got.map((e) => e.seq)).toEqual([1, 3]);
    await settled(() => loadCursor(dataDir, "t")!.seq === 5, 2000); // saved by the periodic save, not only at stop
    const dl = JSON.parse(readFileSync(join(dataDir, "dead-letters", "t.jsonl"), "utf8"));
    expect(dl).toMatchObject({ seq: 2, attempts: 1, status: 400, target: "t" });
    expect(dl.event.seq).toBe(2);
    await writer.close();
  });

  test("a retried event is dead-lettered after the last delay; the cursor waits for the dead letter", async () => {
    const { dataDir, dir, writer } = await journal(["a", "a"]);
    (await import("../../src/delivery/cursor-store.ts")).saveCursorSync(dataDir, "t", { seq: 0, paused: null });
    const got: { seq: number; roomId: string | null }[] = [];
    let calls = 0;
    const w = new TargetWorker(target({ retry_delays_ms: [1, 1, 1] }), {
      dataDir,
      journalDir: dir,
      headSeq: () => writer.headSeq,
      logger: silent,
      fetch: fakeFetch((e) => {
        calls++;
        return e.seq === 1 ? 500 : 200;
      }, got),
    });
    workers.push(w.start());
    await settled(() => got.length === 1);
    expect(got[0]!.seq).toBe(2); // in room order: only after 1 was dead-lettered
    const st = w.status();
    expect(st.deadLetters).toBe(1);
    expect(st.lastError!.message).toContain("HTTP 500");
    const page = w.deadLetterPage(0, 10);
    expect(page.entries[0]!.meta.attempts).toBe(4); // the first try and 3 retries
    expect(page.entries[0]!.meta.lastError).toContain("after 4 attempts");
    expect(calls).toBe(5);
    await writer.close();
  });
});
