// A journal line as the projection sees it: one of the six room commands, with account ids as exact
// strings. The line holds the callback body as Tencent sent it (src/journal/line-codec.ts), so a
// numeric Member_Account beyond 2^53 is still all its digits there; JSON.parse would round it, so
// such lines are parsed with a reviver that keeps the source text of every unsafe integer.
import { DATA_KEY } from "../journal/line-codec.ts";

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
  // The common case, all strings and none empty, needs no copy.
  if (v.every((x) => typeof x === "string" && x !== "")) return v as string[];
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

/** Tencent's documented leave Types; anything else (or none) counts as a plain "Leave" (SPEC §8). */
const leaveType = (v: unknown): string => (v === "Kicked" || v === "Expired" ? v : "Leave");

const count = (v: unknown) => (Number.isSafeInteger(v) ? (v as number) : null);

function fromBody(type: string, sdkAppId: number, roomId: string, t: number, d: Obj): RoomEvent | null {
  switch (type) {
    case "Room.CallbackAfterCreateRoom":
      return { kind: "create", sdkAppId, roomId, t, info: normalizeInfo(d.RoomInfo) };
    case "Room.CallbackAfterUpdateRoomInfo":
    case "Room.CallbackUpdateRoomInfo":
      return { kind: "update", sdkAppId, roomId, t, info: normalizeInfo(d.RoomInfo) };
    case "Room.CallbackAfterDestroyRoom":
      return { kind: "destroy", sdkAppId, roomId, t };
    case "Room.CallbackAfterMemberEnter":
      return {
        kind: "enter",
        sdkAppId,
        roomId,
        t,
        users: accounts(d.MemberList_Account),
        memberCount: count(d.MemberCount),
      };
    case "Room.CallbackAfterMemberLeave":
      return {
        kind: "leave",
        sdkAppId,
        roomId,
        t,
        users: accounts(d.MemberList_Account),
        memberCount: count(d.MemberCount),
        leaveType: leaveType(d.Type),
        reason: typeof d.Reason === "string" ? d.Reason : null,
      };
    case "Mic.CallbackAfterSeatInfoChanged":
      return { kind: "seats", sdkAppId, roomId, t, seats: seatEntries(d.SeatList) };
    default:
      return null;
  }
}

/**
 * The envelope's type and app, read from the line's head (src/journal/line-codec.ts owns the layout:
 * `{"seq":N,"id":"…","type":"…","sdkAppId":N,…,"receivedAt":"…",…,"data":<body>}`); only the
 * room commands match.
 */
const HEAD =
  /^\{"seq":\d+,"id":"[^"]*","type":"((?:Room\.Callback|Mic\.CallbackAfterSeatInfoChanged)[A-Za-z]*)","sdkAppId":(\d+),/;
const RECEIVED_AT = /"receivedAt":"([^"]*)"/;

/**
 * The room event a journal line holds, or null for any other line (other commands, lines that do
 * not parse, bodies without a room id). Only the body is parsed, and only for the room commands.
 */
export function decodeLine(line: string): RoomEvent | null {
  const m = HEAD.exec(line);
  if (!m) return null;
  const at = line.indexOf(DATA_KEY, m[0].length);
  if (at < 0 || line.charCodeAt(line.length - 1) !== 0x7d) return null;
  let d: Obj;
  try {
    d = parseExact(line.slice(at + DATA_KEY.length, -1)) as Obj;
  } catch {
    return null;
  }
  if (!d || typeof d !== "object") return null;
  const info = d.RoomInfo as Obj | undefined;
  const roomId = account(d.RoomId ?? (info && typeof info === "object" ? info.RoomId : undefined));
  if (roomId === "") return null;
  const t = Number.isSafeInteger(d.EventTime) ? (d.EventTime as number) : receivedAt(line);
  return fromBody(m[1]!, Number(m[2]), roomId, t, d);
}

/** A body without a usable EventTime: when roomhook received it. */
function receivedAt(line: string): number {
  const r = RECEIVED_AT.exec(line);
  return (r && Date.parse(r[1]!)) || 0;
}
