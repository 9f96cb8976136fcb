// The envelope fields the fan-out needs (seq, id, type, roomId, receivedAt), read from the start of
// a journal line without parsing its body, which may be large. The writer always renders these keys
// first and in this order (journal/line.ts); anything else falls back to JSON.parse.

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
