// The room-state API (SPEC §8) as the dashboard reads it: the field names of the spec, exactly. The
// page imports only the types (nothing of TypeBox reaches the browser). When src/rooms/ lands with its
// own schemas, these should become re-exports of those.
import { Type, type Static } from "@sinclair/typebox";

const Ms = Type.Union([Type.Number(), Type.Null()], { description: "EventTime in ms; null when unknown" });

export const RoomSummary = Type.Object({
  sdkAppId: Type.Number(),
  roomId: Type.String(),
  status: Type.Union([Type.Literal("active"), Type.Literal("destroyed")]),
  roomName: Type.Union([Type.String(), Type.Null()]),
  ownerId: Type.Union([Type.String(), Type.Null()]),
  roomType: Type.Union([Type.String(), Type.Null()]),
  memberCount: Type.Integer(),
  seatedCount: Type.Integer(),
  createdAt: Ms,
  updatedAt: Ms,
  destroyedAt: Ms,
  lastSeq: Type.Integer(),
});

export const RoomList = Type.Object({
  rooms: Type.Array(RoomSummary),
  next: Type.Union([Type.String(), Type.Null()]),
  asOfSeq: Type.Integer(),
});

export const RoomDetail = Type.Composite([
  RoomSummary,
  Type.Object({
    roomInfo: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    members: Type.Array(Type.Object({ userId: Type.String(), enteredAt: Ms })),
    seats: Type.Array(
      Type.Object({
        index: Type.Integer(),
        userId: Type.Union([Type.String(), Type.Null()]),
        isTakenDisabled: Type.Boolean(),
        isVideoDisabled: Type.Boolean(),
        isAudioDisabled: Type.Boolean(),
        updatedAt: Ms,
      }),
    ),
    asOfSeq: Type.Integer(),
  }),
]);

export const Attendance = Type.Object({
  sessions: Type.Array(
    Type.Object({
      userId: Type.String(),
      enteredAt: Ms,
      leftAt: Ms,
      leaveType: Type.Union([
        Type.Literal("Leave"),
        Type.Literal("Kicked"),
        Type.Literal("Expired"),
        Type.Literal("RoomDestroyed"),
        Type.Null(),
      ]),
      reason: Type.Unknown(),
      durationMs: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
  totals: Type.Array(Type.Object({ userId: Type.String(), sessions: Type.Integer(), durationMs: Type.Number() })),
});

export type RoomSummary = Static<typeof RoomSummary>;
export type RoomList = Static<typeof RoomList>;
export type RoomDetail = Static<typeof RoomDetail>;
export type Attendance = Static<typeof Attendance>;
