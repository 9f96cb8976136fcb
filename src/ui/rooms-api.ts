// The room-state API (SPEC §8) as the dashboard reads it: the types of src/rooms/schema.ts, the one
// source of them. The page imports only types from here (nothing of TypeBox reaches the browser).
export type { Attendance, RoomDetail, RoomList, RoomSummary, SessionView } from "../rooms/schema.ts";
