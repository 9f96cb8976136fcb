// GET /metrics, /v1/events and /v1/quarantine against the compiled binary: callbacks of every kind
// and deliveries to two real targets, then a scrape parsed as Prometheus would read it.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  APP,
  cleanup,
  memberEnter,
  OFFICIAL_EXAMPLES,
  segmentFiles,
  sendCallback,
  startRoomhook,
  tempDir,
  toToml,
  type Roomhook,
} from "./helpers.ts";
import { parseExposition, type Exposition } from "../support/prom.ts";
import pkg from "../../package.json" with { type: "json" };
import { until } from "../support/until.ts";

const ADMIN_TOKEN = "metrics-admin-token-0123";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const sinks: ReturnType<typeof Bun.serve>[] = [];
afterAll(async () => {
  for (const s of sinks) s.stop(true);
  await cleanup();
});

/** A target that answers every delivery with `status`. */
function sink(status: number) {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status }) });
  sinks.push(s);
  return `http://127.0.0.1:${s.port}/hook`;
}

async function start(): Promise<Roomhook & { admin: string }> {
  const dataDir = tempDir("metrics");
  const base = toToml({
    data_dir: dataDir,
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP }],
    admin: { listen: "127.0.0.1:0", token: ADMIN_TOKEN },
    log: { level: "info" },
  });
  const target = (name: string, url: string) =>
    [
      `[[targets]]`,
      `name = "${name}"`,
      `url = "${url}"`,
      `secret = "${SECRET}"`,
      `retry_delays_ms = [50, 100]`,
      `timeout_ms = 2000`,
    ].join("\n");
  const rh = await startRoomhook({
    dataDir,
    tomlText: `${base}\n${target("good", sink(204))}\n\n${target("strict", sink(422))}\n`,
  });
  const line = rh.logs.find((l) => l.msg === "roomhook listening")!;
  return Object.assign(rh, { admin: `http://${String(line.admin)}` });
}

async function get(rh: { admin: string }, path: string, token: string | null = ADMIN_TOKEN) {
  const res = await fetch(`${rh.admin}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { res, status: res.status, text: await res.text() };
}

async function scrape(rh: { admin: string }): Promise<Exposition> {
  const r = await get(rh, "/metrics");
  expect(r.status).toBe(200);
  expect(r.res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(r.text);
}

describe("metrics and journal queries on the admin listener", () => {
  test("a scrape counts what was sent and delivered; /v1/events and /v1/quarantine filter the journal", async () => {
    const rh = await start();
    const first = memberEnter("room-a");
    const sent = [
      await sendCallback(rh, { body: first }), // accepted
      await sendCallback(rh, { body: memberEnter("room-b") }), // accepted
      await sendCallback(rh, { body: OFFICIAL_EXAMPLES["Mic.CallbackAfterSeatInfoChanged"]! }), // accepted (room rid-123)
      await sendCallback(rh, { body: first }), // duplicate
      await sendCallback(rh, { body: { CallbackCommand: "Room.CallbackAfterMemberEnter", EventTime: 1 } }), // quarantined: no RoomId
      await sendCallback(rh, { body: memberEnter("room-c"), sdkAppId: 42 }), // rejected: unknown app
      await sendCallback(rh, { body: "{not json", command: "Room.CallbackAfterMemberEnter" }), // rejected: not JSON
    ].map((r) => r.status);
    expect(sent).toEqual([200, 200, 200, 200, 422, 403, 400]);

    expect((await get(rh, "/metrics", null)).status).toBe(401);
    expect((await get(rh, "/metrics", "wrong-token-0123456789")).status).toBe(401);

    // Both targets have seen all three events: one delivered them, the other dead-lettered them.
    const e = await until("deliveries settled", async () => {
      const s = await scrape(rh);
      return (
        s.get("roomhook_target_deliveries_total", { target: "good" }) === 3 &&
        s.get("roomhook_target_dead_lettered_total", { target: "strict" }) === 3 &&
        s
      );
    });

    const req = "roomhook_callback_requests_total";
    expect(e.sum(req, { outcome: "accepted" })).toBe(3);
    expect(e.get(req, { command: "Room.CallbackAfterMemberEnter", outcome: "accepted" })).toBe(2);
    expect(e.get(req, { command: "Mic.CallbackAfterSeatInfoChanged", outcome: "accepted" })).toBe(1);
    expect(e.get(req, { command: "Room.CallbackAfterMemberEnter", outcome: "duplicate" })).toBe(1);
    expect(e.get(req, { command: "Room.CallbackAfterMemberEnter", outcome: "quarantined" })).toBe(1);
    expect(e.get(req, { command: "none", outcome: "rejected" })).toBe(2);
    expect(e.sum(req)).toBe(7);
    expect(e.get("roomhook_callback_duplicates_total")).toBe(1);
    expect(e.get("roomhook_callback_quarantined_total")).toBe(1);

    // Histograms agree with the counters (the parser already checked +Inf == _count for each).
    expect(e.sum("roomhook_callback_ack_seconds_count")).toBe(7);
    for (const o of ["accepted", "duplicate", "quarantined", "rejected"]) {
      expect(e.get("roomhook_callback_ack_seconds_count", { outcome: o })).toBe(e.sum(req, { outcome: o }));
    }
    expect(e.get("roomhook_callback_ack_seconds_sum", { outcome: "accepted" })).toBeGreaterThan(0);
    const batches = e.get("roomhook_journal_batch_records_count")!;
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(e.get("roomhook_journal_fsync_seconds_count")).toBe(batches);
    expect(e.get("roomhook_journal_batch_records_sum")).toBe(3);
    expect(e.get("roomhook_journal_fsync_seconds_sum")).toBeGreaterThan(0);

    const journalBytes = segmentFiles(rh.dataDir).reduce((n, f) => n + readFileSync(f).length, 0);
    expect(e.get("roomhook_journal_written_bytes_total")).toBe(journalBytes);
    expect(e.get("roomhook_journal_disk_bytes")).toBe(journalBytes);
    expect(e.get("roomhook_journal_segments")).toBe(1);
    expect(e.get("roomhook_journal_head_seq")).toBe(3);
    expect(e.get("roomhook_journal_writable")).toBe(1);
    expect(e.get("roomhook_quarantine_head_seq")).toBe(1);
    expect(e.get("roomhook_quarantine_disk_bytes")).toBeGreaterThan(0);

    expect(e.get("roomhook_target_deliveries_total", { target: "strict" })).toBe(0);
    expect(e.get("roomhook_target_failures_total", { target: "strict", class: "http_4xx" })).toBe(3);
    expect(e.all("roomhook_target_failures_total", { target: "good" })).toEqual([]);
    expect(e.get("roomhook_target_dead_letters", { target: "strict" })).toBe(3);
    expect(e.get("roomhook_target_dead_letters", { target: "good" })).toBe(0);
    await until("lag 0 and nothing in flight", async () => {
      const s = await scrape(rh);
      return ["good", "strict"].every(
        (t) =>
          s.get("roomhook_target_lag_events", { target: t }) === 0 &&
          s.get("roomhook_target_in_flight", { target: t }) === 0,
      );
    });
    expect(e.get("roomhook_target_state", { target: "good", state: "running" })).toBe(1);
    expect(e.sum("roomhook_target_state", { target: "strict" })).toBe(1);
    expect(e.get("roomhook_target_cursor_seq", { target: "good" })).toBe(3);
    // With no callback arriving there is no ack to protect: whatever cut a busy machine caused is gone.
    await until("no rate cap", async () => (await scrape(rh)).get("roomhook_fanout_rate_cap") === Infinity);

    expect(e.get("roomhook_process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(e.get("roomhook_process_heap_used_bytes")).toBeGreaterThan(0);
    expect(e.get("roomhook_uptime_seconds")).toBeGreaterThan(0);
    expect(e.all("roomhook_build_info", { version: pkg.version })).toHaveLength(1);

    // /v1/events: NDJSON, the journal's own lines, filters, and where to continue.
    const events = async (q: string, path = "/v1/events") => {
      const r = await get(rh, `${path}${q}`);
      expect(r.status).toBe(200);
      expect(r.res.headers.get("content-type")).toBe("application/x-ndjson");
      const lines = r.text.split("\n").filter(Boolean);
      return {
        lines,
        seqs: lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
        next: Number(r.res.headers.get("x-next-seq")),
        head: Number(r.res.headers.get("x-head-seq")),
        all: r.text,
      };
    };
    expect((await get(rh, "/v1/events", null)).status).toBe(401);
    let r = await events("");
    expect(r.seqs).toEqual([1, 2, 3]);
    expect(r.all).toBe(
      segmentFiles(rh.dataDir)
        .map((f) => readFileSync(f, "utf8"))
        .join(""),
    );
    expect([r.next, r.head]).toEqual([4, 3]);
    expect((await events("?type=Mic.*")).seqs).toEqual([3]);
    expect((await events("?type=Room.*")).seqs).toEqual([1, 2]);
    expect((await events("?room_id=room-b")).seqs).toEqual([2]);
    expect((await events("?room_id=rid-123&type=Mic.CallbackAfterSeatInfoChanged")).seqs).toEqual([3]);
    r = await events("?from_seq=2&limit=1");
    expect([r.seqs, r.next]).toEqual([[2], 3]);
    expect(r.lines[0]).toContain('"roomId":"room-b"');
    expect((await events("?limit=1&from_seq=3")).lines[0]).toContain("144115233775727695");
    const bad = await get(rh, "/v1/events?limit=0");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ parameter: "limit" });
    expect(JSON.parse((await get(rh, "/v1/events?roomid=x")).text)).toMatchObject({ parameter: "roomid" });

    const q = await events("", "/v1/quarantine");
    expect(q.seqs).toEqual([1]);
    expect(JSON.parse(q.lines[0]!)).toMatchObject({
      type: "Room.CallbackAfterMemberEnter",
      reason: expect.stringContaining("RoomId"),
    });
    expect((await events("?type=Mic.*", "/v1/quarantine")).seqs).toEqual([]);

    expect(await rh.stop()).toBe(0);
  });
});
