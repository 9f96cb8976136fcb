// The journal line's layout (README.md "The journal"), owned here and only here:
//
//   {"seq":N,"id":"<hex>","type":"…","sdkAppId":N,"roomId":"…"|null,"eventTime":N|null,
//    "receivedAt":"ISO","clientIp":…,"optPlatform":…[,"reason":…],"data":<body as received>}\n
//
// The callback body is spliced in as received, never re-serialised, so numbers beyond 2^53 and key
// order survive exactly. The peeks below take the envelope apart without parsing the body, from a
// string or straight from the bytes of a chunk (no string per line on the scans that need speed:
// recovery's dedupe ids, the admin queries, the forward reader). They rely on one property of
// the layout: the envelope is written by JSON.stringify, which escapes every quote inside a value, so
// the first `,"data":` of a line is the real key and the body follows it.
import { parseIdBytes } from "./id-table.ts";

export interface EnvelopeFields {
  id: string;
  type: string;
  sdkAppId: number;
  roomId: string | null;
  eventTime: number | null;
  receivedAt: string;
  clientIp: string | null;
  optPlatform: string | null;
  reason?: string;
}

/** Which journal event something is about: the fields every delivery record carries. */
export interface EventRef {
  seq: number;
  id: string;
  type: string;
  roomId: string | null;
}

export interface EnvelopeInfo extends EventRef {
  receivedAt: string;
}

export const SEQ_KEY = '{"seq":';
export const ID_KEY = ',"id":"';
export const DATA_KEY = ',"data":';
/** Seqs are written with at most this many digits (they stay below 2^53). */
export const MAX_SEQ_DIGITS = 15;

/**
 * Everything of the line after `{"seq":N,` up to and including `"data":`. The seq is added when the
 * writer assigns it, so a failed batch can give its numbers back.
 */
export function envelopeHead(f: EnvelopeFields): string {
  // The layout's key order, whatever order the caller built `f` in: the peeks depend on it.
  const ordered = {
    id: f.id,
    type: f.type,
    sdkAppId: f.sdkAppId,
    roomId: f.roomId,
    eventTime: f.eventTime,
    receivedAt: f.receivedAt,
    clientIp: f.clientIp,
    optPlatform: f.optPlatform,
    reason: f.reason, // left out when undefined
  };
  return `${JSON.stringify(ordered).slice(1, -1)}${DATA_KEY}`;
}

/**
 * A JSON body may span lines; JSONL may not. Outside strings (where raw control characters are not
 * allowed) CR and LF are only whitespace, so turning them into spaces keeps every token as it was.
 */
export function singleLine(body: string): string {
  return body.includes("\n") || body.includes("\r") ? body.replace(/[\r\n]/g, " ") : body;
}

export function renderLine(seq: number, head: string, body: string): string {
  return `${SEQ_KEY}${seq},${head}${body}}\n`;
}

const SEQ_ID_RE = new RegExp(`^\\{"seq":(\\d{1,${MAX_SEQ_DIGITS}}),"id":"([^"]*)"`);

/** Reads seq and id from the start of a line without parsing the (possibly large) body. */
export function peekSeqId(line: string): { seq: number; id: string } | null {
  const m = SEQ_ID_RE.exec(line);
  return m ? { seq: Number(m[1]), id: m[2]! } : null;
}

const STR = '"(?:[^"\\\\]|\\\\.)*"';
const HEAD_RE = new RegExp(
  `^\\{"seq":(\\d{1,${MAX_SEQ_DIGITS}}),"id":"([0-9A-Za-z]+)","type":(${STR}),"sdkAppId":-?\\d+,"roomId":(${STR}|null),"eventTime":[^,]*,"receivedAt":(${STR})`,
);

/** A JSON string literal (quotes included) as its value; a literal without escapes is just sliced. */
function unquote(quoted: string): string {
  return quoted.includes("\\") ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
}

/**
 * The envelope fields delivery, tail and replay look at. Lines in the layout are read with one regex
 * over the head; anything else that is a JSON object with seq, id and type is parsed whole.
 */
export function readEnvelope(line: string): EnvelopeInfo | null {
  const m = HEAD_RE.exec(line);
  if (m)
    return {
      seq: Number(m[1]),
      id: m[2]!,
      type: unquote(m[3]!),
      roomId: m[4] === "null" ? null : unquote(m[4]!),
      receivedAt: unquote(m[5]!),
    };
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.seq !== "number" || typeof v.id !== "string" || typeof v.type !== "string") return null;
    return {
      seq: v.seq,
      id: v.id,
      type: v.type,
      roomId: typeof v.roomId === "string" ? v.roomId : null,
      receivedAt: typeof v.receivedAt === "string" ? v.receivedAt : "",
    };
  } catch {
    return null;
  }
}

/**
 * A line (with or without its newline) cut into what renderLine joined: `renderLine(seq, head, body)`
 * gives the line back. Null when it does not start like an envelope or has no body.
 */
export function splitLine(line: string): { seq: number; head: string; body: string } | null {
  const text = line.endsWith("\n") ? line.slice(0, -1) : line;
  const p = peekSeqId(text);
  if (!p || !text.endsWith("}")) return null;
  const at = text.indexOf(DATA_KEY);
  if (at < 0) return null;
  const headStart = SEQ_KEY.length + String(p.seq).length + 1;
  if (text[headStart - 1] !== ",") return null; // a seq with leading zeros: not as rendered
  const bodyStart = at + DATA_KEY.length;
  return { seq: p.seq, head: text.slice(headStart, bodyStart), body: text.slice(bodyStart, -1) };
}

/**
 * The seq of a line that is a whole, valid JSON object with an integer seq: what start-up recovery
 * keeps and verify accepts. Parses the line (body included); `problem` says why it does not qualify.
 */
export function parseLineSeq(line: string): { seq: number } | { problem: "not valid JSON" | "no integer seq" } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { problem: "not valid JSON" };
  }
  const seq = v && typeof v === "object" ? (v as { seq?: unknown }).seq : undefined;
  return typeof seq === "number" && Number.isInteger(seq) ? { seq } : { problem: "no integer seq" };
}

// ---- Byte-level peeks: a line is `b[start, end)` of a chunk, `end` at its newline (or the chunk's end).

const enc = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));
const SEQ_KEY_B = enc(SEQ_KEY);
const ID_KEY_B = enc(ID_KEY);
const TYPE_KEY_B = enc('","type":');
const APP_KEY_B = enc(',"sdkAppId":');
const ROOM_KEY_B = enc(',"roomId":');
const TIME_KEY_B = enc(',"eventTime":');
const RECEIVED_KEY_B = enc(',"receivedAt":');
const DATA_KEY_B = Buffer.from(DATA_KEY);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** Bytes a line needs for seqIdAt: its seq (at most MAX_SEQ_DIGITS), a 32-digit id and the quote. */
export const SEQ_ID_HEAD_BYTES = SEQ_KEY.length + MAX_SEQ_DIGITS + ID_KEY.length + 32 + 1;

// Byte loops, not Buffer.compare: a native call per line costs more than the comparison itself.
function keyAt(b: Uint8Array, p: number, end: number, key: Uint8Array): number {
  if (p + key.length > end) return -1;
  for (let k = 0; k < key.length; k++) if (b[p + k] !== key[k]) return -1;
  return p + key.length;
}

/** Index after the digits at `p` (at least 1, at most `max`), or -1. */
function digitsAt(b: Uint8Array, p: number, end: number, max: number): number {
  let q = p;
  while (q < end && b[q]! >= 0x30 && b[q]! <= 0x39) q++;
  return q > p && q - p <= max ? q : -1;
}

function digitsValue(b: Uint8Array, p: number, q: number): number {
  let v = 0;
  for (let i = p; i < q; i++) v = v * 10 + (b[i]! - 0x30);
  return v;
}

/** Index after the JSON string literal opening at `p`, or -1. UTF-8 continuation bytes are >= 0x80,
 *  so only real quotes and backslashes stop the loop. */
function stringEnd(b: Uint8Array, p: number, end: number): number {
  if (p >= end || b[p] !== QUOTE) return -1;
  for (let q = p + 1; q < end; q++) {
    const c = b[q]!;
    if (c === BACKSLASH) q++;
    else if (c === QUOTE) return q + 1;
  }
  return -1;
}

/** The seq of a line, -1 when it does not start like an envelope. Agrees with peekSeqId. */
export function seqAt(b: Uint8Array, start: number, end: number): number {
  const d = keyAt(b, start, end, SEQ_KEY_B);
  if (d < 0) return -1;
  const q = digitsAt(b, d, end, MAX_SEQ_DIGITS);
  const id = q < 0 ? -1 : keyAt(b, q, end, ID_KEY_B);
  if (id < 0) return -1;
  for (let i = id; i < end; i++) if (b[i] === QUOTE) return digitsValue(b, d, q);
  return -1;
}

/**
 * Reads the line starting at `p` (bounded by the end of `b`) the way start-up recovery needs it: its
 * 32-hex-digit id into `out[off..off+4)`, returning its seq; -1 when the line has another shape.
 */
export function seqIdAt(b: Uint8Array, p: number, out: Uint32Array, off: number): number {
  const d = keyAt(b, p, b.length, SEQ_KEY_B);
  const q = d < 0 ? -1 : digitsAt(b, d, b.length, MAX_SEQ_DIGITS);
  const id = q < 0 ? -1 : keyAt(b, q, b.length, ID_KEY_B);
  if (id < 0 || id + 33 > b.length || b[id + 32] !== QUOTE) return -1;
  return parseIdBytes(b, id, out, off) ? digitsValue(b, d, q) : -1;
}

/** Where an envelope's fields sit in a chunk; string spans include their quotes. Reused across lines. */
export interface EnvelopeSpans {
  seq: number;
  typeStart: number;
  typeEnd: number;
  /** -1 when roomId is null. */
  roomStart: number;
  roomEnd: number;
  receivedAtStart: number;
  receivedAtEnd: number;
}

export function newEnvelopeSpans(): EnvelopeSpans {
  return { seq: -1, typeStart: -1, typeEnd: -1, roomStart: -1, roomEnd: -1, receivedAtStart: -1, receivedAtEnd: -1 };
}

/**
 * Finds the fields of a line in the layout (what readEnvelope's fast path accepts) without decoding
 * anything. False for any other shape; `s` is then left in an unspecified state.
 */
export function envelopeAt(b: Uint8Array, start: number, end: number, s: EnvelopeSpans): boolean {
  const d = keyAt(b, start, end, SEQ_KEY_B);
  const q = d < 0 ? -1 : digitsAt(b, d, end, MAX_SEQ_DIGITS);
  let p = q < 0 ? -1 : keyAt(b, q, end, ID_KEY_B);
  if (p < 0) return false;
  s.seq = digitsValue(b, d, q);
  const idStart = p;
  while (p < end && isAlnum(b[p]!)) p++;
  if (p === idStart) return false;
  s.typeStart = keyAt(b, p, end, TYPE_KEY_B);
  s.typeEnd = s.typeStart < 0 ? -1 : stringEnd(b, s.typeStart, end);
  p = s.typeEnd < 0 ? -1 : keyAt(b, s.typeEnd, end, APP_KEY_B);
  if (p < 0) return false;
  if (b[p] === 0x2d) p++; // a minus
  p = digitsAt(b, p, end, Infinity);
  p = p < 0 ? -1 : keyAt(b, p, end, ROOM_KEY_B);
  if (p < 0) return false;
  if (p + 4 <= end && b[p] === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
    s.roomStart = s.roomEnd = -1;
    p += 4;
  } else {
    s.roomStart = p;
    s.roomEnd = p = stringEnd(b, p, end);
  }
  p = p < 0 ? -1 : keyAt(b, p, end, TIME_KEY_B);
  if (p < 0) return false;
  while (p < end && b[p] !== COMMA) p++;
  s.receivedAtStart = keyAt(b, p, end, RECEIVED_KEY_B);
  s.receivedAtEnd = s.receivedAtStart < 0 ? -1 : stringEnd(b, s.receivedAtStart, end);
  return s.receivedAtEnd >= 0;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** The value of the JSON string literal b[s, e) (quotes included). */
export function stringAt(b: Buffer, s: number, e: number): string {
  for (let i = s + 1; i < e - 1; i++) if (b[i] === BACKSLASH) return JSON.parse(b.toString("utf8", s, e)) as string;
  return b.toString("utf8", s + 1, e - 1);
}

/**
 * Whether the string literal b[s, e) holds `value`, given `literal` = Buffer.from(JSON.stringify(value)).
 * The writer encodes with JSON.stringify too, so equal bytes are the rule; a literal with escapes that
 * differs in bytes is decoded and compared, so other spellings of the same string still match.
 */
export function stringIs(b: Buffer, s: number, e: number, literal: Uint8Array, value: string): boolean {
  if (e - s === literal.length) {
    let k = 0;
    while (k < literal.length && b[s + k] === literal[k]) k++;
    if (k === literal.length) return true;
  }
  const bs = b.indexOf(BACKSLASH, s);
  return bs >= 0 && bs < e && stringAt(b, s, e) === value;
}

/** Where the body starts (just past the first `,"data":`) in b[from, end), or -1. */
export function bodyStartAt(b: Buffer, from: number, end: number): number {
  const at = b.indexOf(DATA_KEY_B, from);
  return at < 0 || at + DATA_KEY_B.length > end ? -1 : at + DATA_KEY_B.length;
}

/**
 * The head of a line not in the layout (other key order), parsed as a JSON object: everything before
 * the first `,"data":`. Null when there is no such key or the head does not parse.
 */
export function headObjectAt(b: Buffer, start: number, end: number): Record<string, unknown> | null {
  const body = bodyStartAt(b, start, end);
  if (body < 0) return null;
  try {
    const v = JSON.parse(`${b.toString("utf8", start, body - DATA_KEY_B.length)}}`) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
