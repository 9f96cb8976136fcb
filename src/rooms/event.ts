// A journal line as the projection sees it: one of the six room commands, with account ids as exact
// strings. The line holds the callback body as Tencent sent it (src/journal/line-codec.ts), so a
// numeric Member_Account beyond 2^53 is still all its digits there; JSON.parse would round it, so
// such lines are parsed with a reviver that keeps the source text of every unsafe integer.

export interface SeatEntry {
  index: number;
  userId: string | null;
  isTakenDisabled: boolean;
  isVideoDisabled: boolean;
  isAudioDisabled: boolean;
}

interface Base {
  sdkAppId: number;
  roomId: string;
  /** Tencent's EventTime in ms (the journal's receivedAt when a body lacks it). */
  t: number;
}

export type RoomEvent =
  | (Base & { kind: "create"; info: Record<string, unknown> })
  | (Base & { kind: "update"; info: Record<string, unknown> })
  | (Base & { kind: "destroy" })
  | (Base & { kind: "enter"; users: string[]; memberCount: number | null })
  | (Base & { kind: "leave"; users: string[]; memberCount: number | null; leaveType: string; reason: string | null })
  | (Base & { kind: "seats"; seats: SeatEntry[] });

type Obj = Record<string, unknown>;

/** Long digit runs: only lines with one can hold an integer beyond 2^53 (16+ digits). */
const LONG_DIGITS = /\d{16}/;

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const keepUnsafeIntegers: Reviver = (_k, v, ctx) =>
  typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source) ? ctx.source : v;

/** JSON.parse that keeps integers beyond 2^53 as their digits (a string). */
export function parseExact(text: string): unknown {
  return LONG_DIGITS.test(text) ? JSON.parse(text, keepUnsafeIntegers as never) : JSON.parse(text);
}

/** An account id as Tencent meant it: always a string ("" when absent or not an id). */
export function account(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return "";
}

function bool(v: unknown): boolean {
  return v === true || v === "true";
}

function accounts(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) {
    const a = account(x);
    if (a !== "") out.push(a);
  }
  return out;
}

/** RoomInfo with Tencent's field names; booleans sent as strings become booleans, accounts strings. */
export function normalizeInfo(v: unknown): Obj {
  const out: Obj = {};
  if (!v || typeof v !== "object") return out;
  for (const [k, x] of Object.entries(v as Obj)) {
    if (k.endsWith("_Account")) out[k] = account(x);
    else if (k.startsWith("Is") && (x === "true" || x === "false")) out[k] = x === "true";
    else out[k] = x;
  }
  return out;
}

function seatEntries(v: unknown): SeatEntry[] {
  if (!Array.isArray(v)) return [];
  const out: SeatEntry[] = [];
  for (const s of v as Obj[]) {
    if (!s || typeof s !== "object" || !Number.isSafeInteger(s.Index)) continue;
    const user = account(s.Member_Account);
    out.push({
      index: s.Index as number,
      userId: user === "" ? null : user,
      isTakenDisabled: bool(s.IsTakenDisabled),
      isVideoDisabled: bool(s.IsVideoDisabled),
      isAudioDisabled: bool(s.IsAudioDisabled),
    });
  }
  return out;
}

const count = (v: unknown) => (Number.isSafeInteger(v) ? (v as number) : null);

function fromBody(type: string, base: Base, d: Obj): RoomEvent | null {
  switch (type) {
    case "Room.CallbackAfterCreateRoom":
      return { ...base, kind: "create", info: normalizeInfo(d.RoomInfo) };
    case "Room.CallbackAfterUpdateRoomInfo":
    case "Room.CallbackUpdateRoomInfo":
      return { ...base, kind: "update", info: normalizeInfo(d.RoomInfo) };
    case "Room.CallbackAfterDestroyRoom":
      return { ...base, kind: "destroy" };
    case "Room.CallbackAfterMemberEnter":
      return { ...base, kind: "enter", users: accounts(d.MemberList_Account), memberCount: count(d.MemberCount) };
    case "Room.CallbackAfterMemberLeave":
      return {
        ...base,
        kind: "leave",
        users: accounts(d.MemberList_Account),
        memberCount: count(d.MemberCount),
        leaveType: typeof d.Type === "string" && d.Type !== "" ? d.Type : "Leave",
        reason: typeof d.Reason === "string" ? d.Reason : null,
      };
    case "Mic.CallbackAfterSeatInfoChanged":
      return { ...base, kind: "seats", seats: seatEntries(d.SeatList) };
    default:
      return null;
  }
}

const ROOM_TYPE = /"type":"(?:Room\.Callback|Mic\.CallbackAfterSeatInfoChanged")/;

/**
 * The room event a journal line holds, or null for any other line (other commands, lines that do
 * not parse, bodies without a room id). Lines of other types are passed over without parsing.
 */
export function decodeLine(line: string): RoomEvent | null {
  if (!ROOM_TYPE.test(line.slice(0, 200))) return null;
  let v: Obj;
  try {
    v = parseExact(line) as Obj;
  } catch {
    return null;
  }
  const d = v.data as Obj | undefined;
  if (!d || typeof d !== "object" || typeof v.type !== "string") return null;
  const info = d.RoomInfo as Obj | undefined;
  const roomId = account(d.RoomId ?? (info && typeof info === "object" ? info.RoomId : undefined));
  if (roomId === "" || typeof v.sdkAppId !== "number") return null;
  const t = Number.isSafeInteger(d.EventTime)
    ? (d.EventTime as number)
    : typeof v.receivedAt === "string"
      ? Date.parse(v.receivedAt) || 0
      : 0;
  return fromBody(v.type, { sdkAppId: v.sdkAppId, roomId, t }, d);
}
