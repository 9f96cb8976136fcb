// The room-state API's answers (SPEC §8), as TypeBox schemas: the one source of their types, and
// what the tests check answers against. Times are Tencent's EventTime in ms; null when unknown.
import { type Static, Type } from "@sinclair/typebox";

const Time = Type.Union([Type.Integer(), Type.Null()]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const RoomStatusSchema = Type.Union([Type.Literal("active"), Type.Literal("destroyed")]);

export const RoomSummarySchema = Type.Object({
  sdkAppId: Type.Integer(),
  roomId: Type.String(),
  status: RoomStatusSchema,
  roomName: Nullable(Type.String()),
  ownerId: Nullable(Type.String()),
  roomType: Nullable(Type.String()),
  /** Members present by our own count (enter/leave/destroy). */
  memberCount: Type.Integer(),
  seatedCount: Type.Integer(),
  /** MemberCount as Tencent last sent it (null when never sent); a difference is worth a look. */
  tencentMemberCount: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Time,
  updatedAt: Time,
  destroyedAt: Time,
  lastSeq: Type.Integer(),
});

export const MemberSchema = Type.Object({ userId: Type.String(), enteredAt: Type.Integer() });

export const SeatSchema = Type.Object({
  index: Type.Integer(),
  userId: Nullable(Type.String()),
  isTakenDisabled: Type.Boolean(),
  isVideoDisabled: Type.Boolean(),
  isAudioDisabled: Type.Boolean(),
  updatedAt: Type.Integer(),
});

export const RoomDetailSchema = Type.Composite([
  RoomSummarySchema,
  Type.Object({
    roomInfo: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    members: Type.Array(MemberSchema),
    seats: Type.Array(SeatSchema),
    asOfSeq: Type.Integer(),
  }),
]);

export const RoomListSchema = Type.Object({
  rooms: Type.Array(RoomSummarySchema),
  next: Nullable(Type.String()),
  asOfSeq: Type.Integer(),
});

export const SessionSchema = Type.Object({
  userId: Type.String(),
  enteredAt: Type.Integer(),
  leftAt: Time,
  leaveType: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  /** leftAt - enteredAt; for an open session, up to the time of the answer. */
  durationMs: Type.Integer(),
});

export const AttendanceSchema = Type.Object({
  sdkAppId: Type.Integer(),
  roomId: Type.String(),
  sessions: Type.Array(SessionSchema),
  totals: Type.Array(Type.Object({ userId: Type.String(), sessions: Type.Integer(), durationMs: Type.Integer() })),
  asOfSeq: Type.Integer(),
});

export const UserRoomsSchema = Type.Object({
  userId: Type.String(),
  rooms: Type.Array(RoomSummarySchema),
  asOfSeq: Type.Integer(),
});

export type RoomSummary = Static<typeof RoomSummarySchema>;
export type RoomDetail = Static<typeof RoomDetailSchema>;
export type RoomList = Static<typeof RoomListSchema>;
export type SessionView = Static<typeof SessionSchema>;
export type Attendance = Static<typeof AttendanceSchema>;
export type UserRooms = Static<typeof UserRoomsSchema>;

/** A query the API or the CLI asks of the projection (wherever it runs: this thread or a worker). */
export const RoomsQuerySchema = Type.Union([
  Type.Object({
    op: Type.Literal("list"),
    sdkAppId: Type.Union([Type.Integer(), Type.Null()]),
    status: Type.Union([RoomStatusSchema, Type.Literal("all")]),
    limit: Type.Integer(),
    after: Nullable(Type.String()),
  }),
  Type.Object({ op: Type.Literal("room"), sdkAppId: Type.Integer(), roomId: Type.String() }),
  Type.Object({
    op: Type.Literal("attendance"),
    sdkAppId: Type.Integer(),
    roomId: Type.String(),
    csv: Type.Boolean(),
  }),
  Type.Object({ op: Type.Literal("user"), sdkAppId: Type.Integer(), userId: Type.String() }),
]);
export type RoomsQuery = Static<typeof RoomsQuerySchema>;

/** An answer, already rendered (JSON or CSV text), so it crosses a thread without a copy of objects. */
export interface RoomsAnswer {
  status: number;
  contentType: string;
  body: string;
}
