// The bisection that starts a journal query near its from_seq instead of at byte 0: always at a line
// start before the wanted seq (so nothing is skipped), far into a large segment (so it saves the
// scan), and queries from anywhere answer exactly as a full scan would.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { queryJournal } from "../../src/journal/query.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { offsetBefore } from "../../src/journal/seek.ts";
import { tempDir } from "../support/app.ts";

const dir = join(tempDir(), "journal");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(dir, { recursive: true });

const N = 20_000;
const line = (seq: number) =>
  `{"seq":${seq},"id":"${seq.toString(16).padStart(32, "0")}","type":"Room.CallbackAfterMemberEnter","sdkAppId":1400000000,"roomId":"r${seq % 7}","eventTime":${seq},"receivedAt":"2026-11-30T00:00:00.000Z","clientIp":"127.0.0.1","optPlatform":"Web","data":{"RoomId":"r${seq % 7}","pad":"${"x".repeat(seq % 50)}"}}`;
const lines = Array.from({ length: N }, (_, i) => line(i + 1));
// One line of another key order in the middle: the bisection cannot read it and must stay correct.
lines[12_345] = `{"id":"odd","seq":12346,"type":"X","roomId":null,"receivedAt":"2026-11-30T00:00:00.000Z","data":{}}`;
const text = `${lines.join("\n")}\n`;
const path = join(dir, segmentName(1));
writeFileSync(path, text);
const starts = new Map<number, number>(); // offset -> seq of the line starting there
let off = 0;
lines.forEach((l, i) => {
  starts.set(off, i + 1);
  off += Buffer.byteLength(l) + 1;
});

describe("offsetBefore", () => {
  test("always a line start before the wanted seq; deep into the file for a late seq", async () => {
    const fh = await open(path, "r");
    try {
      for (const from of [1, 2, 500, 9_999, 12_346, 12_347, 19_999, 20_000, 25_000]) {
        const at = await offsetBefore(fh, text.length, from);
        expect(at === 0 || (starts.has(at) && starts.get(at)! < from)).toBe(true);
        if (from >= 19_999) expect(at).toBeGreaterThan(text.length * 0.9);
      }
    } finally {
      await fh.close();
    }
  });
});

describe("queryJournal from a seq deep in a segment", () => {
  test("answers what a full scan answers", async () => {
    for (const fromSeq of [1, 7_000, 12_340, 12_346, 19_990, 20_000]) {
      const r = await queryJournal(dir, { fromSeq, limit: 20, type: null, roomId: "r3", maxSeq: N });
      const got = (await new Response(r.stream()).text()).split("\n").filter(Boolean);
      const want = lines.filter((l, i) => i + 1 >= fromSeq && l.includes('"roomId":"r3"')).slice(0, 20);
      expect(got).toEqual(want);
    }
  });
});
