// The few numbers the service thread and the rooms thread share without messages: the journal's
// committed head (written by the service on every commit, read by the follower), the projection's
// progress (written by the rooms thread, read by /metrics and retention), and the flag by which an
// idle follower asks to be told of the next commit. One SharedArrayBuffer
// (src/threads/shared-numbers.ts).
import { SharedNumbers } from "../threads/shared-numbers.ts";

const SLOTS = [
  "head",
  "applied",
  "activeRooms",
  "members",
  "countMismatches",
  "snapshotSeq",
  "snapshotSavedAt",
  "gaps",
] as const;
export type Slot = (typeof SLOTS)[number];

export class SharedState extends SharedNumbers<Slot> {
  constructor(buffer?: SharedArrayBuffer) {
    super(SLOTS, buffer);
  }
}
