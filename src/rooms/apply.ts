// The reducer: apply(state, event, seq) folds one journal event into the rooms. Deterministic and
// free of I/O and clocks, so the live projection, a rebuild, the offline CLI and the property test
// all compute the same state from the same journal. It updates `state` in place (a copy per event
// would cost a rebuild its speed).
//
// The rules (SPEC §8): presence and each seat follow the event with the latest (EventTime, seq); a
// destroy empties members and seats and closes open sessions ("RoomDestroyed"), and events older
// than it are ignored for presence and seats; RoomInfo fields follow the latest event that set them;
// a member or seat event makes an unknown room known. Members, seats and status therefore do not
// depend on the order events arrive in; attendance sessions follow presence changes in arrival order.
import type { RoomEvent, SeatEntry } from "./event.ts";
import {
  ABSENT,
  type EventKey,
  isPresent,
  later,
  newRoom,
  type Presence,
  type Room,
  type RoomsState,
  status,
} from "./model.ts";

function roomFor(state: RoomsState, e: RoomEvent): Room {
  let app = state.apps.get(e.sdkAppId);
  if (!app) {
    app = new Map();
    state.apps.set(e.sdkAppId, app);
  }
  let room = app.get(e.roomId);
  if (!room) {
    room = newRoom(e.sdkAppId, e.roomId);
    app.set(e.roomId, room);
  }
  return room;
}

/** Folds one event (the journal line `seq`) into `state`. Lines must come in seq order. */
export function apply(state: RoomsState, e: RoomEvent | null, seq: number): void {
  if (seq > state.seq) state.seq = seq;
  if (e === null) return;
  const room = roomFor(state, e);
  const key: EventKey = { t: e.t, seq };
  if (room.updatedAt === null || e.t > room.updatedAt) room.updatedAt = e.t;
  if (seq > room.lastSeq) room.lastSeq = seq;
  switch (e.kind) {
    case "create":
      create(room, key, e.info);
      return;
    case "update":
      mergeInfo(room, key, e.info);
      return;
    case "destroy":
      destroy(room, key);
      return;
    case "enter":
      countFrom(room, key, e.memberCount);
      if (later(key, room.entered)) room.entered = key;
      for (const u of e.users) enter(room, key, u);
      return;
    case "leave":
      countFrom(room, key, e.memberCount);
      for (const u of e.users) leave(room, key, u, e.leaveType, e.reason);
      return;
    case "seats":
      for (const s of e.seats) seat(room, key, s);
      return;
  }
}

/** Too old to count: the room was destroyed after this event. */
const beforeDestroy = (room: Room, key: EventKey) => room.destroyed !== null && later(room.destroyed, key);

function create(room: Room, key: EventKey, info: Record<string, unknown>): void {
  if (!later(key, room.created)) return; // an older create of this id: its info was superseded
  const wasDestroyed = status(room) === "destroyed";
  room.created = key;
  // A re-created room is a new meeting: its RoomInfo and attendance start again. Fields set after
  // this create (updates that arrived first) are kept.
  const keep: Record<string, unknown> = {};
  const keepKeys: Record<string, EventKey> = {};
  for (const [f, k] of Object.entries(room.infoKeys)) {
    if (later(k, key)) {
      keep[f] = room.info![f];
      keepKeys[f] = k;
    }
  }
  room.info = keep;
  room.infoKeys = keepKeys;
  mergeInfo(room, key, info);
  // The users present now entered after the destroy: their open sessions carry on.
  if (wasDestroyed && status(room) === "active") room.sessions = [];
}

function mergeInfo(room: Room, key: EventKey, info: Record<string, unknown>): void {
  if (room.created !== null && later(room.created, key)) return; // an update of an earlier incarnation
  room.info ??= {};
  for (const [f, v] of Object.entries(info)) {
    const k = room.infoKeys[f];
    if (k !== undefined && later(k, key)) continue;
    room.info[f] = v;
    room.infoKeys[f] = key;
  }
}

function destroy(room: Room, key: EventKey): void {
  if (!later(key, room.destroyed)) return;
  room.destroyed = key;
  for (const [u, p] of room.presence) {
    if (later(p, key)) continue; // came after the destroy (a late destroy)
    if (isPresent(p)) {
      room.members--;
      closeSession(room, u, p, key.t, "RoomDestroyed", null);
    }
    room.presence.delete(u);
  }
  for (const [i, s] of room.seats) if (!later(s, key)) room.seats.delete(i);
}

function countFrom(room: Room, key: EventKey, n: number | null): void {
  if (n !== null && later(key, room.tencentCount)) room.tencentCount = { t: key.t, seq: key.seq, n };
}

function enter(room: Room, key: EventKey, userId: string): void {
  if (beforeDestroy(room, key)) return;
  const p = room.presence.get(userId);
  if (p && !later(key, p)) return; // a newer enter or leave is known already
  if (!p) {
    room.presence.set(userId, { t: key.t, seq: key.seq, enteredAt: key.t, since: key.t });
    room.members++;
    return;
  }
  p.t = key.t;
  p.seq = key.seq;
  p.enteredAt = key.t;
  if (isPresent(p)) return; // entered again without a leave: the session goes on
  p.since = key.t;
  room.members++;
}

function leave(room: Room, key: EventKey, userId: string, leaveType: string, reason: string | null): void {
  if (beforeDestroy(room, key)) return;
  const p = room.presence.get(userId);
  if (p && !later(key, p)) return;
  if (!p) {
    // Remembered absent, so an older enter arriving later cannot make the user present.
    room.presence.set(userId, { t: key.t, seq: key.seq, enteredAt: 0, since: ABSENT });
    return;
  }
  p.t = key.t;
  p.seq = key.seq;
  if (!isPresent(p)) return;
  room.members--;
  closeSession(room, userId, p, key.t, leaveType, reason);
  p.since = ABSENT;
}

function closeSession(room: Room, userId: string, p: Presence, t: number, leaveType: string, reason: string | null) {
  room.sessions.push({ userId, enteredAt: p.since, leftAt: Math.max(t, p.since), leaveType, reason });
}

function seat(room: Room, key: EventKey, e: SeatEntry): void {
  if (beforeDestroy(room, key)) return;
  const s = room.seats.get(e.index);
  if (s && !later(key, s)) return; // an entry older than the seat's last update
  room.seats.set(e.index, { t: key.t, seq: key.seq, ...e });
}

/** Drops destroyed rooms whose destroy is older than `cutoffMs` (EventTime); how many went. */
export function dropDestroyed(state: RoomsState, cutoffMs: number): number {
  let n = 0;
  for (const [app, rooms] of state.apps) {
    for (const [id, r] of rooms) {
      if (status(r) === "destroyed" && r.destroyed!.t < cutoffMs) {
        rooms.delete(id);
        n++;
      }
    }
    if (rooms.size === 0) state.apps.delete(app);
  }
  return n;
}
