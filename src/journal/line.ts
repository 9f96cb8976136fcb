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
 * SHA-256 as 32 hex digits. Length-prefixed, so no command text can make two inputs hash alike.
 */
export function eventId(sdkAppId: number, type: string, body: Uint8Array): EventId {
  const digest = new Bun.CryptoHasher("sha256").update(`${sdkAppId}\n${type.length}:${type}\n`).update(body).digest();
  // The dedupe window keys on the same 128 bits as words; taking them here spares a hex round trip.
  const words = new Uint32Array([digest.readUInt32BE(0), digest.readUInt32BE(4), digest.readUInt32BE(8), digest.readUInt32BE(12)]);
  return { hex: digest.toString("hex", 0, 16), words };
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
