// The projection's in-memory state: every room of every app, as the journal's events left it.
// Order comes from (EventTime, seq) keys, so a late event is recognised as older than what a room
// already shows (SPEC §8): presence, seats and the room's lifecycle each keep the key of the event
// that set them.

/** When an event happened: Tencent's EventTime (ms), ties broken by journal seq. */
export interface EventKey {
  t: number;
  seq: number;
}

/** a after b? Keys never tie: seqs are unique. */
export function later(a: EventKey, b: EventKey | null): boolean {
  return b === null || a.t > b.t || (a.t === b.t && a.seq > b.seq);
}

/** A user's presence in one room: the latest enter or leave (by key), or a destroy's clearing. */
/** Four numbers and no more: there is one per member, and a fifth field costs 40 bytes each. */
export interface Presence extends EventKey {
  /** EventTime of the latest enter. */
  enteredAt: number;
  /**
   * While present: when the open attendance session began (the enter after the last absence);
   * ABSENT when the latest event was a leave.
   */
  since: number;
}

export const ABSENT = -1;

export const isPresent = (p: Presence | undefined): boolean => p !== undefined && p.since !== ABSENT;

export interface SeatState extends EventKey {
  index: number;
  userId: string | null;
  isTakenDisabled: boolean;
  isVideoDisabled: boolean;
  isAudioDisabled: boolean;
}

export interface Session {
  userId: string;
  enteredAt: number;
  leftAt: number;
  /** Tencent's leave Type ("Leave", "Kicked", "Expired") or "RoomDestroyed". */
  leaveType: string;
  reason: string | null;
}

export interface Room {
  sdkAppId: number;
  roomId: string;
  /** The latest create, destroy and member enter: the room's status follows them (status()). */
  created: EventKey | null;
  destroyed: EventKey | null;
  entered: EventKey | null;
  /** The last known RoomInfo (create merged with later updates); null until a create or update. */
  info: Record<string, unknown> | null;
  /** Per RoomInfo field, the key of the event that set it: a late update cannot undo a newer one. */
  infoKeys: Record<string, EventKey>;
  presence: Map<string, Presence>;
  /** How many presence entries say present. */
  members: number;
  seats: Map<number, SeatState>;
  /**
   * Closed attendance sessions, in the order they closed; the open ones are the present users'
   * (Presence.since), so a member costs no session object until it leaves. Restarts when a
   * destroyed room is created again.
   */
  sessions: Session[];
  /** Tencent's MemberCount from the latest enter/leave that carried one. */
  tencentCount: (EventKey & { n: number }) | null;
  /** The latest EventTime of any event applied to the room. */
  updatedAt: number | null;
  lastSeq: number;
}

export type RoomStatus = "active" | "destroyed";

export function status(r: Room): RoomStatus {
  const d = r.destroyed;
  if (d === null) return "active";
  return later(d, r.created) && later(d, r.entered) ? "destroyed" : "active";
}

export interface RoomsState {
  /** sdkAppId -> roomId -> room. */
  apps: Map<number, Map<string, Room>>;
  /** The seq of the last journal line applied (every line up to it was seen). */
  seq: number;
}

export function emptyState(): RoomsState {
  return { apps: new Map(), seq: 0 };
}

export function newRoom(sdkAppId: number, roomId: string): Room {
  return {
    sdkAppId,
    roomId,
    created: null,
    destroyed: null,
    entered: null,
    info: null,
    infoKeys: {},
    presence: new Map(),
    members: 0,
    seats: new Map(),
    sessions: [],
    tencentCount: null,
    updatedAt: null,
    lastSeq: 0,
  };
}

export function getRoom(state: RoomsState, sdkAppId: number, roomId: string): Room | undefined {
  return state.apps.get(sdkAppId)?.get(roomId);
}
