// The dedupe window: remembers at least the `size` most recent event ids (up to twice that: two
// generations of typed-array sets, the older dropped whole when the newer fills up). An id whose
// write is still in flight maps to that write, so a duplicate is answered only once the original is
// durable, and fails with it if it fails.
import { IdTable } from "./id-table.ts";
import type { EventId } from "./line.ts";

export class DedupeWindow {
  private current: IdTable;
  private previous: IdTable | null = null;
  private readonly inFlight = new Map<string, Promise<number>>();

  constructor(readonly size: number) {
    this.current = new IdTable(Math.max(size, 1));
  }

  get count(): number {
    return this.current.size + (this.previous?.size ?? 0) + this.inFlight.size;
  }

  /** Adds `count` ids stored as 4 words each in `words`, oldest first. */
  seed(words: Uint32Array, count: number): void {
    if (this.size <= 0) return;
    for (let i = 0; i < count; i++) this.insert(words, i * 4);
  }

  /** A promise of the original's seq while it is being written, true when seen, undefined when new. */
  lookup(id: EventId): Promise<number> | true | undefined {
    if (this.size <= 0) return undefined;
    const pending = this.inFlight.get(id.hex);
    if (pending) return pending;
    if (this.current.has(id.words) || this.previous?.has(id.words)) return true;
    return undefined;
  }

  /** The id's write has started: duplicates that arrive meanwhile wait for it. */
  begin(id: EventId, write: Promise<number>): void {
    this.inFlight.set(id.hex, write);
  }

  /** The id's write ended: remembered if it is durable, forgotten if it failed. */
  settled(id: EventId, durable: boolean): void {
    this.inFlight.delete(id.hex);
    if (durable) this.insert(id.words, 0);
  }

  /** Bumped whenever an id is added: tells the snapshotter whether there is anything new to save. */
  version = 0;

  /**
   * Copies the remembered ids, the older generation first, into `into` from word `off` on (4 words
   * each); returns how many, at most 2 * size (two generations). The caller provides that room, so a
   * snapshot can reuse one buffer instead of allocating megabytes every few seconds.
   */
  exportIdsInto(into: Uint32Array, off: number): number {
    const count = this.previous ? this.previous.copyTo(into, off) : 0;
    return count + this.current.copyTo(into, off + count * 4);
  }

  private insert(words: Uint32Array, off: number): void {
    this.version++;
    if (this.current.size >= this.size) {
      this.previous = this.current;
      this.current = new IdTable(this.size);
    }
    this.current.add(words, off);
  }
}
