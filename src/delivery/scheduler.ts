// Per-room ordering with bounded memory (README "Fan-out to your services"). Events of one room
// form a FIFO lane with at most one delivery in flight; different rooms run in parallel (the worker
// caps the total at max_in_flight). Memory is bounded three ways: events per room, events and bytes
// in total, and the number of rooms held.
//
// A stuck room (its head waiting for a retry, possibly for hours) must not stall the others, and
// must not pin memory either. So a room never holds more than `perRoom` events, and when the buffer
// is full the rooms that are waiting give back everything behind their head ("shed"). Such a room
// is then "overflowed": its events from `overflowFrom` on live only in the journal, and the worker
// re-reads them (a re-scan from that line, filtered to the room) once the room moves again. The
// main reader drops the room's later events meanwhile, since the re-scan will bring them in order.
//
// The cursor is the floor: one below the lowest seq any room still owes (a queued head, or the
// first event left on disk). Events of other rooms delivered above the floor are sent again after a
// crash: that is the at-least-once price of not stalling, and receivers dedupe on webhook-id.
import type { LinePos, JournalLineReader } from "../journal/line-reader.ts";
import type { EventRef } from "../journal/line.ts";

export interface QueuedEvent extends EventRef {
  /** The journal line, sent byte for byte. */
  line: string;
  pos: LinePos | null;
  attempts: number;
  nextAt: number;
  /** Set for a dead letter being redelivered: its key in the dead-letter file. */
  deadLetterKey?: string;
}

export class Room {
  queue: QueuedEvent[] = [];
  inFlight = false;
  /** 0: none. Else this room's events with seq >= overflowFrom are only in the journal. */
  overflowFrom = 0;
  overflowPos: LinePos | null = null;
  rescan: JournalLineReader | null = null;
  listed = false;
  constructor(
    readonly key: string,
    /** A redelivery lane: dead letters sent again; outside the journal order and the cursor. */
    readonly lane: boolean,
  ) {}
}

export interface Limits {
  perRoom: number;
  maxEvents: number;
  maxBytes: number;
  maxRooms: number;
}

/** Events without a room form one lane of their own: in journal order among themselves. */
export const NO_ROOM = "\u0000no-room";
const LANE_PREFIX = "\u0000redeliver:";

export function roomKey(roomId: string | null): string {
  return roomId ?? NO_ROOM;
}

export class RoomScheduler {
  readonly rooms = new Map<string, Room>();
  /** Rooms whose head waits for its retry time. */
  readonly waiting = new Set<Room>();
  readonly overflowed = new Set<Room>();
  private ready: Room[] = [];
  private readyHead = 0;
  events = 0;
  bytes = 0;

  constructor(readonly limits: Limits) {}

  get full(): boolean {
    return (
      this.events >= this.limits.maxEvents ||
      this.bytes >= this.limits.maxBytes ||
      this.rooms.size >= this.limits.maxRooms
    );
  }

  private room(key: string, lane: boolean): Room {
    let r = this.rooms.get(key);
    if (!r) {
      r = new Room(key, lane);
      this.rooms.set(key, r);
    }
    return r;
  }

  /** An event from the main reader, in journal order. The caller checks `full` first. */
  offer(key: string, ev: QueuedEvent): void {
    const room = this.room(key, false);
    if (room.overflowFrom) return; // on disk; the re-scan brings it
    if (room.queue.length >= this.limits.perRoom) {
      room.overflowFrom = ev.seq;
      room.overflowPos = ev.pos;
      room.rescan = null;
      this.overflowed.add(room);
      return;
    }
    this.push(room, ev);
  }

  /** A dead letter to send again, in its own lane per room. */
  offerRedelivery(ev: QueuedEvent): void {
    this.push(this.room(LANE_PREFIX + roomKey(ev.roomId), true), ev);
  }

  push(room: Room, ev: QueuedEvent): void {
    room.queue.push(ev);
    this.events++;
    this.bytes += ev.line.length;
    if (room.queue.length === 1 && !room.inFlight && !this.waiting.has(room)) this.list(room);
  }

  private list(room: Room): void {
    if (room.listed) return;
    room.listed = true;
    this.ready.push(room);
  }

  /** The next room whose head may be sent (marked in flight), round-robin over ready rooms. */
  take(): Room | undefined {
    while (this.readyHead < this.ready.length) {
      const r = this.ready[this.readyHead++]!;
      r.listed = false;
      if (r.queue.length && !r.inFlight && !this.waiting.has(r) && this.rooms.get(r.key) === r) {
        this.compact();
        r.inFlight = true;
        return r;
      }
    }
    this.ready = [];
    this.readyHead = 0;
    return undefined;
  }

  private compact(): void {
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  /** The head was delivered or dead-lettered. */
  done(room: Room): QueuedEvent | undefined {
    const ev = room.queue.shift();
    if (ev) {
      this.events--;
      this.bytes -= ev.line.length;
    }
    room.inFlight = false;
    if (room.queue.length) this.list(room);
    else this.forgetIfIdle(room);
    return ev;
  }

  /** The head failed and is retried at `at`. */
  retryAt(room: Room, at: number): void {
    room.inFlight = false;
    room.queue[0]!.nextAt = at;
    this.waiting.add(room);
  }

  /** Back to ready without a verdict (paused, aborted). */
  release(room: Room): void {
    room.inFlight = false;
    if (room.queue.length) this.list(room);
  }

  /** Moves rooms whose retry time has come back to ready. */
  promote(now: number): void {
    for (const r of this.waiting) {
      if (r.queue[0]!.nextAt <= now) {
        this.waiting.delete(r);
        this.list(r);
      }
    }
  }

  nextWake(): number {
    let t = Infinity;
    for (const r of this.waiting) t = Math.min(t, r.queue[0]!.nextAt);
    return t;
  }

  private forgetIfIdle(room: Room): void {
    if (!room.queue.length && !room.inFlight && !room.overflowFrom && !this.waiting.has(room))
      this.rooms.delete(room.key);
  }

  /** The re-scan of an overflowed room reached the main reader: its lane is whole again. */
  caughtUp(room: Room): void {
    room.overflowFrom = 0;
    room.overflowPos = null;
    room.rescan = null;
    this.overflowed.delete(room);
    this.forgetIfIdle(room);
  }

  /** Gives back the events queued behind waiting heads (they stay in the journal). Returns how many. */
  shed(): number {
    let freed = 0;
    for (const r of this.waiting) {
      if (r.lane || r.queue.length < 2) continue;
      const tail = r.queue.splice(1);
      for (const ev of tail) this.bytes -= ev.line.length;
      this.events -= tail.length;
      freed += tail.length;
      r.overflowFrom = tail[0]!.seq;
      r.overflowPos = tail[0]!.pos;
      r.rescan = null;
      this.overflowed.add(r);
    }
    return freed;
  }

  /** One below the lowest seq still owed to the target (`readSeq` when nothing is). */
  floor(readSeq: number): number {
    let f = readSeq;
    for (const r of this.rooms.values()) {
      if (r.lane) continue;
      if (r.queue.length) f = Math.min(f, r.queue[0]!.seq - 1);
      if (r.overflowFrom) f = Math.min(f, r.overflowFrom - 1);
    }
    return f;
  }

  clear(): void {
    this.rooms.clear();
    this.waiting.clear();
    this.overflowed.clear();
    this.ready = [];
    this.readyHead = 0;
    this.events = 0;
    this.bytes = 0;
  }
}
