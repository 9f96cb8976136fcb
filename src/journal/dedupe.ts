// The dedupe window: the ids of the most recent events, oldest evicted first (a Map keeps insertion
// order). An id whose write is still in flight maps to that write, so a duplicate is answered only
// once the original is durable, and fails with it if it fails.
export class DedupeWindow {
  private readonly ids = new Map<string, Promise<number> | number>();

  constructor(readonly size: number) {}

  get count(): number {
    return this.ids.size;
  }

  seed(ids: Iterable<string>): void {
    if (this.size <= 0) return;
    for (const id of ids) this.remember(id, 0);
  }

  /** The original's seq (awaiting its write when needed), or undefined for a new id. */
  lookup(id: string): Promise<number> | number | undefined {
    return this.size > 0 ? this.ids.get(id) : undefined;
  }

  track(id: string, write: Promise<number>): void {
    if (this.size <= 0) return;
    this.remember(id, write);
    write.then(
      (seq) => {
        if (this.ids.get(id) === write) this.ids.set(id, seq);
      },
      () => {
        if (this.ids.get(id) === write) this.ids.delete(id);
      },
    );
  }

  private remember(id: string, v: Promise<number> | number): void {
    this.ids.set(id, v);
    if (this.ids.size > this.size) this.ids.delete(this.ids.keys().next().value!);
  }
}
