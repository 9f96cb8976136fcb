// Filtered reads of a segment directory for the admin API (GET /v1/events, /v1/quarantine), in
// bounded memory. Two passes: the first scans in chunks from the segment holding `fromSeq`, from a
// line just before it (found by bisection: seek.ts), and remembers only where the matching lines
// are (at most `limit` byte ranges), so the answer's next seq is known before the body starts; the
// second streams those ranges as the client reads.
// Reads are async, so a long scan never holds up the callbacks on the same event loop.
import { open, type FileHandle } from "node:fs/promises";
import { listSegments, segmentIndexFor } from "./segments.ts";
import { offsetBefore } from "./seek.ts";
import { envelopeAt, headObjectAt, newEnvelopeSpans, seqAt, stringAt, stringIs } from "./line-codec.ts";

export interface EventQuery {
  fromSeq: number;
  limit: number;
  /** Matches the event type; null for any. */
  type: ((type: string) => boolean) | null;
  roomId: string | null;
  /** The last durable seq: lines past it may still be cut by a failed sync, so they are not shown. */
  maxSeq: number;
}

export interface QueryResult {
  count: number;
  /** The from_seq that continues this query: past the last match, or past what was scanned. */
  nextSeq: number;
  /** The matching lines, newline-terminated, read again from disk as the consumer pulls. */
  stream(): ReadableStream<Uint8Array>;
}

interface Range {
  path: string;
  offset: number;
  length: number;
}

const SCAN_CHUNK = 1024 * 1024;
const STREAM_CHUNK = 256 * 1024;

/** A query's envelope test, on the bytes of a line: no string per line unless a type is asked for. */
function envelopeFilter(q: EventQuery): ((b: Buffer, start: number, end: number) => boolean) | null {
  if (!q.type && q.roomId === null) return null;
  const room = q.roomId;
  const roomLiteral = room === null ? null : Buffer.from(JSON.stringify(room));
  const s = newEnvelopeSpans();
  return (b, start, end) => {
    if (!envelopeAt(b, start, end, s)) return headMatches(headObjectAt(b, start, end), q);
    if (q.type && !q.type(stringAt(b, s.typeStart, s.typeEnd))) return false;
    return room === null || (s.roomStart >= 0 && stringIs(b, s.roomStart, s.roomEnd, roomLiteral!, room));
  };
}

/** For a line whose head is not in the layout (another key order): its parsed head. */
function headMatches(env: Record<string, unknown> | null, q: EventQuery): boolean {
  if (!env) return false;
  if (q.type && !(typeof env.type === "string" && q.type(env.type))) return false;
  return q.roomId === null || env.roomId === q.roomId;
}

export async function queryJournal(dir: string, q: EventQuery): Promise<QueryResult> {
  const ranges: Range[] = [];
  let count = 0;
  let lastMatch: number | null = null;
  const segs = listSegments(dir);
  let buf = Buffer.allocUnsafe(SCAN_CHUNK);
  const matches = envelopeFilter(q);
  const first = segs.length ? segmentIndexFor(segs, q.fromSeq) : 0;
  scan: for (let i = first; i < segs.length; i++) {
    const path = segs[i]!.path;
    let fh: FileHandle;
    try {
      fh = await open(path, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // removed by retention meanwhile
      throw e;
    }
    try {
      const size = (await fh.stat()).size;
      let pos = i === first ? await offsetBefore(fh, size, q.fromSeq) : 0;
      while (pos < size) {
        const want = Math.min(buf.length, size - pos);
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (bytesRead === 0) break;
        const data = buf.subarray(0, bytesRead);
        let start = 0;
        let nl = data.indexOf(0x0a);
        while (nl >= 0) {
          const seq = seqAt(data, start, nl);
          if (seq >= 0) {
            if (seq > q.maxSeq) break scan;
            if (seq >= q.fromSeq && (!matches || matches(data, start, nl))) {
              const last = ranges.at(-1);
              // Adjacent lines become one range: fewer, larger reads in the second pass.
              if (last && last.path === path && last.offset + last.length === pos + start)
                last.length += nl + 1 - start;
              else ranges.push({ path, offset: pos + start, length: nl + 1 - start });
              if (++count >= q.limit) {
                lastMatch = seq;
                break scan;
              }
            }
          }
          start = nl + 1;
          nl = data.indexOf(0x0a, start);
        }
        if (start > 0) pos += start;
        else if (pos + bytesRead >= size || bytesRead < want)
          break; // an unterminated tail: not an event (yet)
        else buf = Buffer.allocUnsafe(buf.length * 2); // one line longer than the buffer
      }
    } finally {
      await fh.close();
    }
  }
  const nextSeq = lastMatch !== null ? lastMatch + 1 : Math.max(q.fromSeq, q.maxSeq + 1);
  return { count, nextSeq, stream: () => streamRanges(ranges) };
}

function streamRanges(ranges: readonly Range[]): ReadableStream<Uint8Array> {
  let i = 0;
  let off = 0;
  let fh: FileHandle | null = null;
  let fhPath = "";
  const release = async () => {
    const h = fh;
    fh = null;
    fhPath = "";
    await h?.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const r = ranges[i];
        if (!r) {
          await release();
          ctrl.close();
          return;
        }
        if (fhPath !== r.path) {
          await release();
          fh = await open(r.path, "r");
          fhPath = r.path;
        }
        const n = Math.min(STREAM_CHUNK, r.length - off);
        const out = Buffer.allocUnsafe(n);
        const { bytesRead } = await fh!.read(out, 0, n, r.offset + off);
        if (bytesRead !== n) throw new Error(`${r.path}: shorter than when it was scanned`);
        off += n;
        if (off >= r.length) {
          i++;
          off = 0;
        }
        ctrl.enqueue(out);
      } catch (e) {
        // A segment removed by retention mid-answer: cut the response rather than send a gap.
        await release();
        ctrl.error(e);
      }
    },
    cancel: release,
  });
}
