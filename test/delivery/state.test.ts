import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cursorPath, loadCursor, saveCursor, saveCursorSync } from "../../src/delivery/cursor-store.ts";
import { DeadLetterLog, parseDeadLetter, renderDeadLetter } from "../../src/delivery/dead-letters.ts";
import { readEnvelope } from "../../src/journal/line.ts";
import { applyRetention, removableSegments, type SegmentAge } from "../../src/journal/retention.ts";
import { segmentName } from "../../src/journal/segments.ts";

const root = mkdtempSync(join(tmpdir(), "roomhook-state-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("cursor files", () => {
  test("save and load round-trip, atomically (no temp file left), paused state included", async () => {
    const d = join(root, "c1");
    expect(loadCursor(d, "x")).toBeNull();
    saveCursorSync(d, "x", { seq: 42, paused: null });
    expect(loadCursor(d, "x")).toEqual({ seq: 42, paused: null });
    await saveCursor(d, "x", { seq: 43, paused: { reason: "410", at: "2026-01-01T00:00:00.000Z" } });
    expect(loadCursor(d, "x")).toEqual({ seq: 43, paused: { reason: "410", at: "2026-01-01T00:00:00.000Z" } });
    expect(readdirSync(join(d, "cursors"))).toEqual(["x.json"]);
  });

  test("a corrupt cursor is an error, never silently a fresh start", () => {
    const d = join(root, "c2");
    saveCursorSync(d, "x", { seq: 1, paused: null });
    writeFileSync(cursorPath(d, "x"), '{"seq":"lots"}');
    expect(() => loadCursor(d, "x")).toThrow();
  });
});

describe("dead letters", () => {
  test("the event is spliced in verbatim (big numbers survive) and read back", async () => {
    const event = '{"seq":9,"id":"ab","type":"T","data":{"n":144115233775727695}}';
    const meta = {
      deadAt: "2026-01-01T00:00:00.000Z",
      target: "t",
      seq: 9,
      id: "ab",
      type: "T",
      roomId: null,
      attempts: 3,
      status: 500,
      lastError: 'HTTP 500 ,"event": tricky',
    };
    const d = parseDeadLetter(renderDeadLetter(meta, event))!;
    expect(d.event).toBe(event);
    expect(d.meta).toEqual(meta);
    const log = new DeadLetterLog(join(root, "d1"), "t");
    await Promise.all([log.append(meta, event), log.append({ ...meta, seq: 10, deadAt: "x" }, event)]);
    expect(log.count).toBe(2);
    expect(new DeadLetterLog(join(root, "d1"), "t").count).toBe(2);
    expect(await log.remove(new Set([d.key]))).toBe(1);
    expect(log.page(0, 10).entries.map((e) => e.meta.seq)).toEqual([10]);
    await log.close();
  });

  test("the envelope reader takes seq, id, type and room without parsing the body", () => {
    const line =
      '{"seq":12,"id":"00ff","type":"Room.A","sdkAppId":1400000000,"roomId":"r\\"1","eventTime":null,"receivedAt":"2026-11-25T17:00:00.123Z","clientIp":null,"optPlatform":null,"data":{"x":1}}';
    expect(readEnvelope(line)).toEqual({
      seq: 12,
      id: "00ff",
      type: "Room.A",
      roomId: 'r"1',
      receivedAt: "2026-11-25T17:00:00.123Z",
    });
    expect(readEnvelope('{"seq":3,"id":"a","type":"T","roomId":null}')!.roomId).toBeNull(); // other key order: parsed
    expect(readEnvelope("not json")).toBeNull();
  });
});

describe("journal retention", () => {
  const H = 3600_000;
  const now = 100 * H;
  const seg = (firstSeq: number, lastSeq: number, ageH: number): SegmentAge => ({
    firstSeq,
    lastSeq,
    path: `/j/${firstSeq}`,
    mtimeMs: now - ageH * H,
  });
  const segs = [seg(1, 100, 50), seg(101, 200, 40), seg(201, 300, 10), seg(301, Infinity, 60)];

  test("only segments older than the retention AND passed by every cursor; never the newest", () => {
    expect(removableSegments(segs, 1000, 24 * H, now).map((s) => s.firstSeq)).toEqual([1, 101]);
    expect(removableSegments(segs, 150, 24 * H, now).map((s) => s.firstSeq)).toEqual([1]); // a cursor inside the 2nd
    expect(removableSegments(segs, 99, 24 * H, now)).toEqual([]); // not past the first one's last event
    expect(removableSegments(segs, Infinity, 45 * H, now).map((s) => s.firstSeq)).toEqual([1]);
    expect(removableSegments(segs, Infinity, 0, now).map((s) => s.firstSeq)).toEqual([1, 101, 201]); // newest stays
  });

  test("applies to files by mtime", () => {
    const dir = join(root, "j");
    require("node:fs").mkdirSync(dir, { recursive: true });
    for (const f of [1, 11, 21]) writeFileSync(join(dir, segmentName(f)), "x\n");
    const old = (Date.now() - 48 * H) / 1000;
    utimesSync(join(dir, segmentName(1)), old, old);
    utimesSync(join(dir, segmentName(11)), old, old);
    expect(applyRetention(dir, 20, 24).map((s) => s.firstSeq)).toEqual([1, 11]);
    expect(existsSync(join(dir, segmentName(1)))).toBe(false);
    expect(existsSync(join(dir, segmentName(21)))).toBe(true);
  });
});
