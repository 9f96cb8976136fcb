// The projection in the calling thread: for the in-process tests, where a follower that applies on
// every nudge makes the state exact as soon as the callback was answered.
import type { RoomsBackend } from "./backend.ts";
import { Projection, type ProjectionOptions } from "./projection.ts";
import type { RoomsAnswer, RoomsQuery } from "./schema.ts";

export class LocalRooms implements RoomsBackend {
  readonly projection: Projection;
  private head: number;

  constructor(opts: ProjectionOptions & { headSeq: number }) {
    this.head = opts.headSeq;
    this.projection = new Projection(opts).open(opts.headSeq);
    this.projection.catchUpAll(this.head);
  }

  nudge(headSeq: number): void {
    this.head = Math.max(this.head, headSeq);
  }

  query(q: RoomsQuery): Promise<RoomsAnswer> {
    this.projection.catchUpAll(this.head);
    return Promise.resolve(this.projection.answer(q));
  }

  stats() {
    this.projection.catchUpAll(this.head);
    return { ...this.projection.stats(), headSeq: this.head };
  }

  setRetainDestroyedHours(h: number): void {
    this.projection.retainDestroyedHours = h;
  }

  async stop(): Promise<void> {
    this.projection.catchUpAll(this.head);
    await this.projection.saveSnapshot();
  }
}
