// Room events for the reducer's tests: Tencent's bodies wrapped in journal lines, decoded the way the
// projection decodes them, so every test also exercises decodeLine.
import { envelopeHead, renderLine } from "../../src/journal/line-codec.ts";
import { apply } from "../../src/rooms/apply.ts";
import { decodeLine } from "../../src/rooms/event.ts";
import { emptyState, type RoomsState } from "../../src/rooms/model.ts";

export const APP = 1400000000;

export type Body = Record<string, unknown>;

/** A journal line holding `body` (raw text, so numbers beyond 2^53 can be written as digits). */
export function line(seq: number, body: Body | string, sdkAppId = APP): string {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const obj = JSON.parse(text) as Body;
  const info = obj.RoomInfo as Body | undefined;
  const head = envelopeHead({
    id: `id${seq}`,
    type: String(obj.CallbackCommand),
    sdkAppId,
    roomId: String(obj.RoomId ?? info?.RoomId ?? ""),
    eventTime: typeof obj.EventTime === "number" ? obj.EventTime : null,
    receivedAt: "2026-11-30T00:00:00.000Z",
    clientIp: "127.0.0.1",
    optPlatform: "Web",
  });
  return renderLine(seq, head, text).slice(0, -1);
}

export const create = (roomId: string, t: number, info: Body = {}) => ({
  CallbackCommand: "Room.CallbackAfterCreateRoom",
  Operator_Account: "admin",
  RoomInfo: { RoomId: roomId, RoomName: `name-${roomId}`, RoomType: "Meeting", Owner_Account: "owner", ...info },
  EventTime: t,
});
export const update = (roomId: string, t: number, info: Body) => ({
  CallbackCommand: "Room.CallbackAfterUpdateRoomInfo",
  Operator_Account: "admin",
  RoomInfo: { RoomId: roomId, ...info },
  EventTime: t,
});
export const destroy = (roomId: string, t: number) => ({
  CallbackCommand: "Room.CallbackAfterDestroyRoom",
  Operator_Account: "admin",
  RoomId: roomId,
  EventTime: t,
});
export const enter = (roomId: string, t: number, users: unknown[], memberCount?: number) => ({
  CallbackCommand: "Room.CallbackAfterMemberEnter",
  Operator_Account: users[0],
  RoomId: roomId,
  ...(memberCount !== undefined ? { MemberCount: memberCount } : {}),
  Type: "Enter",
  MemberList_Account: users,
  EventTime: t,
});
export const leave = (roomId: string, t: number, users: unknown[], type = "Leave", reason = "bye") => ({
  CallbackCommand: "Room.CallbackAfterMemberLeave",
  Operator_Account: users[0],
  RoomId: roomId,
  Type: type,
  MemberList_Account: users,
  Reason: reason,
  EventTime: t,
});
export const seats = (roomId: string, t: number, list: Body[]) => ({
  CallbackCommand: "Mic.CallbackAfterSeatInfoChanged",
  Operator_Account: "admin",
  RoomId: roomId,
  SeatList: list,
  EventTime: t,
});

/** The state after applying `bodies` as journal lines 1..n, in that order. */
export function fold(bodies: (Body | string | { app: number; body: Body })[], state: RoomsState = emptyState()) {
  let seq = state.seq;
  for (const b of bodies) {
    seq++;
    const l = typeof b === "object" && "app" in b ? line(seq, b.body as Body, b.app as number) : line(seq, b as Body);
    apply(state, decodeLine(l), seq);
  }
  return state;
}
