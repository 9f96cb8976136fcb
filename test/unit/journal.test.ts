// The journal on a real directory: group commit, rolls, recovery of torn tails, seq across restarts,
// the dedupe window rebuilt from the tail, and the follower used by tail -f.
import { afterEach, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { Journal } from "../../src/journal/journal.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { recentIds, recoverTail } from "../../src/journal/recover.ts";
import { listSegments, segmentName } from "../../src/journal/segments.ts";
import { envelopeHead } from "../../src/journal/line.ts";
import { readSnapshot, SNAPSHOT_HEADER_WORDS, snapshotPath, writeSnapshot } from "../../src/journal/dedupe-snapshot.ts";
import { JournalLineReader } from "../../src/journal/line-reader.ts";
import { verifyDir } from "../../src/cli/verify.ts";
import { readLines, tempDir } from "../support/app.ts";

const dirs: string[] = [];
function dir(): string {
  const d = tempDir("roomhook-journal-");
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A well-formed event id (32 hex digits), as the service makes them. */
function hexId(n: number | string): string {
  return Buffer.from(String(n)).toString("hex").padStart(32, "0").slice(-32);
}

function idsOf(r: { words: Uint32Array; count: number }): string[] {
  return Array.from({ length: r.count }, (_, i) =>
    Array.from(r.words.subarray(i * 4, i * 4 + 4), (w) => w.toString(16).padStart(8, "0")).join(""),
  );
}

/** An EventId from its 32 hex digits, as eventId() would make it. */
function asId(hex: string) {
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return { hex, words };
}

function head(id: string): string {
  return envelopeHead({
    id,
    type: "T",
    sdkAppId: 1,
    roomId: "r",
    eventTime: 1,
    receivedAt: "2026-01-01T00:00:00.000Z",
    clientIp: null,
    optPlatform: null,
  });
}

function writer(d: string, segmentBytes = 1 << 20, durability: "fsync" | "write" = "fsync") {
  return new SegmentWriter({ dir: d, durability, segmentBytes }).open();
}

describe("SegmentWriter", () => {
  test("concurrent appends share batches and get consecutive seqs in order", async () => {
    const d = dir();
    const batches: number[] = [];
    const w = new SegmentWriter({
      dir: d,
      durability: "fsync",
      segmentBytes: 1 << 20,
      onCommit: (b) => batches.push(b.records),
    }).open();
    const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => w.append(head(`id${i}`), `{"n":${i}}`)));
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
    expect(batches.length).toBeLessThan(200); // grouped, not one fsync each
    const lines = readLines(d);
    expect(lines.map((l) => l.seq)).toEqual(seqs);
    expect(lines.map((l) => (l.data as { n: number }).n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await w.close();
  });

  test("rolls to a new segment named after its first seq", async () => {
    const d = dir();
    const w = writer(d, 4096);
    for (let i = 0; i < 60; i++) await w.append(head(`id${i}`), `{"pad":"${"x".repeat(200)}"}`);
    await w.close();
    const segs = listSegments(d);
    expect(segs.length).toBeGreaterThan(2);
    for (const s of segs) {
      const first = JSON.parse(readFileSync(s.path, "utf8").split("\n")[0]!) as { seq: number };
      expect(first.seq).toBe(s.firstSeq);
      expect(statSync(s.path).size).toBeLessThanOrEqual(4096);
      expect(statSync(s.path).mode & 0o777).toBe(0o600);
    }
    expect(verifyDir(d).problems).toEqual([]);
    expect(verifyDir(d).events).toBe(60);
  });

  test("seq goes on across restarts, in the same and in a new segment", async () => {
    const d = dir();
    let w = writer(d);
    await w.append(head("a"), "{}");
    await w.append(head("b"), "{}");
    await w.close();
    w = writer(d);
    expect(await w.append(head("c"), "{}")).toBe(3);
    await w.close();
    w = writer(d, 10); // every batch rolls now
    expect(await w.append(head("d"), "{}")).toBe(4);
    await w.close();
    expect(listSegments(d).map((s) => s.firstSeq)).toEqual([1, 4]);
  });

  test("write durability acknowledges too, and the data is in the file", async () => {
    const d = dir();
    const w = writer(d, 1 << 20, "write");
    expect(await w.append(head("a"), '{"x":1}')).toBe(1);
    expect(readLines(d)).toHaveLength(1);
    await w.close();
  });

  test("a disk that does not take writes at start-up makes the writer unready at once", async () => {
    const d = dir();
    let full = true;
    const io = {
      writeSync: (fd: number, buf: Buffer, off: number, len: number) => {
        if (full) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return writeSync(fd, buf, off, len);
      },
      fdatasync: (_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => cb(null),
    };
    const w = new SegmentWriter({ dir: d, durability: "fsync", segmentBytes: 1 << 20, io }).open();
    expect(w.healthy).toBe(false);
    expect(w.error?.message).toContain("start-up probe");
    full = false;
    await Bun.sleep(1100); // the probe runs once a second
    expect(w.healthy).toBe(true);
    expect(await w.append(head("a"), "{}")).toBe(1);
    await w.close();
  });

  test("appends after close are refused", async () => {
    const d = dir();
    const w = writer(d);
    await w.close();
    await expect(w.append(head("a"), "{}")).rejects.toThrow("closed");
  });

  test("close waits for queued appends", async () => {
    const d = dir();
    const w = writer(d);
    const pending = Array.from({ length: 50 }, (_, i) => w.append(head(`q${i}`), "{}"));
    await w.close();
    expect(await Promise.all(pending)).toHaveLength(50);
    expect(readLines(d)).toHaveLength(50);
  });
});

describe("overlapping syncs", () => {
  /** fdatasync calls are held until the test settles them, in any order. */
  function heldIo() {
    const calls: ((err: NodeJS.ErrnoException | null) => void)[] = [];
    const io = {
      writeSync: (fd: number, buf: Buffer, off: number, len: number) => writeSync(fd, buf, off, len),
      fdatasync: (_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void calls.push(cb),
    };
    return { io, calls };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  test("a later batch is acknowledged only after the earlier one, even when its sync ends first", async () => {
    const d = dir();
    const { io, calls } = heldIo();
    const w = new SegmentWriter({ dir: d, durability: "fsync", segmentBytes: 1 << 20, io }).open();
    const order: number[] = [];
    const a = w.append(head("a"), "{}").then((s) => order.push(s));
    await tick();
    const b = w.append(head("b"), "{}").then((s) => order.push(s));
    await tick();
    expect(calls).toHaveLength(2); // two syncs overlap
    calls[1]!(null);
    await tick();
    expect(order).toEqual([]); // b waits for a
    calls[0]!(null);
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });

  test("when the earlier sync fails, the later batch fails too and both are cut from the file", async () => {
    const d = dir();
    const { io, calls } = heldIo();
    const w = new SegmentWriter({ dir: d, durability: "fsync", segmentBytes: 1 << 20, io }).open();
    const a = w.append(head("a"), '{"n":1}');
    await tick();
    const b = w.append(head("b"), '{"n":2}');
    await tick();
    expect(calls).toHaveLength(2);
    calls[0]!(Object.assign(new Error("EIO: i/o error"), { code: "EIO" }));
    await expect(a).rejects.toThrow("EIO");
    await expect(b).rejects.toThrow("EIO");
    calls[1]!(null); // a late success of a batch already given up must change nothing
    await tick();
    expect(readLines(d)).toHaveLength(0);
    expect(w.healthy).toBe(false);
    const c = w.append(head("c"), '{"n":3}');
    await tick();
    calls[2]!(null);
    expect(await c).toBe(1);
    expect(readLines(d).map((l) => l.seq)).toEqual([1]);
  });

  test("at most two syncs run at once; the third batch waits", async () => {
    const d = dir();
    const { io, calls } = heldIo();
    const w = new SegmentWriter({ dir: d, durability: "fsync", segmentBytes: 1 << 20, io }).open();
    const ps = [w.append(head("a"), "{}")];
    await tick();
    ps.push(w.append(head("b"), "{}"));
    await tick();
    ps.push(w.append(head("c"), "{}"));
    await tick();
    expect(calls).toHaveLength(2);
    calls[0]!(null);
    await tick();
    expect(calls).toHaveLength(3);
    calls[1]!(null);
    calls[2]!(null);
    expect(await Promise.all(ps)).toEqual([1, 2, 3]);
  });
});

describe("recovery", () => {
  test("a torn last line is cut, kept aside, and the seq reused", async () => {
    const d = dir();
    let w = writer(d);
    await w.append(head("a"), "{}");
    await w.append(head("b"), "{}");
    await w.close();
    const seg = join(d, segmentName(1));
    appendFileSync(seg, '{"seq":3,"id":"c","type":"T","da');
    const cuts: number[] = [];
    const t = recoverTail(d, (c) => cuts.push(c.bytes));
    expect(t.nextSeq).toBe(3);
    expect(cuts).toHaveLength(1);
    expect(readdirSync(d).some((n) => n.includes(".torn-"))).toBe(true);
    w = writer(d);
    expect(await w.append(head("c2"), "{}")).toBe(3);
    await w.close();
    expect(verifyDir(d).problems).toEqual([]);
  });

  test("complete but invalid trailing lines (zeros from a lost page) are cut too", async () => {
    const d = dir();
    const w = writer(d);
    await w.append(head("a"), "{}");
    await w.close();
    appendFileSync(join(d, segmentName(1)), Buffer.concat([Buffer.alloc(100), Buffer.from("\n"), Buffer.alloc(50)]));
    expect(recoverTail(d).nextSeq).toBe(2);
    expect(readLines(d)).toHaveLength(1);
  });

  test("an empty segment left by a crash right after a roll is removed; numbering goes on", async () => {
    const d = dir();
    const w = writer(d);
    for (const id of ["a", "b", "c"]) await w.append(head(id), "{}");
    await w.close();
    writeFileSync(join(d, segmentName(4)), '{"seq":4,"id":"d"'); // torn first line of a new segment
    const t = recoverTail(d);
    expect(t.nextSeq).toBe(4);
    expect(existsSync(join(d, segmentName(4)))).toBe(false);
    expect(t.segment!.firstSeq).toBe(1);
  });

  test("when retention left only a torn segment, seq still never goes below its name", () => {
    const d = dir();
    writeFileSync(join(d, segmentName(500)), "garbage-without-newline");
    const t = recoverTail(d);
    expect(t.nextSeq).toBe(500);
  });

  test("start-up reads only the tail: cost does not depend on older segments", async () => {
    const d = dir();
    const w = writer(d, 8192);
    for (let i = 0; i < 300; i++) await w.append(head(`id${i}`), "{}");
    await w.close();
    // make every older segment unreadable garbage: recovery must not look at them
    const segs = listSegments(d);
    for (const s of segs.slice(0, -1)) writeFileSync(s.path, "x".repeat(100));
    expect(recoverTail(d).nextSeq).toBe(301);
  });
});

describe("dedupe window", () => {
  test("recentIds returns the newest ids oldest first, across segments", async () => {
    const d = dir();
    const w = writer(d, 2048);
    for (let i = 0; i < 100; i++) await w.append(head(hexId(i)), `{"p":"${"z".repeat(50)}"}`);
    await w.close();
    expect(listSegments(d).length).toBeGreaterThan(3);
    expect(idsOf(recentIds(d, 30))).toEqual(Array.from({ length: 30 }, (_, i) => hexId(70 + i)));
    expect(recentIds(d, 1000).count).toBe(100);
    expect(recentIds(d, 0).count).toBe(0);
  });

  test("recentIds handles chunk boundaries inside long lines", async () => {
    const d = dir();
    const w = writer(d, 64 << 20);
    const big = `{"p":"${"q".repeat(3 * 1024 * 1024)}"}`; // lines longer than the read chunk
    for (let i = 0; i < 4; i++) await w.append(head(hexId(`big${i}`)), big);
    await w.close();
    expect(idsOf(recentIds(d, 10))).toEqual([0, 1, 2, 3].map((i) => hexId(`big${i}`)));
  });

  test("a duplicate is still recognised after a restart", async () => {
    const d = dir();
    let j = new Journal({ dir: d, durability: "fsync", segmentBytes: 1 << 20, dedupeWindow: 10 });
    const [x1, x2] = [hexId("x1"), hexId("x2")];
    expect((await j.ingest(asId(x1), head(x1), "{}")).duplicate).toBe(false);
    await j.close();
    j = new Journal({ dir: d, durability: "fsync", segmentBytes: 1 << 20, dedupeWindow: 10 });
    expect((await j.ingest(asId(x1), head(x1), "{}")).duplicate).toBe(true);
    expect((await j.ingest(asId(x2), head(x2), "{}")).seq).toBe(2);
    await j.close();
  });
});

describe("dedupe snapshot", () => {
  const open = (d: string, window = 100) =>
    new Journal({ dir: d, durability: "fsync", segmentBytes: 1 << 20, dedupeWindow: window });

  test("a clean close saves the window; a crash's newer ids come from the journal tail", async () => {
    const d = dir();
    let j = open(d);
    await j.ingest(asId(hexId("a")), head(hexId("a")), "{}");
    await j.close(); // snapshot at seq 1
    expect(readSnapshot(snapshotPath(d))!.seq).toBe(1);
    j = open(d);
    await j.ingest(asId(hexId("b")), head(hexId("b")), "{}");
    await j.writer.close(); // a crash: no new snapshot, "b" only in the journal
    expect(readSnapshot(snapshotPath(d))!.seq).toBe(1);
    j = open(d);
    expect((await j.ingest(asId(hexId("a")), head(hexId("a")), "{}")).duplicate).toBe(true);
    expect((await j.ingest(asId(hexId("b")), head(hexId("b")), "{}")).duplicate).toBe(true);
    expect((await j.ingest(asId(hexId("c")), head(hexId("c")), "{}")).seq).toBe(3);
    await j.close();
  });

  test("a snapshot from the future (seq beyond the journal) or a damaged one is ignored", async () => {
    const d = dir();
    let j = open(d);
    await j.ingest(asId(hexId("a")), head(hexId("a")), "{}");
    await j.close();
    const snap = readSnapshot(snapshotPath(d))!;
    // claims to cover seq 99 and holds an id the journal never had: must not be trusted
    const fake = new Uint32Array([
      ...new Array(SNAPSHOT_HEADER_WORDS).fill(0),
      ...snap.words,
      ...asId(hexId("ghost")).words,
    ]);
    writeSnapshot(snapshotPath(d), 99, fake, snap.count + 1);
    j = open(d);
    expect((await j.ingest(asId(hexId("ghost")), head(hexId("ghost")), "{}")).duplicate).toBe(false);
    expect((await j.ingest(asId(hexId("a")), head(hexId("a")), "{}")).duplicate).toBe(true);
    await j.writer.close();
    const bytes = readFileSync(snapshotPath(d));
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(snapshotPath(d), bytes);
    expect(readSnapshot(snapshotPath(d))).toBeNull();
    j = open(d);
    expect((await j.ingest(asId(hexId("a")), head(hexId("a")), "{}")).duplicate).toBe(true);
    await j.close();
  });

  test("the reused snapshot buffer holds exactly the current ids after the window rotates", async () => {
    const d = dir();
    const j = open(d, 2);
    const ids = ["a", "b", "c", "d", "e"].map(hexId);
    for (const x of ids.slice(0, 4)) await j.ingest(asId(x), head(x), "{}");
    j.saveSnapshot(); // generations [a, b] and [c, d]: 4 ids
    const words = (s: ReturnType<typeof readSnapshot>) => Array.from(s!.words);
    expect(words(readSnapshot(snapshotPath(d)))).toEqual(ids.slice(0, 4).flatMap((x) => Array.from(asId(x).words)));
    await j.ingest(asId(ids[4]!), head(ids[4]!), "{}");
    j.saveSnapshot(); // [a, b] dropped: [c, d] and [e], 3 ids, written over the same buffer
    const snap = readSnapshot(snapshotPath(d))!;
    expect(snap.count).toBe(3);
    expect(snap.seq).toBe(5);
    expect(words(snap)).toEqual(ids.slice(2).flatMap((x) => Array.from(asId(x).words)));
    await j.close();
  });

  test("a window of 0 writes no snapshot", async () => {
    const d = dir();
    const j = open(d, 0);
    await j.ingest(asId(hexId("a")), head(hexId("a")), "{}");
    await j.close();
    expect(existsSync(snapshotPath(d))).toBe(false);
  });
});

describe("JournalLineReader as a follower", () => {
  /** Everything complete that is there now, as tail -f reads it. */
  const poll = (r: JournalLineReader) => {
    const out: string[] = [];
    r.scan(Infinity, 10_000, (text) => {
      out.push(text);
      return true;
    });
    return out;
  };

  test("hands out complete lines only and follows across rolls", async () => {
    const d = dir();
    const w = writer(d, 1024);
    const f = JournalLineReader.fromSeq(d, 1);
    expect(poll(f)).toEqual([]);
    for (let i = 0; i < 20; i++) await w.append(head(`id${i}`), `{"p":"${"w".repeat(100)}"}`);
    const seen = poll(f).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(listSegments(d).length).toBeGreaterThan(2);
    // a partial line is not handed out until it is complete
    const partial = '{"seq":21,"id":"par';
    appendFileSync(w.currentSegment.path, partial);
    expect(poll(f)).toEqual([]);
    truncateSync(w.currentSegment.path, statSync(w.currentSegment.path).size - partial.length);
    await w.append(head("id20"), "{}");
    expect(poll(f).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([21]);
    await w.close();
  });

  test("starts at the segment holding fromSeq", async () => {
    const d = dir();
    const w = writer(d, 1024);
    for (let i = 0; i < 30; i++) await w.append(head(`id${i}`), `{"p":"${"v".repeat(100)}"}`);
    await w.close();
    const first = poll(JournalLineReader.fromSeq(d, 25)).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(first[0]).toBeLessThanOrEqual(25);
    expect(first[0]).toBeGreaterThan(1);
    expect(first[0]).toBe(25); // the lines before fromSeq in its segment are skipped
    expect(first).toContain(25);
    expect(first.at(-1)).toBe(30);
  });
});
