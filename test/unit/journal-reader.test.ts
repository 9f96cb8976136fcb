// The forward reader (src/journal/line-reader.ts) over hand-made segments, the chunked line cursor
// under it (line-cursor.ts) and readSegment's torn-tail report (reader.ts).
import { describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalLineReader, type LinePos } from "../../src/journal/line-reader.ts";
import { LineCursor } from "../../src/journal/line-cursor.ts";
import { readSegment } from "../../src/journal/reader.ts";
import { envelopeHead, renderLine } from "../../src/journal/line-codec.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { tempDir } from "../support/app.ts";

function line(seq: number, body = "{}"): string {
  const head = envelopeHead({
    id: `id${seq}`,
    type: "Room.A",
    sdkAppId: 1,
    roomId: "r",
    eventTime: null,
    receivedAt: "t",
    clientIp: null,
    optPlatform: null,
  });
  return renderLine(seq, head, body);
}

function journal(): string {
  const dir = join(tempDir(), "journal");
  mkdirSync(dir);
  return dir;
}

const seg = (dir: string, first: number) => join(dir, segmentName(first));

function writeSeg(dir: string, first: number, seqs: number[]): void {
  writeFileSync(seg(dir, first), seqs.map((s) => line(s)).join(""));
}

/** Scans everything there is now; the seqs visited. */
function drain(r: JournalLineReader, onVisit?: (seq: number) => void): number[] {
  const out: number[] = [];
  r.scan(Infinity, 1_000_000, (text, seq) => {
    expect(text).toBe(line(seq).slice(0, -1));
    out.push(seq);
    onVisit?.(seq);
    return true;
  });
  return out;
}

describe("JournalLineReader", () => {
  test("the roll race: lines land in the old segment between its read and the listing", () => {
    const dir = journal();
    writeSeg(dir, 1, [1, 2, 3]);
    const r = JournalLineReader.fromSeq(dir, 1);
    expect(drain(r)).toEqual([1, 2, 3]);
    appendFileSync(seg(dir, 1), line(4));
    // While line 4 is being visited (the read of segment 1 is under way, its size already taken),
    // the writer appends line 5 to segment 1 and then rolls to segment 6.
    const seen = drain(r, (seq) => {
      if (seq !== 4) return;
      appendFileSync(seg(dir, 1), line(5));
      writeSeg(dir, 6, [6]);
    });
    expect(seen).toEqual([4, 5, 6]);
    writeSeg(dir, 7, [7]);
    expect(drain(r)).toEqual([7]);
  });

  test("the roll race from a known position, across several scans of a writer appending and rolling", () => {
    const dir = journal();
    writeSeg(dir, 1, [1]);
    const positions: LinePos[] = [];
    JournalLineReader.fromSeq(dir, 1).scan(Infinity, 1, (_t, _s, pos) => positions.push(pos) > 0);
    const r = JournalLineReader.at(dir, positions[0]!, 1);
    const all: number[] = [];
    let next = 2;
    let first = 1;
    for (let round = 0; round < 30; round++) {
      let acted = false;
      all.push(
        ...drain(r, () => {
          // At the first visit of a scan: a line into the current segment, and every other round a
          // roll right after it, while the reader is in the middle of its read.
          if (acted) return;
          acted = true;
          appendFileSync(seg(dir, first), line(next++));
          if (round % 2 === 0) {
            first = next;
            writeSeg(dir, first, [next++]);
          }
        }),
      );
    }
    all.push(...drain(r));
    expect(all).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
  });

  test("a segment removed by retention is passed over, also the one the reader stands in", () => {
    const dir = journal();
    writeSeg(dir, 1, [1, 2]);
    writeSeg(dir, 3, [3, 4]);
    writeSeg(dir, 5, [5, 6]);
    const r = JournalLineReader.fromSeq(dir, 1);
    expect(r.scan(Infinity, 1, () => true).consumed).toBe(1);
    rmSync(seg(dir, 1));
    expect(drain(r)).toEqual([3, 4, 5, 6]);
    const pos: LinePos = { segment: { firstSeq: 3, path: seg(dir, 3) }, offset: 0 };
    rmSync(seg(dir, 3));
    expect(drain(JournalLineReader.at(dir, pos, 1))).toEqual([5, 6]);
  });

  test("a line longer than the read chunk is handed out whole", () => {
    const dir = journal();
    const big = `{"p":"${"x".repeat(700 * 1024)}"}`;
    writeFileSync(seg(dir, 1), line(1) + line(2, big) + line(3));
    const got: [number, number][] = [];
    JournalLineReader.fromSeq(dir, 1).scan(Infinity, 10, (text, seq) => got.push([seq, text.length]) > 0);
    expect(got).toEqual([
      [1, line(1).length - 1],
      [2, line(2, big).length - 1],
      [3, line(3).length - 1],
    ]);
  });

  test("an unterminated last line is not handed out, also not in a final segment", () => {
    const dir = journal();
    writeSeg(dir, 1, [1]);
    const r = JournalLineReader.fromSeq(dir, 1);
    const partial = line(2).slice(0, 20);
    appendFileSync(seg(dir, 1), partial);
    expect(drain(r)).toEqual([1]);
    expect(drain(r)).toEqual([]);
    appendFileSync(seg(dir, 1), line(2).slice(20));
    expect(drain(r)).toEqual([2]);
    appendFileSync(seg(dir, 1), partial); // torn, and then the writer rolls: never a line
    writeSeg(dir, 3, [3]);
    expect(drain(r)).toEqual([3]);
    expect(drain(r)).toEqual([]);
  });

  test("maxSeq and a refusing visitor leave the line for the next scan; lines without a seq are skipped", () => {
    const dir = journal();
    writeFileSync(seg(dir, 1), `${line(1)}garbage\n${line(2)}${line(3)}${line(4)}`);
    const r = JournalLineReader.fromSeq(dir, 2);
    expect(r.scan(2, 100, () => true)).toEqual({ consumed: 3, blocked: true });
    let calls = 0;
    expect(r.scan(10, 100, (_t, seq) => ++calls > 0 && seq !== 4)).toEqual({ consumed: 1, blocked: true });
    expect(drain(r)).toEqual([4]);
    expect(calls).toBe(2);
  });
});

describe("LineCursor", () => {
  test("a buffer far smaller than the lines: every line, its offset, then the unterminated rest", () => {
    const dir = journal();
    const path = join(dir, "f");
    const lines = ["a", "", "bb".repeat(40), "ccc", "d".repeat(5000)];
    const text = `${lines.map((l) => `${l}\n`).join("")}tail-no-newline`;
    writeFileSync(path, text);
    const fd = openSync(path, "r");
    try {
      const size = statSync(path).size;
      const c = new LineCursor(fd, 0, size, Buffer.allocUnsafe(7));
      const got: [string, number][] = [];
      while (c.next()) got.push([c.text(), c.offset]);
      const offsets = lines.map((_, i) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0));
      expect(got).toEqual(lines.map((l, i) => [l, offsets[i]!]));
      expect(c.after).toBe(text.length - "tail-no-newline".length);
      expect(c.rest().toString()).toBe("tail-no-newline");
    } finally {
      closeSync(fd);
    }
  });
});

describe("readSegment", () => {
  test("a line longer than its chunk, then a torn tail reported with its offset", () => {
    const dir = journal();
    const big = line(2, `{"p":"${"y".repeat(1500 * 1024)}"}`);
    const torn = '{"seq":3,"id":"to';
    writeFileSync(seg(dir, 1), line(1) + big + torn);
    const got = [...readSegment({ firstSeq: 1, path: seg(dir, 1) })].map((l) => ({
      offset: l.offset,
      len: l.text.length,
      complete: l.complete,
    }));
    expect(got).toEqual([
      { offset: 0, len: line(1).length - 1, complete: true },
      { offset: line(1).length, len: big.length - 1, complete: true },
      { offset: line(1).length + big.length, len: torn.length, complete: false },
    ]);
  });
});
