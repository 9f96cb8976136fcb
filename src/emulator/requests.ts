// The request bodies the emulator accepts, with Tencent's documented fields and limits
// (reference §3, §4.3-§4.5). Extra fields are ignored, as a lenient server would.
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Str = Type.String();
const Int = Type.Integer();
const Bool = Type.Boolean();
const Opt = Type.Optional;
// Tencent: RoomId ≤ 48 bytes of printable ASCII (client error -2105).
const RoomId = Type.String({ minLength: 1, maxLength: 48, pattern: "^[\\x20-\\x7e]+$" });
const Account = Type.String({ minLength: 1 });
const Accounts = Type.Array(Account, { minItems: 1, maxItems: 20 });

const RoomFlags = {
  MaxMemberCount: Opt(Type.Integer({ minimum: 1 })),
  IsVideoDisabled: Opt(Bool),
  IsAudioDisabled: Opt(Bool),
  IsMessageDisabled: Opt(Bool),
  IsScreenSharingDisabled: Opt(Bool),
  IsCloudRecordingDisabled: Opt(Bool),
  CustomInfo: Opt(Type.String({ maxLength: 500 })),
  TakeSeatMode: Opt(Type.Union([Type.Literal("FreeToTake"), Type.Literal("ApplyToTake")])),
};

export const CallbackConfigRequest = Type.Object({
  Url: Type.String({ pattern: "^https?://" }),
  CallbackCommandList: Type.Array(Str),
});

export const CreateRoomRequest = Type.Object({
  RoomInfo: Type.Object({
    RoomId,
    RoomName: Opt(Type.String({ maxLength: 100 })),
    RoomType: Type.Literal("Conference"),
    Owner_Account: Opt(Account),
    ScheduleStartTime: Opt(Int),
    ScheduleEndTime: Opt(Int),
    IsSeatEnabled: Opt(Bool),
    MaxSeatCount: Opt(Type.Integer({ minimum: 0, maximum: 50 })),
    ...RoomFlags,
  }),
  ScheduleInviteeList_Account: Opt(Type.Array(Account)),
});

export const UpdateRoomRequest = Type.Object({
  RoomInfo: Type.Object({ RoomId, RoomName: Opt(Type.String({ maxLength: 100 })), ...RoomFlags }),
});

export const RoomRequest = Type.Object({ RoomId });

export const MemberListRequest = Type.Object({
  RoomId,
  Count: Opt(Type.Integer({ minimum: 1, maximum: 100 })),
  Next: Opt(Str),
});

export const KickOutRequest = Type.Object({
  RoomId,
  MemberList_Account: Accounts,
  Reason: Type.String({ maxLength: 1000 }),
});

export const PickOnSeatRequest = Type.Object({ RoomId, Index: Type.Integer({ minimum: 0 }), Member_Account: Account });

export const KickOffSeatRequest = Type.Object({ RoomId, Member_Account: Account, Data: Str });

export const LockSeatRequest = Type.Object({
  RoomId,
  Index: Type.Integer({ minimum: 0 }),
  ForbidTaken: Opt(Bool),
  ForbidVideo: Opt(Bool),
  ForbidAudio: Opt(Bool),
});

/** The emulator's own member endpoints: /emulator/enter and /emulator/leave. */
export const PresenceRequest = Type.Object({
  RoomId,
  Members: Type.Array(Account, { minItems: 1 }),
  Type: Opt(Str),
  Reason: Opt(Str),
  OptPlatform: Opt(Str),
  ClientIP: Opt(Str),
});

/** The emulator's client-side seat endpoints: /emulator/take-seat and /emulator/leave-seat. */
export const ClientSeatRequest = Type.Object({
  RoomId,
  Member_Account: Account,
  Index: Opt(Type.Integer({ minimum: 0 })),
});

export type CreateRoomRequest = Static<typeof CreateRoomRequest>;
export type UpdateRoomRequest = Static<typeof UpdateRoomRequest>;
export type LockSeatRequest = Static<typeof LockSeatRequest>;

/** The body as `T`, or the first problem in words (Tencent's 100002 names the parameter). */
export function parseRequest<T extends TSchema>(schema: T, body: unknown): { ok: Static<T> } | { problem: string } {
  if (Value.Check(schema, body)) return { ok: body };
  const e = Value.Errors(schema, body).First();
  return { problem: e ? `${e.path || "body"}: ${e.message}` : "invalid body" };
}
