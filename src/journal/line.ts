// The journal line (SPEC §5). The callback body is spliced in as received, never re-serialised, so
// numbers beyond 2^53 and key order survive exactly.

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

/**
 * Deterministic: the same callback (app, command, body bytes) always gets the same id, 128 bits of
 * SHA-256 over `${sdkAppId}\n${type.length}:${type}\n` + body, as 32 hex digits. Length-prefixed, so
 * no command text can make two inputs hash alike.
 */
export function eventId(sdkAppId: number, type: string, body: Uint8Array): EventId {
  const digest = new Bun.CryptoHasher("sha256").update(idPrefix(sdkAppId, type)).update(body).digest();
  return idFromDigest(digest);
}

function idPrefix(sdkAppId: number, type: string): string {
  return `${sdkAppId}\n${type.length}:${type}\n`;
}

function idFromDigest(digest: Buffer): EventId {
  // The dedupe window keys on the same 128 bits as words; taking them here spares a hex round trip.
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = digest.readUInt32BE(i * 4);
  return { hex: digest.toString("hex", 0, 16), words };
}

/**
 * eventId for the hot path: prefix and body are copied into one scratch buffer and hashed in a single
 * call, a third of the cost of a streaming hasher (measured). Bodies too big for the scratch take the
 * streaming path; both give the same id.
 */
export class EventIdHasher {
  private readonly scratch = Buffer.allocUnsafe(16 * 1024);
  // Bun's hash output must be at least 64 bytes; SHA-256 fills the first 32.
  private readonly digest = Buffer.allocUnsafe(64);

  id(sdkAppId: number, type: string, body: Uint8Array): EventId {
    const prefix = idPrefix(sdkAppId, type);
    // A UTF-16 unit takes at most 3 UTF-8 bytes, so this bound guarantees nothing is cut off.
    if (prefix.length * 3 + body.length > this.scratch.length) return eventId(sdkAppId, type, body);
    const n = this.scratch.write(prefix, 0, "utf8");
    this.scratch.set(body, n);
    Bun.SHA256.hash(this.scratch.subarray(0, n + body.length), this.digest);
    return idFromDigest(this.digest);
  }
}

export interface EventId {
  hex: string;
  words: Uint32Array;
}

/**
 * Everything of the line after `{"seq":N,` up to and including `"data":`. The seq is added when the
 * writer assigns it, so a failed batch can give its numbers back.
 */
export function envelopeHead(f: EnvelopeFields): string {
  const json = JSON.stringify(f);
  return `${json.slice(1, -1)},"data":`;
}

/**
 * A JSON body may span lines; JSONL may not. Outside strings (where raw control characters are not
 * allowed) CR and LF are only whitespace, so turning them into spaces keeps every token as it was.
 */
export function singleLine(body: string): string {
  return body.includes("\n") || body.includes("\r") ? body.replace(/[\r\n]/g, " ") : body;
}

export function renderLine(seq: number, head: string, body: string): string {
  return `{"seq":${seq},${head}${body}}\n`;
}

const ID_PREFIX_RE = /^\{"seq":(\d+),"id":"([^"]*)"/;

/** Reads seq and id from the start of a line without parsing the (possibly large) body. */
export function peekSeqId(line: string): { seq: number; id: string } | null {
  const m = ID_PREFIX_RE.exec(line);
  return m ? { seq: Number(m[1]), id: m[2]! } : null;
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

const STR = '"(?:[^"\\\\]|\\\\.)*"';
const HEAD_RE = new RegExp(`^\\{"seq":(\\d+),"id":"([0-9A-Za-z]+)","type":(${STR}),"sdkAppId":-?\\d+,"roomId":(${STR}|null),"eventTime":[^,]*,"receivedAt":"([^"]*)"`);

function str(quoted: string): string {
  return quoted.includes("\\") ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
}

export function readEnvelope(line: string): EnvelopeInfo | null {
  const m = HEAD_RE.exec(line);
  if (m) return { seq: Number(m[1]), id: m[2]!, type: str(m[3]!), roomId: m[4] === "null" ? null : str(m[4]!), receivedAt: m[5]! };
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
