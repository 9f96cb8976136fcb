// Every number a target's worker runs by, in one place. The memory bounds are what the README calls
// "a bounded read-ahead" ("At least once, in order per room"): the backlog lives in the journal, and
// these only cap how much of it one target holds in memory at a time.
import type { Limits } from "./scheduler.ts";

/**
 * Events one room may hold in memory. Its later events wait in the journal (the room overflows) and
 * are re-read when it moves again, so a room stuck on hours of retries pins only this many.
 */
export const PER_ROOM = 64;
/**
 * Events held in memory over all rooms, at least (a target with a large max_in_flight gets
 * max_in_flight × PER_ROOM, so every slot can have a room's worth of events behind it).
 */
export const MIN_BUFFERED_EVENTS = 4096;
/** Bytes of journal lines held in memory: bounds the buffer when callbacks are large. */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** Rooms tracked at once (each costs a Map entry and a lane even when it holds one event). */
export const MAX_ROOMS = 50_000;

/**
 * An overflowed room is re-read only once its queue is down to this share of PER_ROOM, so the
 * re-scans come in batches rather than one line per delivery.
 */
export const REFILL_AT_SHARE = 0.5;

/** Journal lines read (main reader and re-scans together) per pump before other work gets a turn. */
export const LINES_PER_PUMP = 4096;
/** Lines per scan call of the main reader: between calls a full buffer gets to shed its stuck rooms. */
export const LINES_PER_SCAN = 1024;

/**
 * The poll: commits are announced by a nudge, but retries coming due and the breaker's probe are
 * also found by it; a wait shorter than this gets a timer of its own.
 */
export const POLL_MS = 50;
/** The cursor is saved this often while it moves (README: "saved every 250 ms while it moves"). */
export const SAVE_EVERY_MS = 250;
/** When the ingest priority says no, look again this soon: its token bucket refills in ms. */
export const PRIORITY_RETRY_MS = 10;
/** A dead letter that could not be written (full disk, I/O error) is retried this much later. */
export const DEAD_LETTER_RETRY_MS = 1000;
/** After stop's grace ran out, attempts are aborted and given this long to come back. */
export const ABORT_GRACE_MS = 500;
/** Dead letters queued per redeliver call (README: "up to 1,000 entries a call"). */
export const MAX_REDELIVERY_BATCH = 1000;

/** The scheduler's bounds for a target; `over` (tests) replaces any of them. */
export function schedulerLimits(maxInFlight: number, over?: Partial<Limits>): Limits {
  const perRoom = over?.perRoom ?? PER_ROOM;
  return {
    perRoom,
    maxEvents: Math.max(MIN_BUFFERED_EVENTS, maxInFlight * perRoom),
    maxBytes: MAX_BUFFERED_BYTES,
    maxRooms: MAX_ROOMS,
    ...over,
  };
}
