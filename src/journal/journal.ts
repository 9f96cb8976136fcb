// The event journal: a segment writer plus the dedupe window that survives restarts (its ids are
// read back from the journal's tail at start-up).
import { join } from "node:path";
import { DedupeWindow } from "./dedupe.ts";
import { recentIds } from "./recover.ts";
import { SegmentWriter, type WriterOptions } from "./writer.ts";
import type { EventId } from "./line.ts";

export type IngestResult = { seq: number; duplicate: false } | { seq: number; duplicate: true };

export class Journal {
  readonly writer: SegmentWriter;
  readonly dedupe: DedupeWindow;

  constructor(opts: WriterOptions & { dedupeWindow: number }) {
    this.writer = new SegmentWriter(opts).open();
    this.dedupe = new DedupeWindow(opts.dedupeWindow);
    const recent = recentIds(opts.dir, opts.dedupeWindow);
    this.dedupe.seed(recent.words, recent.count);
  }

  async ingest(id: EventId, head: string, body: string): Promise<IngestResult> {
    const seen = this.dedupe.lookup(id);
    if (seen === true) return { seq: 0, duplicate: true };
    if (seen !== undefined) return { seq: await seen, duplicate: true };
    const write = this.writer.append(head, body);
    this.dedupe.track(id, write);
    return { seq: await write, duplicate: false };
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

export function journalDir(dataDir: string): string {
  return join(dataDir, "journal");
}
export function quarantineDir(dataDir: string): string {
  return join(dataDir, "quarantine");
}
