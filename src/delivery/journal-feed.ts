// The journal side of a target's worker: reads committed lines from the cursor on into the room
// scheduler, keeping the events the target's filters (types, rooms) accept, and re-reads the
// journal for rooms that overflowed once they move again (the scheduler's header says why rooms
// overflow). Nothing beyond the last committed (durable) seq is read: a seq not yet durable could
// be given back and reused by another event.
import type { Logger } from "pino";
import { matchAny } from "../journal/glob.ts";
import { readEnvelope } from "../journal/line.ts";
import { JournalLineReader, type LinePos } from "../journal/line-reader.ts";
import { roomKey, type QueuedEvent, type Room, type RoomScheduler } from "./scheduler.ts";
import { LINES_PER_SCAN, REFILL_AT_SHARE } from "./worker-limits.ts";

/** A target's `types` globs and optional `rooms` list (README "Fan-out to your services"). */
export class EventFilter {
  private readonly matchType: (type: string) => boolean;
  private readonly rooms: Set<string> | null;

  constructor(types: readonly string[], rooms: readonly string[] | undefined) {
    this.matchType = matchAny(types);
    this.rooms = rooms ? new Set(rooms) : null;
  }

  /** With a rooms list, events without a room are skipped (the README says so). */
  accepts(type: string, roomId: string | null): boolean {
    if (!this.matchType(type)) return false;
    return this.rooms === null || (roomId !== null && this.rooms.has(roomId));
  }
}

/** Free slots the scheduler needs before the main reader reads on (a quarter of it, at most a scan). */
function readBatch(maxEvents: number): number {
  return Math.min(LINES_PER_SCAN, Math.floor(maxEvents / 4));
}

export interface FeedDeps {
  target: string;
  journalDir: string;
  /** The last committed (durable) seq. */
  headSeq: () => number;
  logger: Logger;
}

export class JournalFeed {
  private reader!: JournalLineReader;
  private seq = 0;

  constructor(
    private readonly sched: RoomScheduler,
    private readonly filter: EventFilter,
    private readonly deps: FeedDeps,
  ) {}

  /** The last seq the main reader passed (queued, left to a re-scan, or filtered out). */
  get readSeq(): number {
    return this.seq;
  }

  /** Reads on from just after `cursor`. The caller clears the scheduler first. */
  startAt(cursor: number): void {
    this.reader = JournalLineReader.fromSeq(this.deps.journalDir, cursor + 1);
    this.seq = cursor;
  }

  /** Reads up to `budget` lines (new ones first, then re-scans). Returns the unused budget. */
  read(budget: number): number {
    return this.refill(this.readMain(budget));
  }

  private toEvent(text: string, pos: LinePos): QueuedEvent | null {
    const env = readEnvelope(text);
    if (!env) {
      this.deps.logger.warn(
        { target: this.deps.target, segment: pos.segment.path, offset: pos.offset },
        "fan-out: unreadable journal line skipped",
      );
      return null;
    }
    if (!this.filter.accepts(env.type, env.roomId)) return null;
    return { seq: env.seq, id: env.id, type: env.type, roomId: env.roomId, line: text, pos, attempts: 0, nextAt: 0 };
  }

  /** Reads committed lines into the scheduler while it has room. Returns the unused line budget. */
  private readMain(budget: number): number {
    const head = this.deps.headSeq();
    while (budget > 0 && this.seq < head) {
      if (this.sched.full && this.sched.shed() === 0) break;
      // Behind a backlog every settled delivery frees one slot; reading for each of them would
      // read a whole chunk of the journal for one line. Read once a batch's worth is free.
      if (this.sched.events > this.sched.limits.maxEvents - readBatch(this.sched.limits.maxEvents)) break;
      const r = this.reader.scan(head, Math.min(budget, LINES_PER_SCAN), (text, seq, pos) => {
        if (this.sched.full) return false;
        const ev = this.toEvent(text, pos);
        if (ev) this.sched.offer(roomKey(ev.roomId), ev);
        this.seq = seq;
        return true;
      });
      budget -= r.consumed;
      if (r.consumed === 0) break;
    }
    return budget;
  }

  /** Re-reads the journal for overflowed rooms that are moving again. */
  private refill(budget: number): number {
    const low = this.sched.limits.perRoom * REFILL_AT_SHARE;
    for (const room of this.sched.overflowed) {
      if (budget <= 0) break;
      if (this.sched.waiting.has(room) || room.queue.length > low) continue;
      budget -= this.rescan(room, budget);
    }
    return budget;
  }

  /** One overflowed room's re-scan, up to where the main reader is. Returns the lines consumed. */
  private rescan(room: Room, budget: number): number {
    room.rescan ??= room.overflowPos
      ? JournalLineReader.at(this.deps.journalDir, room.overflowPos, room.overflowFrom)
      : JournalLineReader.fromSeq(this.deps.journalDir, room.overflowFrom);
    let last = room.overflowFrom - 1;
    let capped = false;
    const r = room.rescan.scan(this.seq, budget, (text, seq, pos) => {
      const ev = this.toEvent(text, pos);
      if (ev && roomKey(ev.roomId) === room.key) {
        if (room.queue.length >= this.sched.limits.perRoom) {
          capped = true;
          return false;
        }
        this.sched.push(room, ev);
      }
      last = seq;
      return true;
    });
    if (!capped && (last >= this.seq || (r.consumed === 0 && !r.blocked))) this.sched.caughtUp(room);
    else room.overflowFrom = last + 1;
    return r.consumed;
  }
}
