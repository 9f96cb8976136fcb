// The journal line codec (src/journal/line-codec.ts): what renderLine writes, every peek reads back
// the same, from a string and from the bytes of a chunk (at an offset, with other lines around it).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bodyStartAt,
  envelopeAt,
  envelopeHead,
  headObjectAt,
  newEnvelopeSpans,
  parseLineSeq,
  peekSeqId,
  readEnvelope,
  renderLine,
  seqAt,
  seqIdAt,
  splitLine,
  stringAt,
  stringIs,
  type EnvelopeFields,
} from "../../src/journal/line-codec.ts";
import { eventId } from "../../src/journal/event-id.ts";
import { queryJournal } from "../../src/journal/query.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { tempDir } from "../support/app.ts";

const ID = eventId(1400000000, "Room.A", Buffer.from("{}"));

function fields(over: Partial<EnvelopeFields> = {}): EnvelopeFields {
  return {
    id: ID.hex,
    type: "Room.CallbackAfterMemberEnter",
    sdkAppId: 1400000000,
    roomId: "rid-1",
    eventTime: 1670574414123,
    receivedAt: "2026-11-25T17:00:00.123Z",
    clientIp: "10.1.2.3",
    optPlatform: "Web",
    ...over,
  };
}

/** Checks every peek against what was rendered; the line sits at `pad` bytes into a chunk. */
function expectPeeksAgree(seq: number, f: EnvelopeFields, body: string, pad = 'x\n{"seq":9,"id":"0"}\n') {
  const line = renderLine(seq, envelopeHead(f), body);
  const text = line.slice(0, -1);
  // string level
  expect(peekSeqId(text)).toEqual({ seq, id: f.id });
  expect(readEnvelope(text)).toEqual({ seq, id: f.id, type: f.type, roomId: f.roomId, receivedAt: f.receivedAt });
  const split = splitLine(line)!;
  expect(split).toEqual({ seq, head: envelopeHead(f), body });
  expect(renderLine(split.seq, split.head, split.body)).toBe(line);
  expect(parseLineSeq(text)).toEqual({ seq });
  // byte level, inside a chunk with a line before and after
  const chunk = Buffer.from(pad + line + line);
  const start = Buffer.byteLength(pad);
  const end = chunk.indexOf(0x0a, start);
  expect(end).toBe(start + Buffer.byteLength(text));
  expect(seqAt(chunk, start, end)).toBe(seq);
  const s = newEnvelopeSpans();
  expect(envelopeAt(chunk, start, end, s)).toBe(true);
  expect(s.seq).toBe(seq);
  expect(stringAt(chunk, s.typeStart, s.typeEnd)).toBe(f.type);
  expect(stringAt(chunk, s.receivedAtStart, s.receivedAtEnd)).toBe(f.receivedAt);
  if (f.roomId === null) expect(s.roomStart).toBe(-1);
  else {
    expect(stringAt(chunk, s.roomStart, s.roomEnd)).toBe(f.roomId);
    expect(stringIs(chunk, s.roomStart, s.roomEnd, Buffer.from(JSON.stringify(f.roomId)), f.roomId)).toBe(true);
    const other = `${f.roomId}x`;
    expect(stringIs(chunk, s.roomStart, s.roomEnd, Buffer.from(JSON.stringify(other)), other)).toBe(false);
  }
  const bodyStart = bodyStartAt(chunk, start, end);
  expect(chunk.toString("utf8", bodyStart, end - 1)).toBe(body);
  expect(headObjectAt(chunk, start, end)).toEqual({ seq, ...JSON.parse(JSON.stringify(f)) });
  if (/^[0-9a-f]{32}$/.test(f.id)) {
    const words = new Uint32Array(8);
    expect(seqIdAt(chunk, start, words, 4)).toBe(seq);
    expect(Array.from(words.subarray(4))).toEqual(Array.from(ID.words));
  }
  return line;
}

describe("line codec: render, then every peek agrees", () => {
  test("a plain line, seqs from 1 to 15 digits", () => {
    for (const seq of [1, 42, 123456789012345]) expectPeeksAgree(seq, fields(), '{"RoomId":"rid-1"}');
  });

  test("escaped quotes, backslashes, control characters and unicode in type and roomId", () => {
    const odd = [
      'Room."x"',
      "back\\slash\\",
      'both\\"\\',
      "tab\tnew\nline",
      "房间-1 🎉",
      "\u0000\u001f",
      "\ud800 lone",
    ];
    for (const v of odd) {
      expectPeeksAgree(7, fields({ type: v }), "{}");
      expectPeeksAgree(7, fields({ roomId: v }), "{}");
    }
  });

  test('"data" keys and ,"data": text inside envelope strings and in the body', () => {
    const decoys = [',"data":', '","data":{"a":1}}', '"data"', 'x\\",\\"data\\":'];
    for (const v of decoys) {
      expectPeeksAgree(
        3,
        fields({ type: v, roomId: v, clientIp: v, optPlatform: v, reason: v }),
        `{"data":${JSON.stringify(v)},"x":{"data":1}}`,
      );
    }
  });

  test("null fields and a quarantine reason", () => {
    expectPeeksAgree(
      5,
      fields({ roomId: null, eventTime: null, clientIp: null, optPlatform: null, reason: 'bad "x"' }),
      "{}",
    );
  });

  test("the layout's key order, whatever order the fields were built in", () => {
    const f = fields({ reason: "r" });
    const reversed = Object.fromEntries(Object.entries(f).reverse()) as unknown as EnvelopeFields;
    expect(envelopeHead(reversed)).toBe(envelopeHead(f));
    expect(envelopeHead(f).startsWith(`"id":"${f.id}","type":`)).toBe(true);
    expect(envelopeHead(f).endsWith(',"reason":"r","data":')).toBe(true);
  });

  test("numbers beyond 2^53 in the body are kept digit for digit", () => {
    const body = '{"UserId":144115233775727695,"N":-98765432109876543210.5e3,"Seat":[18446744073709551615]}';
    const line = expectPeeksAgree(9, fields(), body);
    expect(line).toContain("144115233775727695");
    expect(splitLine(line)!.body).toBe(body);
  });

  test("a huge body (2 MB, full of decoy keys)", () => {
    const body = `{"a":"${',\\"data\\":'.repeat(100_000)}","data":[${"1,".repeat(600_000)}1]}`;
    expect(body.length).toBeGreaterThan(2_000_000);
    expectPeeksAgree(11, fields(), body);
  });

  test("random strings in type, roomId and the other envelope strings", () => {
    const str = fc.string({ unit: "binary", maxLength: 30 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 15 - 1 }),
        str,
        fc.option(str),
        str,
        fc.option(str),
        (seq, type, roomId, receivedAt, clientIp) => {
          expectPeeksAgree(seq, fields({ type, roomId, receivedAt, clientIp }), "{}");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("line codec: lines not in the layout", () => {
  const notOurs = [
    "",
    "{}",
    "garbage",
    '{"id":"x","seq":1}',
    '{"seq":"1","id":"x"}',
    '{"seq":-1,"id":"x"}',
    ' {"seq":1,"id":"x"}',
    '{"seq":1,"id":"x',
    '{"seq":1234567890123456,"id":"x"}',
  ];

  test("string and byte peeks both refuse them", () => {
    for (const l of notOurs) {
      expect(peekSeqId(l)).toBeNull();
      const b = Buffer.from(`${l}\n`);
      expect(seqAt(b, 0, b.length - 1)).toBe(-1);
      expect(envelopeAt(b, 0, b.length - 1, newEnvelopeSpans())).toBe(false);
      expect(seqIdAt(b, 0, new Uint32Array(4), 0)).toBe(-1);
    }
  });

  test("another key order: readEnvelope and headObjectAt parse; the fast byte path declines", () => {
    const l = '{"seq":3,"type":"T","id":"ab","roomId":"r","receivedAt":"t","data":{"type":"no"}}';
    expect(readEnvelope(l)).toEqual({ seq: 3, id: "ab", type: "T", roomId: "r", receivedAt: "t" });
    const b = Buffer.from(l);
    expect(envelopeAt(b, 0, b.length, newEnvelopeSpans())).toBe(false);
    expect(headObjectAt(b, 0, b.length)).toEqual({ seq: 3, type: "T", id: "ab", roomId: "r", receivedAt: "t" });
  });

  test("parseLineSeq says why a line is not an event", () => {
    expect(parseLineSeq('{"seq":1,"data":{')).toEqual({ problem: "not valid JSON" });
    expect(parseLineSeq('{"seq":1.5}')).toEqual({ problem: "no integer seq" });
    expect(parseLineSeq("[1]")).toEqual({ problem: "no integer seq" });
  });

  test("a room id spelled with other escapes than JSON.stringify's still matches", () => {
    const b = Buffer.from('"\\u0072\\u0069d"');
    expect(stringIs(b, 0, b.length, Buffer.from('"rid"'), "rid")).toBe(true);
    expect(stringIs(b, 0, b.length, Buffer.from('"rie"'), "rie")).toBe(false);
  });
});

describe("queryJournal filters on the bytes", () => {
  test("type and room with escapes, unicode and decoys in the body", async () => {
    const dir = join(tempDir(), "journal");
    mkdirSync(dir);
    const rooms = ['r"1\\', "房间", "r", "r"];
    const types = ["Room.A", "Room.B", 'Room."C"', "Mic.D"];
    const lines = rooms.map((roomId, i) =>
      renderLine(
        i + 1,
        envelopeHead(fields({ roomId, type: types[i]! })),
        `{"RoomId":"r","type":"Room.A","x":",\\"roomId\\":\\"r\\""}`,
      ),
    );
    lines.push(renderLine(5, envelopeHead(fields({ roomId: null, type: "Room.A" })), '{"RoomId":"r"}'));
    writeFileSync(join(dir, segmentName(1)), lines.join(""));
    const seqs = async (type: ((t: string) => boolean) | null, roomId: string | null) => {
      const r = await queryJournal(dir, { fromSeq: 1, limit: 100, type, roomId, maxSeq: 100 });
      const text = await new Response(r.stream()).text();
      return text
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { seq: number }).seq);
    };
    expect(await seqs(null, 'r"1\\')).toEqual([1]);
    expect(await seqs(null, "房间")).toEqual([2]);
    expect(await seqs(null, "r")).toEqual([3, 4]);
    expect(await seqs((t) => t.startsWith("Room."), null)).toEqual([1, 2, 3, 5]);
    expect(await seqs((t) => t === 'Room."C"', "r")).toEqual([3]);
    expect(await seqs((t) => t === "Room.A", "r")).toEqual([]);
  });
});
