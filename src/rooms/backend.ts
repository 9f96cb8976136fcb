// What the service, the admin API and /metrics need of the room state, wherever the projection runs:
// in a worker thread (serve) or in this thread (the in-process tests).
import type { ProjectionStats } from "./projection.ts";
import type { RoomsAnswer, RoomsQuery } from "./schema.ts";

export interface RoomsBackend {
  /** The journal committed up to `headSeq`: the follower may read on. Cheap: called on every commit. */
  nudge(headSeq: number): void;
  query(q: RoomsQuery): Promise<RoomsAnswer>;
  /** The latest figures (a moment old at most in the threaded backend). */
  stats(): ProjectionStats & { headSeq: number };
  /** SIGHUP: the destroyed-room retention may change. */
  setRetainDestroyedHours(h: number): void;
  /** Saves the snapshot and stops following. */
  stop(): Promise<void>;
}
