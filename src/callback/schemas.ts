// Per-command body schemas, as Tencent documents them (README "The callback endpoint" lists the
// commands). Extra fields are allowed. The drift in Tencent's own examples is tolerated: booleans
// as "true"/"false", account ids as numbers. Identity fields (the command, the room, the time) are
// required; descriptive fields are checked for type when present, so an event that omits one is
// still journaled, not quarantined.
import { Type, type TSchema } from "@sinclair/typebox";

/** A documented Bool, also accepted as the strings Tencent's examples send. */
const Bool = Type.Union([Type.Boolean(), Type.Literal("true"), Type.Literal("false")]);
/** A documented String account id, also accepted as a number (seen in the seat example). */
const Account = Type.Union([Type.String(), Type.Integer()]);
const Accounts = Type.Array(Account);
const Int = Type.Integer();
const Str = Type.String();
const Opt = Type.Optional;

const common = (command: TSchema) => ({
  CallbackCommand: command,
  Operator_Account: Opt(Account),
  EventTime: Int,
});

const RoomInfoCreate = Type.Object({
  RoomId: Str,
  RoomName: Opt(Str),
  RoomType: Opt(Str), // "Meeting" in the callback example, "Conference" in REST: any string
  Owner_Account: Opt(Account),
  MaxMemberCount: Opt(Int),
  MaxSeatCount: Opt(Int),
  IsVideoDisabled: Opt(Bool),
  IsAudioDisabled: Opt(Bool),
  IsMessageDisabled: Opt(Bool),
  IsScreenSharingDisabled: Opt(Bool),
  IsCloudRecordingDisabled: Opt(Bool),
  CustomInfo: Opt(Str),
  ScheduleStartTime: Opt(Int),
  ScheduleEndTime: Opt(Int),
  RoomStatus: Opt(Str),
  IsSeatEnabled: Opt(Bool),
  TakeSeatMode: Opt(Str),
  CreateTime: Opt(Int),
});

const RoomInfoUpdate = Type.Object({
  RoomId: Str,
  RoomName: Opt(Str),
  Owner_Account: Opt(Account),
  TakeSeatMode: Opt(Str),
  MaxMemberCount: Opt(Int),
  IsVideoDisabled: Opt(Bool),
  IsAudioDisabled: Opt(Bool),
  IsMessageDisabled: Opt(Bool),
  IsScreenSharingDisabled: Opt(Bool),
  IsCloudRecordingDisabled: Opt(Bool),
  CustomInfo: Opt(Str),
});

const Seat = Type.Object({
  Index: Int,
  Member_Account: Opt(Account), // absent or "" when the seat is free
  IsTakenDisabled: Opt(Bool),
  IsVideoDisabled: Opt(Bool),
  IsAudioDisabled: Opt(Bool),
});

export const COMMANDS = {
  "Room.CallbackAfterCreateRoom": (c: TSchema) =>
    Type.Object({ ...common(c), RoomInfo: RoomInfoCreate, ScheduleInviteeList_Account: Opt(Accounts) }),
  "Room.CallbackAfterDestroyRoom": (c: TSchema) => Type.Object({ ...common(c), RoomId: Str }),
  "Room.CallbackAfterUpdateRoomInfo": (c: TSchema) => Type.Object({ ...common(c), RoomInfo: RoomInfoUpdate }),
  "Room.CallbackAfterMemberEnter": (c: TSchema) =>
    Type.Object({ ...common(c), RoomId: Str, MemberCount: Opt(Int), Type: Opt(Str), MemberList_Account: Accounts }),
  "Room.CallbackAfterMemberLeave": (c: TSchema) =>
    Type.Object({
      ...common(c),
      RoomId: Str,
      MemberCount: Opt(Int),
      Type: Opt(Str),
      MemberList_Account: Accounts,
      Reason: Opt(Str),
    }),
  "Mic.CallbackAfterSeatInfoChanged": (c: TSchema) =>
    Type.Object({ ...common(c), RoomId: Str, SeatList: Type.Array(Seat) }),
} as const;

export type KnownCommand = keyof typeof COMMANDS;

/** Other spellings Tencent uses for a command (the 60730 sample drops "After"). */
export const ALIASES: Record<string, KnownCommand> = {
  "Room.CallbackUpdateRoomInfo": "Room.CallbackAfterUpdateRoomInfo",
};

/** The command's canonical name, or the name itself when it is not one we know. */
export function canonicalCommand(name: string): string {
  return Object.hasOwn(ALIASES, name) ? ALIASES[name]! : name;
}

export function isKnownCommand(name: string): name is KnownCommand {
  return Object.hasOwn(COMMANDS, name);
}

/** The body schema of a known (canonical) command; the body may use the canonical name or an alias. */
export function bodySchema(command: KnownCommand): TSchema {
  const names = [command, ...Object.keys(ALIASES).filter((a) => ALIASES[a] === command)];
  return COMMANDS[command](names.length === 1 ? Type.Literal(command) : Type.Union(names.map((n) => Type.Literal(n))));
}
