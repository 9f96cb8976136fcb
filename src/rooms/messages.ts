// The messages between the service thread and the rooms thread (rooms-thread.ts).
import type { RoomsAnswer, RoomsQuery } from "./schema.ts";

export type ToRooms =
  | { t: "init"; dataDir: string; retainDestroyedHours: number; snapshotEveryMs: number; buffer: SharedArrayBuffer }
  | { t: "nudge" }
  | { t: "query"; id: number; q: RoomsQuery }
  | { t: "retain"; hours: number }
  | { t: "stop" };

export type FromRooms =
  | { t: "answer"; id: number; a: RoomsAnswer }
  | { t: "log"; level: "info" | "warn" | "error"; fields: Record<string, unknown>; msg: string }
  | { t: "stopped" };
