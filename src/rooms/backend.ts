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

/**
 * The lowest seq journal retention must keep for the projection: the seq its saved snapshot
 * reflects (a restart reads on from there), not the one applied in memory. Infinity without rooms.
 */
export function retentionFloor(rooms: RoomsBackend | null): number {
  return rooms ? rooms.stats().snapshotSeq : Infinity;
}
