// The projection: the rooms' state, its snapshot, and the journal follower that keeps it current.
// Synchronous at its core (catchUp applies up to N committed lines), so it runs the same in the
// worker thread of `serve` (rooms-thread.ts), in the offline CLI and in the tests.
import { journalDir } from "../journal/journal.ts";
import { JournalLineReader } from "../journal/line-reader.ts";
import { apply, dropDestroyed } from "./apply.ts";
import { decodeLine } from "./event.ts";
import { emptyState, type RoomsState, status } from "./model.ts";
import type { RoomsAnswer, RoomsQuery } from "./schema.ts";
import { readSnapshot, writeSnapshot } from "./snapshot.ts";
import { answer, type Visibility } from "./views.ts";

export interface ProjectionOptions {
  dataDir: string;
  retainDestroyedHours: number;
  /** Warnings worth a log line (an unusable snapshot, a gap in the journal). */
  warn?: (fields: Record<string, unknown>, msg: string) => void;
  now?: () => number;
}

export interface ProjectionStats {
  appliedSeq: number;
  activeRooms: number;
  members: number;
  /** Active rooms whose MemberCount from Tencent differs from roomhook's own count. */
  countMismatches: number;
  /** The seq the saved snapshot reflects: a restart reads the journal from the next one. */
  snapshotSeq: number;
  /** When that snapshot was written (ms), or null when there is none. */
  snapshotSavedAt: number | null;
  /** Lines missing between the applied seq and the next line found (removed by retention). */
  gaps: number;
}

export class Projection {
  state: RoomsState = emptyState();
  retainDestroyedHours: number;
  private reader: JournalLineReader | null = null;
  private snapshotSeq = 0;
  private snapshotSavedAt: number | null = null;
  private saving: Promise<void> | null = null;
  private gaps = 0;
  private readonly now: () => number;

  constructor(private readonly opts: ProjectionOptions) {
    this.retainDestroyedHours = opts.retainDestroyedHours;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Loads the snapshot unless `rebuild`; a snapshot ahead of the journal's head (a journal that was
   * replaced) or one that cannot be read is set aside, and the state is built from the journal.
   */
  open(headSeq: number, rebuild = false): this {
    if (!rebuild) {
      try {
        const snap = readSnapshot(this.opts.dataDir);
        if (snap && snap.state.seq <= headSeq) {
          this.state = snap.state;
          this.snapshotSeq = snap.state.seq;
          this.snapshotSavedAt = snap.savedAt;
        } else if (snap) {
          this.opts.warn?.(
            { snapshotSeq: snap.state.seq, headSeq },
            "rooms: snapshot is ahead of the journal; rebuilding",
          );
        }
      } catch (e) {
        this.opts.warn?.({ err: (e as Error).message }, "rooms: cannot read the snapshot; rebuilding from the journal");
      }
    }
    this.reader = JournalLineReader.fromSeq(journalDir(this.opts.dataDir), this.state.seq + 1);
    return this;
  }

  /** Applies committed lines up to `headSeq`, at most `maxLines`; how many lines were consumed. */
  catchUp(headSeq: number, maxLines: number): number {
    const state = this.state;
    const r = this.reader!.scan(headSeq, maxLines, (text, seq) => {
      if (seq > state.seq + 1) this.gap(state.seq + 1, seq - 1);
      apply(state, decodeLine(text), seq);
      return true;
    });
    return r.consumed;
  }

  /**
   * Lines that are gone: removed by retention before the state held them (room state turned on over
   * an old journal, or segments deleted by hand). Rooms they touched may be incomplete: said once.
   */
  private gap(from: number, to: number): void {
    if (this.gaps === 0)
      this.opts.warn?.(
        { fromSeq: from, toSeq: to },
        "rooms: the journal no longer holds these events; rooms they touched may be incomplete",
      );
    this.gaps += to - from + 1;
  }

  /** Everything committed up to `headSeq` (the CLI, tests). */
  catchUpAll(headSeq = Number.MAX_SAFE_INTEGER): this {
    while (this.catchUp(headSeq, 50_000) > 0) {}
    return this;
  }

  answer(q: RoomsQuery): RoomsAnswer {
    return answer(this.state, q, this.visibility());
  }

  visibility(): Visibility {
    return { retainDestroyedHours: this.retainDestroyedHours, now: this.now() };
  }

  /** Frees destroyed rooms past retain_destroyed_hours. */
  sweep(): number {
    return dropDestroyed(this.state, this.now() - this.retainDestroyedHours * 3_600_000);
  }

  get dirty(): boolean {
    return this.state.seq !== this.snapshotSeq;
  }

  /** Writes the snapshot when the state moved since the last one; one write at a time. */
  async saveSnapshot(): Promise<void> {
    if (this.saving) await this.saving;
    if (!this.dirty) return;
    const seq = this.state.seq;
    const at = this.now();
    // Rendered synchronously: the text is the state at `seq` even if lines are applied meanwhile.
    this.saving = writeSnapshot(this.opts.dataDir, this.state, at);
    try {
      await this.saving;
      this.snapshotSeq = seq;
      this.snapshotSavedAt = at;
    } finally {
      this.saving = null;
    }
  }

  stats(): ProjectionStats {
    let activeRooms = 0;
    let members = 0;
    let countMismatches = 0;
    for (const rooms of this.state.apps.values()) {
      for (const r of rooms.values()) {
        if (status(r) !== "active") continue;
        activeRooms++;
        members += r.members;
        if (r.tencentCount !== null && r.tencentCount.n !== r.members) countMismatches++;
      }
    }
    return {
      appliedSeq: this.state.seq,
      activeRooms,
      members,
      countMismatches,
      snapshotSeq: this.snapshotSeq,
      snapshotSavedAt: this.snapshotSavedAt,
      gaps: this.gaps,
    };
  }
}
