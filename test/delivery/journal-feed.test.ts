// The journal feed: the target's filters, and reading a real journal on disk into the scheduler
// (bounded by the committed head, and the re-scan of a room that overflowed).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { EventFilter, JournalFeed } from "../../src/delivery/journal-feed.ts";
import { RoomScheduler, roomKey, type Limits } from "../../src/delivery/scheduler.ts";

const silent = pino({ level: "silent" });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("event filter", () => {
  test("types are globs; any one matching is enough", () => {
    const f = new EventFilter(["Room.*", "Mic.CallbackAfterSeatInfoChanged"], undefined);
    expect(f.accepts("Room.CallbackAfterMemberEnter", "a")).toBe(true);
    expect(f.accepts("Mic.CallbackAfterSeatInfoChanged", "a")).toBe(true);
    expect(f.accepts("Mic.CallbackAfterOther", "a")).toBe(false);
    expect(f.accepts("XRoom.CallbackAfterMemberEnter", "a")).toBe(false); // anchored
  });

  test("without a rooms list every room passes, and so do events without a room", () => {
    const f = new EventFilter(["*"], undefined);
    expect(f.accepts("Room.X", "anything")).toBe(true);
    expect(f.accepts("Room.X", null)).toBe(true);
  });

  test("with a rooms list only those rooms pass; events without a room are skipped", () => {
    const f = new EventFilter(["*"], ["rid-1", "rid-2"]);
    expect(f.accepts("Room.X", "rid-1")).toBe(true);
    expect(f.accepts("Room.X", "rid-2")).toBe(true);
    expect(f.accepts("Room.X", "rid-3")).toBe(false);
    expect(f.accepts("Room.X", null)).toBe(false);
  });

  test("both filters apply together", () => {
    const f = new EventFilter(["Room.*"], ["rid-1"]);
    expect(f.accepts("Mic.X", "rid-1")).toBe(false);
    expect(f.accepts("Room.X", "rid-2")).toBe(false);
    expect(f.accepts("Room.X", "rid-1")).toBe(true);
  });
});

async function journal(events: { type: string; roomId: string | null }[]) {
  const dataDir = mkdtempSync(join(tmpdir(), "roomhook-feed-"));
  dirs.push(dataDir);
  const dir = join(dataDir, "journal");
  const writer = new SegmentWriter({ dir, durability: "write", segmentBytes: 1 << 20 }).open();
  await Promise.all(
    events.map((e, i) =>
      writer.append(
        envelopeHead({
          id: `${i}`.padStart(32, "0"),
          type: e.type,
          sdkAppId: 1,
          roomId: e.roomId,
          eventTime: i,
          receivedAt: new Date().toISOString(),
          clientIp: null,
          optPlatform: null,
        }),
        `{"i":${i}}`,
      ),
    ),
  );
  return { dir, writer };
}

function feed(dir: string, head: () => number, filter: EventFilter, limits: Partial<Limits> = {}) {
  const sched = new RoomScheduler({ perRoom: 64, maxEvents: 4096, maxBytes: 1 << 25, maxRooms: 1000, ...limits });
  const f = new JournalFeed(sched, filter, { target: "t", journalDir: dir, headSeq: head, logger: silent });
  f.startAt(0);
  return { sched, f };
}

/** The seqs queued per room, in queue order. */
function queued(sched: RoomScheduler): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of sched.rooms.values()) out[r.key] = r.queue.map((e) => e.seq);
  return out;
}

describe("journal feed", () => {
  test("queues only what the filter accepts, and reads past the rest up to the committed head", async () => {
    const { dir, writer } = await journal([
      { type: "Room.Enter", roomId: "a" },
      { type: "Mic.Seat", roomId: "a" }, // type filtered out
      { type: "Room.Enter", roomId: "c" }, // room filtered out
      { type: "Room.Leave", roomId: "b" },
      { type: "Room.Enter", roomId: null }, // no room, with a rooms list: out
      { type: "Room.Leave", roomId: "a" },
    ]);
    let head = 4;
    const { sched, f } = feed(dir, () => head, new EventFilter(["Room.*"], ["a", "b"]));
    f.read(100);
    expect(f.readSeq).toBe(4); // not beyond the committed head
    expect(queued(sched)).toEqual({ a: [1], b: [4] });
    head = 6;
    f.read(100);
    expect(f.readSeq).toBe(6);
    expect(queued(sched)).toEqual({ a: [1, 6], b: [4] });
    expect(sched.events).toBe(3);
    expect(sched.floor(f.readSeq)).toBe(0); // seq 1 is still owed
    await writer.close();
  });

  test("reads no more lines than its budget and returns what is left of it", async () => {
    const { dir, writer } = await journal(Array.from({ length: 10 }, () => ({ type: "Room.Enter", roomId: "a" })));
    const { f } = feed(dir, () => 10, new EventFilter(["*"], undefined));
    expect(f.read(4)).toBe(0);
    expect(f.readSeq).toBe(4);
    expect(f.read(100)).toBe(94);
    expect(f.readSeq).toBe(10);
    await writer.close();
  });

  test("an overflowed room is re-read from the journal, filtered to that room, in order", async () => {
    const events = Array.from({ length: 12 }, (_, i) => ({
      type: i % 4 === 3 ? "Mic.Seat" : "Room.Enter",
      roomId: i % 2 ? "a" : "b",
    }));
    const { dir, writer } = await journal(events);
    const { sched, f } = feed(dir, () => 12, new EventFilter(["Room.*"], undefined), { perRoom: 2 });
    f.read(100);
    // Room a (seqs 2,6,10 pass the type filter; 4,8,12 do not) holds 2; b (odd seqs) holds 2.
    expect(queued(sched)).toEqual({ a: [2, 6], b: [1, 3] });
    expect(sched.overflowed.size).toBe(2);
    const a = sched.rooms.get(roomKey("a"))!;
    const seen: number[] = [];
    while (a.queue.length) {
      seen.push(a.queue[0]!.seq);
      a.inFlight = true;
      sched.done(a);
      f.read(100); // re-scans once the queue is down to half
    }
    expect(seen).toEqual([2, 6, 10]);
    expect(sched.overflowed.has(a)).toBe(false); // caught up with the main reader
    await writer.close();
  });

  test("a re-scan that cannot open the segment (EMFILE, EIO, ...) keeps the room's events owed and tries again", async () => {
    const { dir, writer } = await journal(Array.from({ length: 6 }, () => ({ type: "Room.Enter", roomId: "a" })));
    await writer.close();
    const { sched, f } = feed(dir, () => 6, new EventFilter(["*"], undefined), { perRoom: 2 });
    f.read(100);
    expect(queued(sched)).toEqual({ a: [1, 2] });
    const a = sched.rooms.get(roomKey("a"))!;
    for (let i = 0; i < 2; i++) {
      a.inFlight = true;
      sched.done(a);
    }
    // The segment cannot be opened for now: a link to itself (ELOOP; root ignores file modes).
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith(".jsonl"))!);
    renameSync(seg, `${seg}.aside`);
    symlinkSync(seg, seg);
    f.read(100);
    expect(sched.overflowed.has(a)).toBe(true); // not taken for caught up
    expect(sched.floor(f.readSeq)).toBe(2); // seqs 3..6 still owed: the cursor stays below them
    rmSync(seg);
    renameSync(`${seg}.aside`, seg);
    f.read(100);
    expect(queued(sched)).toEqual({ a: [3, 4] });
  });
});
