// What the API and the CLI show of the state: summaries, details, attendance, a user's rooms, and
// the answer to a RoomsQuery. Destroyed rooms past their retention are hidden here as well as
// dropped by the sweep, so what is shown does not depend on when the sweep last ran.
import { attendanceCsv } from "./csv.ts";
import { getRoom, isPresent, type Room, type RoomsState, status } from "./model.ts";
import type {
  Attendance,
  RoomDetail,
  RoomList,
  RoomsAnswer,
  RoomsQuery,
  RoomSummary,
  SessionView,
  UserRooms,
} from "./schema.ts";

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export function summary(r: Room): RoomSummary {
  const st = status(r);
  let seated = 0;
  for (const s of r.seats.values()) if (s.userId !== null) seated++;
  return {
    sdkAppId: r.sdkAppId,
    roomId: r.roomId,
    status: st,
    roomName: str(r.info?.RoomName),
    ownerId: str(r.info?.Owner_Account),
    roomType: str(r.info?.RoomType),
    memberCount: r.members,
    seatedCount: seated,
    tencentMemberCount: r.tencentCount?.n ?? null,
    createdAt: r.created?.t ?? null,
    updatedAt: r.updatedAt,
    destroyedAt: st === "destroyed" ? r.destroyed!.t : null,
    lastSeq: r.lastSeq,
  };
}

export function detail(r: Room, asOfSeq: number): RoomDetail {
  const members = [...r.presence]
    .filter(([, p]) => isPresent(p))
    .map(([userId, p]) => ({ userId, enteredAt: p.enteredAt }))
    .sort((a, b) => a.enteredAt - b.enteredAt || cmp(a.userId, b.userId));
  const seats = [...r.seats.values()]
    .sort((a, b) => a.index - b.index)
    .map((s) => ({
      index: s.index,
      userId: s.userId,
      isTakenDisabled: s.isTakenDisabled,
      isVideoDisabled: s.isVideoDisabled,
      isAudioDisabled: s.isAudioDisabled,
      updatedAt: s.t,
    }));
  return { ...summary(r), roomInfo: r.info, members, seats, asOfSeq };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function attendance(r: Room, asOfSeq: number, now: number): Attendance {
  const sessions: SessionView[] = r.sessions.map((s) => ({ ...s, durationMs: s.leftAt - s.enteredAt }));
  for (const [userId, p] of r.presence) {
    if (!isPresent(p)) continue;
    const durationMs = Math.max(0, now - p.since);
    sessions.push({ userId, enteredAt: p.since, leftAt: null, leaveType: null, reason: null, durationMs });
  }
  // In the order they began; a user's closed session before the open one that began at the same time.
  sessions.sort(
    (a, b) => a.enteredAt - b.enteredAt || cmp(a.userId, b.userId) || (a.leftAt ?? Infinity) - (b.leftAt ?? Infinity),
  );
  const totals = new Map<string, { userId: string; sessions: number; durationMs: number }>();
  for (const s of sessions) {
    const t = totals.get(s.userId) ?? { userId: s.userId, sessions: 0, durationMs: 0 };
    t.sessions++;
    t.durationMs += s.durationMs;
    totals.set(s.userId, t);
  }
  return {
    sdkAppId: r.sdkAppId,
    roomId: r.roomId,
    sessions,
    totals: [...totals.values()].sort((a, b) => cmp(a.userId, b.userId)),
    asOfSeq,
  };
}

/** Hides destroyed rooms whose destroy is older than the retention (the sweep drops them too). */
export interface Visibility {
  retainDestroyedHours: number;
  now: number;
}

export function visible(r: Room, v: Visibility): boolean {
  return status(r) !== "destroyed" || r.destroyed!.t >= v.now - v.retainDestroyedHours * 3_600_000;
}

function rooms(state: RoomsState, sdkAppId: number | null): Room[] {
  if (sdkAppId !== null) return [...(state.apps.get(sdkAppId)?.values() ?? [])];
  return [...state.apps.values()].flatMap((m) => [...m.values()]);
}

export function list(state: RoomsState, q: Extract<RoomsQuery, { op: "list" }>, v: Visibility): RoomList {
  const picked = rooms(state, q.sdkAppId)
    .filter((r) => visible(r, v) && (q.status === "all" || status(r) === q.status))
    .filter((r) => q.after === null || r.roomId > q.after)
    .sort((a, b) => cmp(a.roomId, b.roomId) || a.sdkAppId - b.sdkAppId);
  const page = picked.slice(0, q.limit);
  const next = picked.length > q.limit ? page.at(-1)!.roomId : null;
  return { rooms: page.map(summary), next, asOfSeq: state.seq };
}

export function userRooms(state: RoomsState, sdkAppId: number, userId: string, v: Visibility): UserRooms {
  const found = rooms(state, sdkAppId)
    .filter((r) => visible(r, v) && isPresent(r.presence.get(userId)) && status(r) === "active")
    .sort((a, b) => cmp(a.roomId, b.roomId));
  return { userId, rooms: found.map(summary), asOfSeq: state.seq };
}

const JSON_TYPE = "application/json";
const json = (status: number, v: unknown): RoomsAnswer => ({ status, contentType: JSON_TYPE, body: JSON.stringify(v) });

/** The answer to one query, rendered. */
export function answer(state: RoomsState, q: RoomsQuery, v: Visibility): RoomsAnswer {
  if (q.op === "list") return json(200, list(state, q, v));
  if (q.op === "user") return json(200, userRooms(state, q.sdkAppId, q.userId, v));
  const r = getRoom(state, q.sdkAppId, q.roomId);
  if (!r || !visible(r, v)) return json(404, { error: `no room "${q.roomId}" in app ${q.sdkAppId}` });
  if (q.op === "room") return json(200, detail(r, state.seq));
  const a = attendance(r, state.seq, v.now);
  if (!q.csv) return json(200, a);
  return { status: 200, contentType: "text/csv; charset=utf-8", body: attendanceCsv(a) };
}
