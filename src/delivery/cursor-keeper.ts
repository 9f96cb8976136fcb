// A target's persisted state as the worker keeps it: the cursor last saved next to the cursor now,
// the pause (kept across restarts), and the dead letters whose redelivery succeeded, which leave
// their file in the same save. The README promises the cursor is "saved every 250 ms while it moves
// and at shutdown" ("At least once, in order per room"): tick() is the first, stop() the second.
import type { Logger } from "pino";
import { loadCursor, saveCursor, saveCursorSync, type CursorState } from "./cursor-store.ts";
import { SAVE_EVERY_MS } from "./worker-limits.ts";

/** Where the state is saved: the target's cursor file (tests substitute one that records). */
export interface CursorFile {
  load(): CursorState | null;
  save(s: CursorState): Promise<void>;
  saveSync(s: CursorState): void;
}

export function cursorFile(dataDir: string, name: string): CursorFile {
  return {
    load: () => loadCursor(dataDir, name),
    save: (s) => saveCursor(dataDir, name, s),
    saveSync: (s) => saveCursorSync(dataDir, name, s),
  };
}

/** The part of the dead-letter log a save needs. */
export interface DeadLetterRemover {
  remove(keys: ReadonlySet<string>): Promise<unknown>;
}

export class CursorKeeper {
  /** Set by pause (the admin API, or a 410), cleared by resume; saved with the cursor. */
  paused: CursorState["paused"] = null;
  private saved: CursorState = { seq: 0, paused: null };
  /** Bumped by a replay, so that a save begun before it does not count as saved. */
  private gen = 0;
  private lastSaveAt = 0;
  private saving: Promise<void> | null = null;
  private resolved = new Set<string>();

  constructor(
    private readonly target: string,
    private readonly file: CursorFile,
    private readonly deadLetters: DeadLetterRemover,
    /** The worker's cursor now: what a save writes. */
    private readonly current: () => number,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads the saved state, or creates it at the journal's head (README: a new target "starts at the
   * journal's current end"). Returns the cursor to start from.
   */
  load(headSeq: () => number): number {
    const c = this.file.load();
    if (c) this.saved = c;
    else {
      this.saved = { seq: headSeq(), paused: null };
      this.file.saveSync(this.saved);
    }
    this.paused = this.saved.paused;
    return this.saved.seq;
  }

  /** The cursor in the file (a restart resumes from it). */
  get savedSeq(): number {
    return this.saved.seq;
  }

  /** A redelivered dead letter went through (or failed again into a new entry): drop it at the next save. */
  resolvedDeadLetter(key: string): void {
    this.resolved.add(key);
  }

  /** Dead letters delivered but still in the file, until the next save removes them. */
  get pendingRemovals(): ReadonlySet<string> {
    return this.resolved;
  }

  /** Called by the worker's poll: saves at most every SAVE_EVERY_MS, and only what moved. */
  tick(now: number): void {
    if (now - this.lastSaveAt >= SAVE_EVERY_MS) {
      this.lastSaveAt = now;
      void this.saveIfMoved();
    }
  }

  /** Saves the cursor and pause if either moved, and removes the resolved dead letters; one at a time. */
  async saveIfMoved(): Promise<void> {
    if (this.saving) return;
    const next: CursorState = { seq: this.current(), paused: this.paused };
    if (next.seq === this.saved.seq && next.paused === this.saved.paused && this.resolved.size === 0) return;
    const gen = this.gen;
    await this.serialized(async () => {
      try {
        if (next.seq !== this.saved.seq || next.paused !== this.saved.paused) {
          await this.file.save(next);
          if (gen === this.gen) this.saved = next;
        }
        if (this.resolved.size) {
          const keys = this.resolved;
          this.resolved = new Set();
          await this.deadLetters.remove(keys);
        }
      } catch (e) {
        this.logger.error({ target: this.target, err: (e as Error).message }, "fan-out: cannot save the cursor");
      }
    });
  }

  /**
   * Runs `save` once no other save is under way; while it runs, `saving` is set, so the periodic
   * save skips its turn. Two writers of the same cursor file never overlap.
   */
  private async serialized(save: () => Promise<void>): Promise<void> {
    while (this.saving) await this.saving;
    const run: Promise<void> = save().finally(() => {
      if (this.saving === run) this.saving = null;
    });
    this.saving = run;
    await run;
  }

  /**
   * A replay moves the cursor to `cursor`. `reposition` resets the worker at once, before anything
   * is awaited, so no event of the old queues can be sent under the new generation; a save under
   * way then finishes (and does not count), and the new cursor is saved before this returns.
   */
  async replay(cursor: number, reposition: () => void): Promise<void> {
    this.gen++;
    reposition();
    await this.serialized(async () => {
      this.saved = { seq: cursor, paused: this.paused };
      await this.file.save(this.saved);
    });
  }

  /** The last save, synchronous (the process may exit right after), with the dead-letter removals. */
  async stop(): Promise<void> {
    while (this.saving) await this.saving;
    try {
      this.saved = { seq: this.current(), paused: this.paused };
      this.file.saveSync(this.saved);
      if (this.resolved.size) await this.deadLetters.remove(this.resolved);
      this.resolved.clear();
    } catch (e) {
      this.logger.error({ target: this.target, err: (e as Error).message }, "fan-out: cannot save the cursor at stop");
    }
  }
}
