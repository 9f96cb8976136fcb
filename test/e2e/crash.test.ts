// Crash safety of the compiled binary: kill -9 under concurrent load, restart on the same data_dir,
// and check that every acknowledged callback is in the journal exactly once (README "The callback endpoint": "200 is sent
// only once the event is in the journal", §5 seq and torn-tail rules, dedupe across restarts).
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  APP,
  OK_ANSWER,
  callbackQuery,
  cleanup,
  memberEnter,
  readJournal,
  runCli,
  segmentFiles,
  sendCallback,
  startRoomhook,
  tempDir,
  type Roomhook,
  type TomlConfig,
} from "./helpers.ts";

// bunfig.toml's [test] timeout is not applied by bun 1.4.5 (the default stays 5 s): set it here.
setDefaultTimeout(30_000);

afterAll(cleanup);

const OK_TEXT = JSON.stringify(OK_ANSWER);
const SENDERS = 32;
const ROUNDS = 3;

interface RoundStats {
  acked: number;
  errors: number;
  other: number;
}

/** 32 senders posting unique valid callbacks until the server dies; returns what was acknowledged. */
function load(rh: Roomhook, round: number, acked: Map<string, string>) {
  let stopped = false;
  const stats: RoundStats = { acked: 0, errors: 0, other: 0 };
  const url = rh.callbackUrl;
  const senders = Array.from({ length: SENDERS }, async (_, s) => {
    for (let i = 0; !stopped; i++) {
      const room = `crash-r${round}-s${s}-n${i}`;
      const body = memberEnter(room);
      try {
        const res = await fetch(`${url}?${callbackQuery({ bodyCommand: "Room.CallbackAfterMemberEnter" })}`, {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
        });
        const text = await res.text();
        if (res.status === 200 && text === OK_TEXT) {
          acked.set(room, body);
          stats.acked++;
        } else {
          stats.other++;
        }
      } catch {
        stats.errors++; // the process died under this request: it was never acknowledged
      }
    }
  });
  return {
    stats,
    stop() {
      stopped = true;
    },
    done: Promise.all(senders),
  };
}

function checkJournal(dataDir: string, acked: Map<string, string>) {
  const lines = readJournal(dataDir);
  const seqs = lines.map((l) => l.entry.seq);
  expect(seqs[0]).toBe(1);
  for (let i = 1; i < seqs.length; i++)
    if (!(seqs[i]! > seqs[i - 1]!)) throw new Error(`seq does not rise at line ${i}: ${seqs[i - 1]} then ${seqs[i]}`);
  const byRoom = new Map<string, number>();
  const byId = new Map<string, number>();
  const rawByRoom = new Map<string, string>();
  for (const l of lines) {
    byRoom.set(l.entry.roomId as string, (byRoom.get(l.entry.roomId as string) ?? 0) + 1);
    rawByRoom.set(l.entry.roomId as string, l.raw);
    byId.set(l.entry.id, (byId.get(l.entry.id) ?? 0) + 1);
  }
  const missing = [...acked.keys()].filter((r) => byRoom.get(r) !== 1);
  if (missing.length)
    throw new Error(
      `${missing.length} acknowledged event(s) not in the journal exactly once, e.g. ${missing.slice(0, 3).join(", ")}: ${missing.slice(0, 3).map((r) => byRoom.get(r) ?? 0)}`,
    );
  // No event is stored twice, acknowledged or not.
  expect([...byId.values()].every((n) => n === 1)).toBe(true);
  for (const [room, body] of acked) {
    if (!rawByRoom.get(room)!.endsWith(`"data":${body}}`))
      throw new Error(`the stored body of ${room} differs from what was sent`);
  }
  return { lines, lastSeq: seqs.at(-1)! };
}

describe("kill -9 under load", () => {
  test(`${ROUNDS} rounds: every acknowledged event survives exactly once, seq continues, the dedupe window too`, async () => {
    const dataDir = join(tempDir("crash"), "data");
    const config: TomlConfig = { data_dir: dataDir, journal: { durability: "fsync", segment_bytes: 65536 } };
    const acked = new Map<string, string>();
    let rh = await startRoomhook({ dataDir, config });

    // A duplicate sent before the first crash and again after every restart is stored once.
    const dupBody = memberEnter("crash-dup");
    expect((await sendCallback(rh, { body: dupBody })).status).toBe(200);
    acked.set("crash-dup", dupBody);

    for (let round = 0; round < ROUNDS; round++) {
      const l = load(rh, round, acked);
      await Bun.sleep(1000 + Math.floor(Math.random() * 500));
      rh.proc.kill(9);
      l.stop();
      await rh.kill9();
      await l.done;
      console.log(`round ${round}: ${l.stats.acked} acknowledged, ${l.stats.errors} cut off by the kill`);
      expect(l.stats.acked).toBeGreaterThan(50); // the load was real
      expect(l.stats.other).toBe(0); // nothing but 200 OK or a dead connection

      rh = await startRoomhook({ dataDir, config });
      const { lastSeq } = checkJournal(dataDir, acked);
      const v = await runCli(["verify", "--data-dir", dataDir]);
      if (v.code !== 0) throw new Error(`verify failed after round ${round}:\n${v.stdout}${v.stderr}`);

      // The restart continues the numbering: the next event gets lastSeq + 1.
      expect(rh.logs.find((x) => x.msg === "roomhook listening")!.nextSeq).toBe(lastSeq + 1);
      const fresh = memberEnter(`crash-after-${round}`);
      expect((await sendCallback(rh, { body: fresh })).status).toBe(200);
      acked.set(`crash-after-${round}`, fresh);
      const after = readJournal(dataDir);
      expect(after.at(-1)!.entry.seq).toBe(lastSeq + 1);
      expect(after.at(-1)!.entry.roomId).toBe(`crash-after-${round}`);

      // Duplicates across the crash: the early one and one acknowledged in this round's load.
      const sample = [...acked.entries()].filter(([r]) => r.startsWith(`crash-r${round}-`));
      const [dupRoom, dupOfLoad] = sample[Math.floor(sample.length / 2)]!;
      expect((await sendCallback(rh, { body: dupBody })).status).toBe(200);
      expect((await sendCallback(rh, { body: dupOfLoad })).status).toBe(200);
      const again = readJournal(dataDir);
      expect(again.length).toBe(after.length);
      expect(again.filter((x) => x.entry.roomId === "crash-dup").length).toBe(1);
      expect(again.filter((x) => x.entry.roomId === dupRoom).length).toBe(1);
    }
    // Segments rolled under load.
    expect(segmentFiles(dataDir).length).toBeGreaterThan(1);
    expect(await rh.stop()).toBe(0);
    expect((await runCli(["verify", "--data-dir", dataDir])).code).toBe(0);
    checkJournal(dataDir, acked);
  });
});

describe("torn tail", () => {
  test("a torn last line left by a crash is cut at start-up, kept aside, and the seq goes on from the last whole line", async () => {
    const dataDir = join(tempDir("torn"), "data");
    const config: TomlConfig = { data_dir: dataDir };
    let rh = await startRoomhook({ dataDir, config });
    for (let i = 0; i < 5; i++) expect((await sendCallback(rh, { body: memberEnter(`torn-${i}`) })).status).toBe(200);
    await rh.kill9();
    const seg = segmentFiles(dataDir).at(-1)!;
    appendFileSync(
      seg,
      `{"seq":6,"id":"deadbeef","type":"Room.CallbackAfterMemberEnter","sdkAppId":${APP},"roomId":"torn-x","data":{"Callback`,
    );
    const before = await runCli(["verify", "--data-dir", dataDir]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain("torn");

    rh = await startRoomhook({ dataDir, config });
    expect(rh.logs.some((l) => l.level === 40 && /torn/.test(String(l.msg)))).toBe(true);
    expect(rh.logs.find((l) => l.msg === "roomhook listening")!.nextSeq).toBe(6);
    expect((await runCli(["verify", "--data-dir", dataDir])).code).toBe(0);
    expect(readdirSync(join(dataDir, "journal")).some((n) => n.includes(".torn-"))).toBe(true);
    expect((await sendCallback(rh, { body: memberEnter("torn-after") })).status).toBe(200);
    const all = readJournal(dataDir);
    expect(all.map((l) => l.entry.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.at(-1)!.entry.roomId).toBe("torn-after");
    expect(all.some((l) => l.entry.roomId === "torn-x")).toBe(false);
    expect(await rh.stop()).toBe(0);
  });
});

describe("dedupe window across a restart with a large segment", () => {
  // Start-up reads the ids of the last `dedupe.window` events backwards in 4 MiB chunks. Put a line
  // start just before, exactly at, and just after a chunk boundary (counted from the end of the file)
  // and check after each restart that this event, and the very first one, are still recognised as
  // duplicates.
  test("events whose lines start around a 4 MiB read boundary are still deduplicated after a restart", async () => {
    const CHUNK = 4 * 1024 * 1024;
    const dataDir = join(tempDir("bigseg"), "data");
    const config: TomlConfig = { data_dir: dataDir, journal: { durability: "write" } };
    let rh = await startRoomhook({ dataDir, config });
    const room = (n: number) => `big-${String(n).padStart(6, "0")}`;
    const bodyFor = (n: number, padLen: number) =>
      JSON.stringify({
        CallbackCommand: "Room.CallbackAfterMemberEnter",
        RoomId: room(n),
        MemberList_Account: ["u"],
        EventTime: 1700000000000 + n,
        Pad: "b".repeat(padLen),
      });
    const first = bodyFor(0, 2000);
    expect((await sendCallback(rh, { body: first })).status).toBe(200);
    // ~4.5 MiB of 2 KiB events, 16 at a time.
    let n = 1;
    while (journalBytes(dataDir) < CHUNK + 512 * 1024) {
      await Promise.all(
        Array.from({ length: 16 }, () =>
          sendCallback(rh, { body: bodyFor(n++, 2000) }).then((r) => expect(r.status).toBe(200)),
        ),
      );
    }
    const [seg, ...more] = segmentFiles(dataDir);
    expect(more.length).toBe(0);

    for (const delta of [-1, 0, 1]) {
      // Append one event whose length makes an existing line start at (final size - CHUNK + delta).
      const bytes = await Bun.file(seg!).bytes();
      const size = bytes.length;
      const lines = readJournal(dataDir);
      const last = lines.at(-1)!;
      const overhead =
        Buffer.byteLength(last.raw) +
        1 -
        Buffer.byteLength(JSON.stringify(last.entry.data)) +
        (String(last.entry.seq + 1).length - String(last.entry.seq).length);
      let lineStart = -1;
      for (let p = size + 2500 - CHUNK + delta; p < size + 6000 - CHUNK + delta; p++) {
        if (bytes[p - 1] === 0x0a) {
          lineStart = p;
          break;
        }
      }
      expect(lineStart).toBeGreaterThan(0);
      const finalSize = lineStart - delta + CHUNK;
      const padLen = finalSize - size - overhead - Buffer.byteLength(bodyFor(n, 0));
      expect(padLen).toBeGreaterThan(0);
      expect((await sendCallback(rh, { body: bodyFor(n++, padLen) })).status).toBe(200);
      expect(Bun.file(seg!).size).toBe(finalSize);
      expect(await rh.stop()).toBe(0);

      // The event whose line starts there.
      let offset = 0;
      const atBoundary = readJournal(dataDir).find((l) => {
        const here = offset;
        offset += Buffer.byteLength(l.raw) + 1;
        return here === lineStart;
      })!;
      expect(atBoundary).toBeDefined();
      const boundaryBody = JSON.stringify(atBoundary.entry.data);

      rh = await startRoomhook({ dataDir, config });
      const before = readJournal(dataDir).length;
      for (const body of [boundaryBody, first]) expect((await sendCallback(rh, { body })).status).toBe(200);
      const rooms = readJournal(dataDir).map((l) => l.entry.roomId);
      expect({ delta, added: rooms.length - before }).toEqual({ delta, added: 0 });
      expect(rooms.filter((r) => r === atBoundary.entry.roomId).length).toBe(1);
      expect(rooms.filter((r) => r === room(0)).length).toBe(1);
    }
    expect(await rh.stop()).toBe(0);
  });
});

function journalBytes(dataDir: string): number {
  return segmentFiles(dataDir).reduce((a, f) => a + Bun.file(f).size, 0);
}
