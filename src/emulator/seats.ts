// Seat changes: a member takes or leaves a seat (client side), the admin picks a user onto a seat,
// kicks one off, or locks a seat (which first removes whoever sits there: reference §4.5). Each
// change is one Mic.CallbackAfterSeatInfoChanged carrying the changed seat only (as its example).
import { type Actor, fail, type Outcome, type Room, type Seat } from "./model.ts";
import type { LockSeatRequest } from "./requests.ts";
import type { RoomStore } from "./store.ts";

function seatOf(room: Room, index: number): Seat | string {
  if (!room.info.IsSeatEnabled) return `room ${room.info.RoomId} has no seats (IsSeatEnabled is false)`;
  return room.seats[index] ?? `seat ${index} does not exist (MaxSeatCount ${room.info.MaxSeatCount})`;
}

/** `index` undefined: the first free, unlocked seat. */
export function takeSeat(
  store: RoomStore,
  roomId: string,
  index: number | undefined,
  user: string,
  actor: Actor,
): Outcome {
  const room = store.room(roomId);
  if ("code" in room) return room;
  if (!room.members.has(user)) return fail(100005, `${user} is not a member of room ${roomId}`);
  const current = room.seats.find((s) => s.userId === user);
  if (current) return fail(100002, `${user} is already on seat ${current.index}`);
  const free = room.seats.find((s) => s.userId === null && !s.isTakenDisabled);
  const seat = index === undefined ? (free ?? `room ${roomId} has no free seat`) : seatOf(room, index);
  if (typeof seat === "string") return fail(100002, seat);
  if (seat.isTakenDisabled) return fail(100002, `seat ${seat.index} is locked`);
  if (seat.userId !== null) return fail(100002, `seat ${seat.index} is taken by ${seat.userId}`);
  seat.userId = user;
  return { events: [store.seatEvent(room, [seat], actor)] };
}

export function leaveSeat(store: RoomStore, roomId: string, user: string, actor: Actor): Outcome {
  const room = store.room(roomId);
  if ("code" in room) return room;
  const seat = room.seats.find((s) => s.userId === user);
  if (!seat) return fail(100002, `${user} is not on a seat in room ${roomId}`);
  seat.userId = null;
  return { events: [store.seatEvent(room, [seat], actor)] };
}

export function lockSeat(store: RoomStore, req: LockSeatRequest, actor: Actor): Outcome {
  const room = store.room(req.RoomId);
  if ("code" in room) return room;
  const seat = seatOf(room, req.Index);
  if (typeof seat === "string") return fail(100002, seat);
  if (req.ForbidTaken !== undefined) seat.isTakenDisabled = req.ForbidTaken;
  if (req.ForbidVideo !== undefined) seat.isVideoDisabled = req.ForbidVideo;
  if (req.ForbidAudio !== undefined) seat.isAudioDisabled = req.ForbidAudio;
  if (seat.isTakenDisabled) seat.userId = null;
  return { events: [store.seatEvent(room, [seat], actor)] };
}
