// The cursor keeper with a recording cursor file and dead-letter log: what is saved, when, and what a
// replay or a stop does to it.
import { describe, expect, test } from "bun:test";
import pino from "pino";
import type { CursorState } from "../../src/delivery/cursor-store.ts";
import { CursorKeeper, type CursorFile } from "../../src/delivery/cursor-keeper.ts";
import { SAVE_EVERY_MS } from "../../src/delivery/worker-limits.ts";

const silent = pino({ level: "silent" });

class FakeFile implements CursorFile {
  saves: CursorState[] = [];
  syncSaves: CursorState[] = [];
  /** When set, the next async save waits for this (so a test can act while it is under way). */
  hold: Promise<void> | null = null;
  fail = false;
  constructor(private readonly stored: CursorState | null) {}
  load(): CursorState | null {
    return this.stored;
  }
  async save(s: CursorState): Promise<void> {
    const h = this.hold;
    this.hold = null;
    if (h) await h;
    if (this.fail) throw new Error("EIO");
    this.saves.push(s);
  }
  saveSync(s: CursorState): void {
    this.syncSaves.push(s);
  }
}

class FakeDeadLetters {
  removed: string[][] = [];
  async remove(keys: ReadonlySet<string>): Promise<number> {
    this.removed.push([...keys]);
    return keys.size;
  }
}

function keeper(stored: CursorState | null = { seq: 10, paused: null }) {
  const file = new FakeFile(stored);
  const dl = new FakeDeadLetters();
  const at = { cursor: stored?.seq ?? 0 };
  const k = new CursorKeeper("t", file, dl, () => at.cursor, silent);
  return { k, file, dl, at };
}

describe("cursor keeper", () => {
  test("a new target starts at the journal's head and saves that at once; a known one keeps its file", () => {
    const fresh = keeper(null);
    expect(fresh.k.load(() => 42)).toBe(42);
    expect(fresh.file.syncSaves).toEqual([{ seq: 42, paused: null }]);
    const paused = { reason: "410", at: "2026-11-25T00:00:00.000Z" };
    const known = keeper({ seq: 7, paused });
    expect(known.k.load(() => 42)).toBe(7);
    expect(known.k.paused).toEqual(paused);
    expect(known.file.syncSaves).toEqual([]);
  });

  test("saves only when the cursor or the pause moved, at most every SAVE_EVERY_MS", async () => {
    const { k, file, at } = keeper();
    k.load(() => 0);
    await k.saveIfMoved();
    k.tick(1000);
    await Bun.sleep(1);
    expect(file.saves).toEqual([]); // nothing moved
    at.cursor = 12;
    k.tick(1000 + SAVE_EVERY_MS - 1);
    await Bun.sleep(1);
    expect(file.saves).toEqual([]); // too soon after the last tick that saved
    k.tick(1000 + SAVE_EVERY_MS);
    await Bun.sleep(1);
    expect(file.saves).toEqual([{ seq: 12, paused: null }]);
    expect(k.savedSeq).toBe(12);
    k.tick(1000 + 2 * SAVE_EVERY_MS);
    await Bun.sleep(1);
    expect(file.saves).toHaveLength(1); // unchanged since
    k.paused = { reason: "admin", at: "2026-11-25T00:00:00.000Z" };
    await k.saveIfMoved();
    expect(file.saves.at(-1)).toEqual({ seq: 12, paused: k.paused });
  });

  test("a failed save is not counted as saved and is tried again", async () => {
    const { k, file, at } = keeper();
    k.load(() => 0);
    at.cursor = 15;
    file.fail = true;
    await k.saveIfMoved();
    expect(k.savedSeq).toBe(10);
    file.fail = false;
    await k.saveIfMoved();
    expect(k.savedSeq).toBe(15);
    expect(file.saves).toEqual([{ seq: 15, paused: null }]);
  });

  test("a replay repositions at once, then waits out a save begun before it, which never becomes the saved cursor", async () => {
    const { k, file, at } = keeper();
    k.load(() => 0);
    at.cursor = 50;
    let release!: () => void;
    file.hold = new Promise<void>((r) => (release = r));
    const before = k.saveIfMoved(); // writes 50, held
    let savedWhenRepositioned = -1;
    const replay = k.replay(3, () => {
      savedWhenRepositioned = k.savedSeq;
      at.cursor = 3;
    });
    // Repositioned before anything was awaited: no event of the old queues can be sent meanwhile.
    expect(savedWhenRepositioned).toBe(10);
    await Bun.sleep(1);
    expect(file.saves).toEqual([]); // both saves wait for the one under way
    await k.saveIfMoved(); // a periodic save meanwhile skips its turn rather than overlap
    release();
    await Promise.all([before, replay]);
    expect(k.savedSeq).toBe(3); // the old save finished but did not count
    expect(file.saves.map((s) => s.seq)).toEqual([50, 3]); // the replay's save comes last
    await k.saveIfMoved();
    expect(file.saves).toHaveLength(2); // and it is what counts as saved: nothing moved since
  });

  test("resolved dead letters leave the file at the next save, even when the cursor did not move", async () => {
    const { k, file, dl } = keeper();
    k.load(() => 0);
    k.resolvedDeadLetter("1@a");
    k.resolvedDeadLetter("2@b");
    expect([...k.pendingRemovals].sort()).toEqual(["1@a", "2@b"]);
    await k.saveIfMoved();
    expect(dl.removed).toEqual([["1@a", "2@b"]]);
    expect(file.saves).toEqual([]); // the cursor itself was not rewritten
    expect(k.pendingRemovals.size).toBe(0);
  });

  test("stop saves the cursor synchronously and removes the resolved dead letters", async () => {
    const { k, file, dl, at } = keeper();
    k.load(() => 0);
    at.cursor = 20;
    k.resolvedDeadLetter("3@c");
    await k.stop();
    expect(file.syncSaves).toEqual([{ seq: 20, paused: null }]);
    expect(file.saves).toEqual([]);
    expect(dl.removed).toEqual([["3@c"]]);
    expect(k.savedSeq).toBe(20);
    expect(k.pendingRemovals.size).toBe(0);
  });
});
