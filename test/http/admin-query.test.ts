// The admin listener's /metrics, /v1/events and /v1/quarantine in process (admin.handle), over a
// real journal written through the real callback app.
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { createApp } from "../../src/app.ts";
import { createAdminApp } from "../../src/admin/app.ts";
import { controlFanout } from "../../src/delivery/control.ts";
import { Fanout } from "../../src/delivery/fanout.ts";
import { Journal, journalDir, quarantineDir } from "../../src/journal/journal.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { queryJournal } from "../../src/journal/query.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { RoomhookMetrics } from "../../src/metrics/roomhook.ts";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { callbackUrl, makeConfig, post, rawText, tempDir, tencentParams } from "../support/app.ts";
import { parseExposition } from "../support/prom.ts";

const TOKEN = "admin-token-0123456789";
const fixtures: { close(): Promise<void>; dataDir: string }[] = [];

afterEach(async () => {
  for (const f of fixtures.splice(0)) {
    await f.close();
    rmSync(f.dataDir, { recursive: true, force: true });
  }
});

function fixture(file: Record<string, unknown> = {}) {
  const dataDir = tempDir();
  const config = makeConfig(file, dataDir);
  const logger = pino({ level: "silent" });
  const metrics = new RoomhookMetrics(new Registry(), { version: "test" });
  const jdir = journalDir(dataDir);
  const qdir = quarantineDir(dataDir);
  const journal = new Journal({
    dir: jdir,
    durability: config.journal.durability,
    segmentBytes: config.journal.segment_bytes,
    dedupeWindow: config.dedupe.window,
    onCommit: metrics.journalCommitted,
  });
  const quarantine = new SegmentWriter({
    dir: qdir,
    durability: config.journal.durability,
    segmentBytes: config.journal.segment_bytes,
  }).open();
  const { app } = createApp(config, { journal, quarantine, logger, onReport: metrics.onReport });
  const headSeq = () => journal.writer.headSeq;
  const fanout = new Fanout([], { dataDir, journalDir: jdir, headSeq, logger });
  metrics.watch({
    journalDir: jdir,
    quarantineDir: qdir,
    headSeq,
    quarantineHeadSeq: () => quarantine.headSeq,
    journalWritable: () => journal.writer.healthy,
    targets: () => fanout.list().map((w) => w.status()),
  });
  const admin = createAdminApp(() => config, {
    fanout: controlFanout(fanout),
    journalDir: jdir,
    headSeq,
    metrics: metrics.registry,
    quarantine: { dir: qdir, headSeq: () => quarantine.headSeq },
  });
  const token = (config.admin.token as string | undefined) ?? null;
  const f = {
    dataDir,
    jdir,
    qdir,
    journal,
    async send(body: string, command?: string, params: Record<string, string | number> = {}) {
      const cmd = command ?? (JSON.parse(body) as { CallbackCommand: string }).CallbackCommand;
      const res = await app.handle(post(callbackUrl({ ...tencentParams(cmd), ...params }), body));
      return res.status;
    },
    async get(path: string, auth = true) {
      const headers: Record<string, string> = auth && token ? { authorization: `Bearer ${token}` } : {};
      const res = await admin.handle(new Request(`http://admin${path}`, { headers }));
      return {
        res,
        status: res.status,
        text: await res.text(),
        next: Number(res.headers.get("x-next-seq")),
        head: Number(res.headers.get("x-head-seq")),
      };
    },
    async events(path: string) {
      const r = await f.get(path);
      expect(r.status).toBe(200);
      expect(r.res.headers.get("content-type")).toBe("application/x-ndjson");
      const lines = r.text === "" ? [] : r.text.split("\n");
      expect(lines.pop() ?? "").toBe(""); // every line newline-terminated
      return {
        ...r,
        lines,
        events: lines.map(
          (l) => JSON.parse(l) as { seq: number; type: string; roomId: string | null; reason?: string },
        ),
      };
    },
    async close() {
      await journal.close();
      await quarantine.close();
    },
  };
  fixtures.push(f);
  return f;
}

let uniq = 0;
function enter(room: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: "Room.CallbackAfterMemberEnter",
    RoomId: room,
    MemberList_Account: ["u1"],
    EventTime: 1_700_000_000_000 + ++uniq,
    ...extra,
  });
}
function seat(room: string): string {
  return JSON.stringify({
    CallbackCommand: "Mic.CallbackAfterSeatInfoChanged",
    RoomId: room,
    SeatList: [{ Index: 1 }],
    EventTime: 1_700_000_000_000 + ++uniq,
  });
}
function destroy(room: string): string {
  return JSON.stringify({
    CallbackCommand: "Room.CallbackAfterDestroyRoom",
    RoomId: room,
    EventTime: 1_700_000_000_000 + ++uniq,
  });
}

describe("GET /metrics", () => {
  test("counts what the endpoint answered; text format; bearer token like the other admin routes", async () => {
    const f = fixture({ admin: { listen: "127.0.0.1:0", token: TOKEN } });
    const a = enter("r1");
    expect(await f.send(a)).toBe(200);
    expect(await f.send(enter("r2"))).toBe(200);
    expect(await f.send(EXAMPLES["Mic.CallbackAfterSeatInfoChanged"])).toBe(200);
    expect(await f.send(a)).toBe(200); // duplicate
    expect(await f.send(JSON.stringify({ CallbackCommand: "Room.CallbackAfterMemberEnter", EventTime: 1 }))).toBe(422); // no RoomId: quarantined
    expect(await f.send(JSON.stringify({ CallbackCommand: "Room.Future", EventTime: 2 }))).toBe(200); // unknown command
    expect(await f.send(enter("r3"), undefined, { SdkAppid: 42 })).toBe(403); // rejected
    expect(await f.send("{not json", "Room.CallbackAfterMemberEnter")).toBe(400); // rejected

    expect((await f.get("/metrics", false)).status).toBe(401);
    const r = await f.get("/metrics");
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const e = parseExposition(r.text);
    const req = "roomhook_callback_requests_total";
    expect(e.get(req, { command: "Room.CallbackAfterMemberEnter", outcome: "accepted" })).toBe(2);
    expect(e.get(req, { command: "Mic.CallbackAfterSeatInfoChanged", outcome: "accepted" })).toBe(1);
    expect(e.get(req, { command: "Room.CallbackAfterMemberEnter", outcome: "duplicate" })).toBe(1);
    expect(e.get(req, { command: "Room.CallbackAfterMemberEnter", outcome: "quarantined" })).toBe(1);
    expect(e.get(req, { command: "other", outcome: "unknown_command" })).toBe(1);
    expect(e.get(req, { command: "none", outcome: "rejected" })).toBe(2);
    expect(e.sum(req)).toBe(8);
    expect(e.sum("roomhook_callback_ack_seconds_count")).toBe(8);
    expect(e.get("roomhook_callback_duplicates_total")).toBe(1);
    expect(e.get("roomhook_callback_quarantined_total")).toBe(1);
    // 4 events stored (3 accepted + 1 unknown command), in however many batches.
    expect(e.get("roomhook_journal_batch_records_sum")).toBe(4);
    expect(e.get("roomhook_journal_fsync_seconds_count")).toBe(e.get("roomhook_journal_batch_records_count")!);
    expect(e.get("roomhook_journal_head_seq")).toBe(4);
    expect(e.get("roomhook_journal_written_bytes_total")).toBe(rawText(f.jdir).length);
    expect(e.get("roomhook_journal_disk_bytes")).toBe(rawText(f.jdir).length);
    expect(e.get("roomhook_journal_segments")).toBe(1);
    expect(e.get("roomhook_quarantine_head_seq")).toBe(1);
    expect(e.get("roomhook_journal_writable")).toBe(1);
  });

  test("without a token the admin routes are open (loopback only, enforced by the config)", async () => {
    const f = fixture();
    const r = await f.get("/metrics", false);
    expect(r.status).toBe(200);
    expect(parseExposition(r.text).get("roomhook_journal_head_seq")).toBe(0);
  });
});

describe("GET /v1/events", () => {
  async function seeded(file: Record<string, unknown> = {}) {
    const f = fixture(file);
    // seq: 1 enter A, 2 seat B, 3 enter B, 4 destroy A, 5 enter A, 6 seat A, 7 destroy B, 8 enter C
    for (const b of [enter("A"), seat("B"), enter("B"), destroy("A"), enter("A"), seat("A"), destroy("B"), enter("C")])
      expect(await f.send(b)).toBe(200);
    return f;
  }
  const seqs = (r: { events: { seq: number }[] }) => r.events.map((e) => e.seq);

  test("filters: from_seq, limit, type globs, room_id; X-Next-Seq continues, X-Head-Seq tells the end", async () => {
    const f = await seeded();
    let r = await f.events("/v1/events");
    expect(seqs(r)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([r.next, r.head]).toEqual([9, 8]);
    r = await f.events("/v1/events?from_seq=3&limit=2");
    expect(seqs(r)).toEqual([3, 4]);
    expect(r.next).toBe(5);
    r = await f.events("/v1/events?from_seq=5");
    expect(seqs(r)).toEqual([5, 6, 7, 8]);
    expect(r.next).toBe(9);
    r = await f.events("/v1/events?from_seq=0&limit=1");
    expect(seqs(r)).toEqual([1]);
    r = await f.events("/v1/events?type=Room.CallbackAfterMemberEnter");
    expect(seqs(r)).toEqual([1, 3, 5, 8]);
    r = await f.events("/v1/events?type=Mic.*");
    expect(seqs(r)).toEqual([2, 6]);
    r = await f.events("/v1/events?type=Mic.*,Room.CallbackAfterDestroy%3F%3F%3F%3F");
    expect(seqs(r)).toEqual([2, 4, 6, 7]);
    r = await f.events("/v1/events?room_id=A");
    expect(seqs(r)).toEqual([1, 4, 5, 6]);
    r = await f.events("/v1/events?room_id=B&type=Room.*&limit=1");
    expect(seqs(r)).toEqual([3]);
    expect(r.next).toBe(4);
    r = await f.events(`/v1/events?room_id=B&type=Room.*&limit=1&from_seq=${r.next}`);
    expect(seqs(r)).toEqual([7]);
    r = await f.events(`/v1/events?room_id=B&type=Room.*&limit=1&from_seq=${r.next}`);
    expect(seqs(r)).toEqual([]);
    expect([r.next, r.head]).toEqual([9, 8]); // scanned to the end: continue from the head
    r = await f.events("/v1/events?room_id=nobody");
    expect(seqs(r)).toEqual([]);
    expect(r.next).toBe(9);
    r = await f.events("/v1/events?from_seq=50");
    expect(seqs(r)).toEqual([]);
    expect(r.next).toBe(50);
    // A new event shows up from where the last answer said to continue.
    expect(await f.send(enter("A"))).toBe(200);
    r = await f.events("/v1/events?room_id=A&from_seq=9");
    expect(seqs(r)).toEqual([9]);
  });

  test("the lines are the journal's bytes (18-digit account ids keep every digit)", async () => {
    const f = fixture();
    expect(await f.send(EXAMPLES["Mic.CallbackAfterSeatInfoChanged"])).toBe(200);
    expect(await f.send(EXAMPLES["Room.CallbackAfterCreateRoom"])).toBe(200);
    const r = await f.get("/v1/events");
    expect(r.text).toBe(rawText(f.jdir));
    expect(r.text).toContain("144115233775727695");
  });

  test("across many segments, paging with X-Next-Seq visits every event once", async () => {
    const f = fixture({ journal: { segment_bytes: 4096 } });
    const N = 60;
    for (let i = 0; i < N; i++)
      expect(await f.send(i % 3 === 0 ? seat(`R${i % 4}`) : enter(`R${i % 4}`, { Pad: "p".repeat(200) }))).toBe(200);
    const segs = readdirSync(f.jdir).filter((n) => n.endsWith(".jsonl"));
    expect(segs.length).toBeGreaterThanOrEqual(4);
    let r = await f.events("/v1/events?from_seq=37&limit=10");
    expect(seqs(r)).toEqual(Array.from({ length: 10 }, (_, i) => 37 + i));
    expect(r.next).toBe(47);
    const got: number[] = [];
    let from = 1;
    for (let pages = 0; pages < 20; pages++) {
      r = await f.events(`/v1/events?from_seq=${from}&limit=7`);
      got.push(...seqs(r));
      from = r.next;
      if (from > r.head) break;
    }
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const rooms: number[] = [];
    from = 1;
    for (let pages = 0; pages < 20 && from <= N; pages++) {
      r = await f.events(`/v1/events?from_seq=${from}&limit=3&room_id=R1&type=Room.*`);
      rooms.push(...seqs(r));
      from = r.next;
    }
    const expected = Array.from({ length: N }, (_, i) => i)
      .filter((i) => i % 4 === 1 && i % 3 !== 0)
      .map((i) => i + 1);
    expect(rooms).toEqual(expected);
  });

  test("a line longer than the read chunk comes through whole; a large answer streams in pieces", async () => {
    const f = fixture({ server: { max_body_bytes: 4 * 1024 * 1024 } });
    expect(await f.send(enter("small-1"))).toBe(200);
    expect(await f.send(enter("big", { Pad: "b".repeat(2_500_000) }))).toBe(200);
    expect(await f.send(enter("small-2"))).toBe(200);
    let r = await f.events("/v1/events?room_id=big");
    expect(seqs(r)).toEqual([2]);
    expect(r.lines[0]!.length).toBeGreaterThan(2_500_000);
    r = await f.events("/v1/events?from_seq=2");
    expect(seqs(r)).toEqual([2, 3]);
    const raw = await f.get("/v1/events");
    expect(raw.text).toBe(rawText(f.jdir));
    // The body is a stream, read in bounded pieces.
    const again = await queryJournal(f.jdir, { fromSeq: 1, limit: 10, type: null, roomId: null, maxSeq: 3 });
    const reader = again.stream().getReader();
    let chunks = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      bytes += value.byteLength;
      expect(value.byteLength).toBeLessThanOrEqual(256 * 1024);
    }
    expect(bytes).toBe(rawText(f.jdir).length);
    expect(chunks).toBeGreaterThan(8);
  });

  test("bad parameters answer 400 naming the parameter", async () => {
    const f = await seeded();
    const cases: [string, string][] = [
      ["from_seq=-1", "from_seq"],
      ["from_seq=abc", "from_seq"],
      ["from_seq=1.5", "from_seq"],
      ["from_seq=", "from_seq"],
      ["limit=0", "limit"],
      ["limit=10001", "limit"],
      ["limit=x", "limit"],
      ["limit=", "limit"],
      ["type=", "type"],
      ["type=Room.*,", "type"],
      ["room_id=", "room_id"],
      ["room=A", "room"],
      ["limit=1&limit=2", "limit"],
    ];
    for (const [q, param] of cases) {
      for (const path of ["/v1/events", "/v1/quarantine"]) {
        const r = await f.get(`${path}?${q}`);
        expect(`${path}?${q} -> ${r.status}`).toBe(`${path}?${q} -> 400`);
        expect(r.res.headers.get("content-type")).toBe("application/json");
        const body = JSON.parse(r.text) as { parameter: string; error: string };
        expect(body.parameter).toBe(param);
        expect(body.error).toStartWith(`${param}: `);
      }
    }
    expect(seqs(await f.events("/v1/events?limit=10000"))).toHaveLength(8);
  });

  test("needs the bearer token when one is set", async () => {
    const f = fixture({ admin: { listen: "127.0.0.1:0", token: TOKEN } });
    expect((await f.get("/v1/events", false)).status).toBe(401);
    expect((await f.get("/v1/quarantine", false)).status).toBe(401);
    expect((await f.get("/v1/events")).status).toBe(200);
  });
});

describe("GET /v1/quarantine", () => {
  test("lists quarantined callbacks with their reason, same filters", async () => {
    const f = fixture();
    expect(await f.send(enter("ok"))).toBe(200);
    expect(await f.send(JSON.stringify({ CallbackCommand: "Room.CallbackAfterMemberEnter", EventTime: 1 }))).toBe(422);
    expect(
      await f.send(
        JSON.stringify({ CallbackCommand: "Room.CallbackAfterDestroyRoom", RoomId: "Q", EventTime: "soon" }),
      ),
    ).toBe(422);
    expect(await f.send(destroy("Q"), "Room.CallbackAfterMemberEnter")).toBe(400); // command mismatch
    let r = await f.events("/v1/quarantine");
    expect(r.events.map((e) => [e.seq, e.type])).toEqual([
      [1, "Room.CallbackAfterMemberEnter"],
      [2, "Room.CallbackAfterDestroyRoom"],
      [3, "Room.CallbackAfterDestroyRoom"],
    ]);
    expect(r.events.every((e) => typeof e.reason === "string" && e.reason.length > 0)).toBe(true);
    expect([r.next, r.head]).toEqual([4, 3]);
    r = await f.events("/v1/quarantine?room_id=Q&limit=1");
    expect(r.events.map((e) => e.seq)).toEqual([2]);
    expect(r.next).toBe(3);
    r = await f.events("/v1/quarantine?type=*Enter");
    expect(r.events.map((e) => e.seq)).toEqual([1]);
    // The journal and the quarantine are separate seq spaces.
    r = await f.events("/v1/events");
    expect(r.events.map((e) => e.roomId)).toEqual(["ok"]);
  });
});

describe("queryJournal on a hand-made directory", () => {
  const line = (seq: number, type: string, roomId: string | null) =>
    `{"seq":${seq},"id":"i${seq}","type":${JSON.stringify(type)},"sdkAppId":1,"roomId":${JSON.stringify(roomId)},"eventTime":null,"receivedAt":"x","clientIp":null,"optPlatform":null,"data":{"RoomId":"decoy","type":"Mic.x"}}\n`;

  test("stops at the durable head, skips a torn tail and lines that are not events, survives a missing directory", async () => {
    const dir = join(tempDir(), "journal");
    mkdirSync(dir);
    writeFileSync(
      join(dir, segmentName(1)),
      `${line(1, "Room.A", "r") + line(2, "Room.B", "r")}garbage line\n${line(3, "Room.A", "s")}`,
    );
    writeFileSync(join(dir, segmentName(4)), line(4, "Room.A", "r") + line(5, "Room.A", "r"));
    appendFileSync(join(dir, segmentName(4)), '{"seq":6,"id":"torn');
    const all = async (q: Partial<Parameters<typeof queryJournal>[1]>) => {
      const r = await queryJournal(dir, { fromSeq: 1, limit: 100, type: null, roomId: null, maxSeq: 5, ...q });
      const text = await new Response(r.stream()).text();
      return {
        seqs: text
          .split("\n")
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { seq: number }).seq),
        next: r.nextSeq,
        count: r.count,
      };
    };
    expect(await all({})).toEqual({ seqs: [1, 2, 3, 4, 5], next: 6, count: 5 });
    expect(await all({ maxSeq: 4 })).toEqual({ seqs: [1, 2, 3, 4], next: 5, count: 4 });
    // The filters read the envelope, not the body: "decoy" and "Mic.x" in data never match.
    expect(await all({ roomId: "decoy" })).toEqual({ seqs: [], next: 6, count: 0 });
    expect(await all({ type: (t) => t.startsWith("Mic.") })).toEqual({ seqs: [], next: 6, count: 0 });
    expect(await all({ roomId: "r", fromSeq: 2 })).toEqual({ seqs: [2, 4, 5], next: 6, count: 3 });
    expect(await all({ fromSeq: 4, limit: 1 })).toEqual({ seqs: [4], next: 5, count: 1 });
    expect(
      (await queryJournal(join(dir, "nope"), { fromSeq: 1, limit: 5, type: null, roomId: null, maxSeq: 0 })).nextSeq,
    ).toBe(1);
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });
});
