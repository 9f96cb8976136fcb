// GET /v1/events and GET /v1/quarantine: journal lines as NDJSON, streamed from disk (the lines as
// stored, so bodies keep every digit), with X-Next-Seq to continue from and X-Head-Seq to tell
// whether the client has caught up.
import { queryJournal, type EventQuery } from "../journal/query.ts";
import { matchAny } from "../journal/glob.ts";
import { jsonResponse } from "../http/json.ts";

export const MAX_LIMIT = 10_000;
const DEFAULT_LIMIT = 100;
const PARAMS = ["from_seq", "limit", "type", "room_id"] as const;

export interface EventSource {
  dir: string;
  /** The last durable seq of this journal. */
  headSeq: () => number;
}

type Parsed = Omit<EventQuery, "maxSeq">;

/** The query string, strictly: an unknown or repeated parameter is an error, not ignored, so a typo
 *  (room=…) never silently widens the answer. */
export function parseEventQuery(params: URLSearchParams): Parsed | { parameter: string; error: string } {
  const bad = (parameter: string, why: string) => ({ parameter, error: `${parameter}: ${why}` });
  for (const key of new Set(params.keys())) {
    if (!(PARAMS as readonly string[]).includes(key))
      return bad(key, `unknown parameter (allowed: ${PARAMS.join(", ")})`);
    if (params.getAll(key).length > 1) return bad(key, "given more than once");
  }
  const fromText = params.get("from_seq");
  let fromSeq = 1;
  if (fromText !== null) {
    if (!/^\d{1,15}$/.test(fromText)) return bad("from_seq", "expected an integer >= 0");
    fromSeq = Math.max(1, Number(fromText));
  }
  const limitText = params.get("limit");
  let limit = DEFAULT_LIMIT;
  if (limitText !== null) {
    if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) {
      return bad("limit", `expected an integer from 1 to ${MAX_LIMIT}`);
    }
    limit = Number(limitText);
  }
  let type: Parsed["type"] = null;
  const typeText = params.get("type");
  if (typeText !== null) {
    const globs = typeText.split(",").map((g) => g.trim());
    if (typeText.length > 1000 || globs.some((g) => g === ""))
      return bad("type", "expected event type globs, comma-separated (e.g. Room.*)");
    type = matchAny(globs);
  }
  const roomId = params.get("room_id");
  if (roomId !== null && (roomId === "" || roomId.length > 1000)) return bad("room_id", "expected a RoomId");
  return { fromSeq, limit, type, roomId };
}

export function eventsHandler(source: EventSource) {
  return async (request: Request): Promise<Response> => {
    const q = parseEventQuery(new URL(request.url).searchParams);
    if ("error" in q) {
      return jsonResponse(400, q);
    }
    const head = source.headSeq();
    const r = await queryJournal(source.dir, { ...q, maxSeq: head });
    return new Response(r.stream(), {
      headers: { "content-type": "application/x-ndjson", "x-next-seq": String(r.nextSeq), "x-head-seq": String(head) },
    });
  };
}
