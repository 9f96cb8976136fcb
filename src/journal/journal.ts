// The event journal: a segment writer plus the dedupe window that survives restarts (its ids are
// read back from the journal's tail at start-up).
import { join } from "node:path";
import { DedupeWindow } from "./dedupe.ts";
import { recentIds } from "./recover.ts";
import { readSnapshot, SNAPSHOT_HEADER_WORDS, snapshotPath, writeSnapshot } from "./dedupe-snapshot.ts";
import { SegmentWriter, type WriterOptions } from "./writer.ts";
import type { EventId } from "./line.ts";

export type IngestResult = { seq: number; duplicate: false } | { seq: number; duplicate: true };

/** A duplicate whose original is durable already (its seq is not looked up). */
const DUPLICATE_ON_DISK: IngestResult = { seq: 0, duplicate: true };
const asDuplicate = (seq: number): IngestResult => ({ seq, duplicate: true });
const asAppended = (seq: number): IngestResult => ({ seq, duplicate: false });

/** How often the dedupe snapshot is refreshed while ids change. */
const SNAPSHOT_EVERY_MS = 5_000;

export class Journal {
  readonly writer: SegmentWriter;
  readonly dedupe: DedupeWindow;
  private readonly snapshotFile: string;
  private snapshotVersion = -1;
  /** Reused by every snapshot: header and up to two generations of ids (3.2 MB for 100,000). */
  private snapshotFrame: Uint32Array | null = null;
  private readonly timer: ReturnType<typeof setInterval> | null = null;

  constructor(opts: WriterOptions & { dedupeWindow: number }) {
    this.writer = new SegmentWriter(opts).open();
    this.dedupe = new DedupeWindow(opts.dedupeWindow);
    this.snapshotFile = snapshotPath(opts.dir);
    if (opts.dedupeWindow <= 0) return;
    // The snapshot holds the ids up to its seq; only the lines after it are read from the journal.
    const snap = readSnapshot(this.snapshotFile);
    const usable = snap !== null && snap.seq <= this.writer.headSeq;
    if (usable) this.dedupe.seed(snap.words, snap.count);
    const recent = recentIds(opts.dir, opts.dedupeWindow, usable ? snap.seq : 0);
    this.dedupe.seed(recent.words, recent.count);
    this.timer = setInterval(() => this.saveSnapshot(), SNAPSHOT_EVERY_MS);
    this.timer.unref?.();
  }

  /** Saves the dedupe ids when they changed; failures only cost the next start-up some time. */
  saveSnapshot(): void {
    if (this.dedupe.size <= 0 || this.dedupe.version === this.snapshotVersion) return;
    const version = this.dedupe.version;
    // Sized once for the most the window holds: two full generations of 4-word ids.
    this.snapshotFrame ??= new Uint32Array(SNAPSHOT_HEADER_WORDS + this.dedupe.size * 8);
    const count = this.dedupe.exportIdsInto(this.snapshotFrame, SNAPSHOT_HEADER_WORDS);
    try {
      writeSnapshot(this.snapshotFile, this.writer.headSeq, this.snapshotFrame, count);
      this.snapshotVersion = version;
    } catch {
      // disk trouble shows in the journal's own health; nothing to add here
    }
  }

  /**
   * Appends unless the id was seen. Not async: a duplicate already on disk is answered without a
   * promise, and a new record costs one derived promise rather than an async frame.
   */
  ingest(id: EventId, head: string, body: string): IngestResult | Promise<IngestResult> {
    const seen = this.dedupe.lookup(id);
    if (seen === true) return DUPLICATE_ON_DISK;
    if (seen !== undefined) return seen.then(asDuplicate);
    const write = this.writer.append(head, body);
    if (this.dedupe.size <= 0) return write.then(asAppended);
    this.dedupe.begin(id, write);
    // One reaction does the dedupe bookkeeping and the answer: a promise fewer per callback.
    return write.then(
      (seq) => {
        this.dedupe.settled(id, true);
        return { seq, duplicate: false };
      },
      (e: unknown) => {
        this.dedupe.settled(id, false);
        throw e;
      },
    );
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.writer.close();
    this.saveSnapshot();
  }
}

export function journalDir(dataDir: string): string {
  return join(dataDir, "journal");
}
export function quarantineDir(dataDir: string): string {
  return join(dataDir, "quarantine");
}
