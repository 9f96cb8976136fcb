import { describe, expect, test } from "bun:test";
import { NO_ROOM, RoomScheduler, roomKey, type QueuedEvent } from "../../src/delivery/scheduler.ts";

function ev(seq: number, roomId: string | null): QueuedEvent {
  return { seq, id: `id${seq}`, type: "T", roomId, line: `{"seq":${seq}}`, pos: null, attempts: 0, nextAt: 0 };
}
const limits = { perRoom: 3, maxEvents: 8, maxBytes: 1 << 20, maxRooms: 100 };

describe("room scheduler", () => {
  test("one event in flight per room, rooms in parallel, each room in journal order", () => {
    const s = new RoomScheduler(limits);
    for (const e of [ev(1, "a"), ev(2, "b"), ev(3, "a"), ev(4, "c")]) s.offer(roomKey(e.roomId), e);
    const r1 = s.take()!;
    const r2 = s.take()!;
    const r3 = s.take()!;
    expect([r1.key, r2.key, r3.key]).toEqual(["a", "b", "c"]);
    expect(s.take()).toBeUndefined(); // a's second event waits for its first
    expect(s.done(r1)!.seq).toBe(1);
    const again = s.take()!;
    expect(again.key).toBe("a");
    expect(again.queue[0]!.seq).toBe(3);
  });

  test("a room waiting for a retry does not block the others, and comes back when due", () => {
    const s = new RoomScheduler(limits);
    s.offer("a", ev(1, "a"));
    s.offer("a", ev(2, "a"));
    s.offer("b", ev(3, "b"));
    const a = s.take()!;
    s.retryAt(a, 1000);
    const b = s.take()!;
    expect(b.key).toBe("b");
    expect(s.take()).toBeUndefined(); // a's event 2 must not overtake event 1
    s.promote(999);
    expect(s.take()).toBeUndefined();
    expect(s.nextWake()).toBe(1000);
    s.promote(1000);
    const a2 = s.take()!;
    expect(a2.queue[0]!.seq).toBe(1);
  });

  test("the floor is one below the lowest seq still owed (the cursor never passes it)", () => {
    const s = new RoomScheduler(limits);
    s.offer("a", ev(5, "a"));
    s.offer("b", ev(6, "b"));
    expect(s.floor(6)).toBe(4);
    const a = s.take()!;
    s.take();
    s.retryAt(a, 10);
    s.done(s.rooms.get("b")!);
    expect(s.floor(6)).toBe(4); // b is done, but a's 5 is not
    s.promote(10);
    s.done(s.take()!);
    expect(s.floor(6)).toBe(6);
    expect(s.rooms.size).toBe(0); // idle rooms are forgotten
  });

  test("a full room overflows to disk: later events are dropped from memory and counted in the floor", () => {
    const s = new RoomScheduler(limits);
    for (let i = 1; i <= 5; i++) s.offer("a", ev(i, "a"));
    expect(s.rooms.get("a")!.queue.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(s.overflowed.has(s.rooms.get("a")!)).toBe(true);
    expect(s.rooms.get("a")!.overflowFrom).toBe(4);
    s.offer("b", ev(6, "b"));
    s.take();
    s.done(s.rooms.get("a")!);
    if (s.rooms.get("a")!.queue.length) s.take();
    s.done(s.rooms.get("a")!);
    expect(s.floor(6)).toBe(2); // a's 3 still queued
    expect(s.events).toBe(2);
  });

  test("shed gives back what waits behind stuck heads, keeping the heads and the floor", () => {
    const s = new RoomScheduler({ ...limits, perRoom: 10 });
    for (let i = 1; i <= 6; i++) s.offer("stuck", ev(i, "stuck"));
    s.offer("ok", ev(7, "ok"));
    s.offer("ok", ev(8, "ok"));
    expect(s.full).toBe(true);
    const stuck = s.take()!;
    s.retryAt(stuck, 1e12);
    expect(s.shed()).toBe(5);
    expect(s.full).toBe(false);
    expect(stuck.queue.map((e) => e.seq)).toEqual([1]);
    expect(stuck.overflowFrom).toBe(2);
    expect(s.floor(8)).toBe(0);
    expect(s.take()!.key).toBe("ok"); // the others still flow
  });

  test("events without a room share one lane; redeliveries never hold the cursor", () => {
    const s = new RoomScheduler(limits);
    s.offer(roomKey(null), ev(1, null));
    s.offer(roomKey(null), ev(2, null));
    expect(s.rooms.get(NO_ROOM)!.queue).toHaveLength(2);
    expect(s.take()!.key).toBe(NO_ROOM);
    expect(s.take()).toBeUndefined();
    s.offerRedelivery({ ...ev(0, "x"), seq: 0 });
    expect(s.floor(2)).toBe(0); // from the no-room lane's seq 1, not the redelivery's 0
  });
});
