// Property: members, seats, room status (and RoomInfo) do not depend on the order events arrive in:
// any permutation of a history gives the state of the history sorted by EventTime. Attendance is
// checked on in-order histories against a plain model of sessions.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { apply } from "../../src/rooms/apply.ts";
import { decodeLine } from "../../src/rooms/event.ts";
import { emptyState, getRoom, type RoomsState } from "../../src/rooms/model.ts";
import { attendance, detail } from "../../src/rooms/views.ts";
import { APP, type Body, create, destroy, enter, leave, line, seats, update } from "./build.ts";

const ROOMS = ["r1", "r2"];
const USERS = ["u1", "u2", "u3", "144115233775727695"];
const LEAVE_TYPES = ["Leave", "Kicked", "Expired"];

const user = fc.constantFrom(...USERS);
const seatEntry = fc.record({
  Index: fc.integer({ min: 0, max: 3 }),
  who: fc.oneof(user, fc.constant(""), fc.constant(undefined)),
  IsTakenDisabled: fc.boolean(),
});

/** One event without its time; the time is assigned so that every event's is distinct. */
type Make = (t: number) => Body;
const eventArb = fc
  .tuple(fc.constantFrom(...ROOMS), fc.integer({ min: 0, max: 99 }))
  .chain(([room, p]): fc.Arbitrary<Make> => {
    if (p < 10) return fc.constant((t: number) => create(room, t, { RoomName: `n${t}` }));
    if (p < 16) return fc.constant((t: number) => destroy(room, t));
    if (p < 22) return fc.string({ maxLength: 3 }).map((c) => (t: number) => update(room, t, { CustomInfo: c }));
    if (p < 55)
      return fc.uniqueArray(user, { minLength: 1, maxLength: 2 }).map((us) => (t: number) => enter(room, t, us));
    if (p < 80)
      return fc.tuple(user, fc.constantFrom(...LEAVE_TYPES)).map(
        ([u, ty]) =>
          (t: number) =>
            leave(room, t, [u], ty, `why-${ty}`),
      );
    return fc.array(seatEntry, { minLength: 1, maxLength: 2 }).map(
      (list) => (t: number) =>
        seats(
          room,
          t,
          list.map((s) => ({
            Index: s.Index,
            IsTakenDisabled: s.IsTakenDisabled,
            ...(s.who === undefined ? {} : { Member_Account: s.who }),
          })),
        ),
    );
  });

/** A history: events at distinct, increasing EventTimes (the array's order). */
const historyArb = fc
  .array(fc.tuple(eventArb, fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 40 })
  .map((xs) => {
    let t = 1_700_000_000_000;
    return xs.map(([make, gap]) => {
      t += gap;
      return make(t);
    });
  });

/** Raw text: the big account id stays a bare number beyond 2^53, as Tencent's example sends it. */
const raw = (b: Body) => JSON.stringify(b).replaceAll('"144115233775727695"', "144115233775727695");

function fold(bodies: Body[]): RoomsState {
  const s = emptyState();
  for (const [i, b] of bodies.entries()) apply(s, decodeLine(line(i + 1, raw(b))), i + 1);
  return s;
}

/** What must not depend on arrival order; seqs differ between orders, so they are left out. */
function view(s: RoomsState) {
  return ROOMS.map((id) => {
    const r = getRoom(s, APP, id);
    if (!r) return null;
    const d = detail(r, 0);
    return {
      status: d.status,
      roomInfo: d.roomInfo,
      members: d.members,
      memberCount: d.memberCount,
      seats: d.seats,
      createdAt: d.createdAt,
      destroyedAt: d.destroyedAt,
      updatedAt: d.updatedAt,
    };
  });
}

/** Sessions as a plain model computes them from an in-order history. */
function modelSessions(bodies: Body[], roomId: string) {
  type S = { userId: string; enteredAt: number; leftAt: number | null; leaveType: string | null };
  let sessions: S[] = [];
  const open = new Map<string, S>();
  let destroyed = false;
  for (const b of bodies) {
    if (b.RoomId !== roomId && (b.RoomInfo as Body | undefined)?.RoomId !== roomId) continue;
    const t = b.EventTime as number;
    const users = (b.MemberList_Account as string[] | undefined) ?? [];
    switch (b.CallbackCommand) {
      case "Room.CallbackAfterCreateRoom":
        if (destroyed) sessions = [];
        destroyed = false;
        break;
      case "Room.CallbackAfterDestroyRoom":
        for (const s of open.values()) Object.assign(s, { leftAt: t, leaveType: "RoomDestroyed" });
        open.clear();
        destroyed = true;
        break;
      case "Room.CallbackAfterMemberEnter":
        destroyed = false;
        for (const u of users) {
          if (open.has(u)) continue;
          const s: S = { userId: u, enteredAt: t, leftAt: null, leaveType: null };
          sessions.push(s);
          open.set(u, s);
        }
        break;
      case "Room.CallbackAfterMemberLeave":
        for (const u of users) {
          const s = open.get(u);
          if (!s) continue;
          Object.assign(s, { leftAt: t, leaveType: b.Type });
          open.delete(u);
        }
        break;
    }
  }
  // The API lists sessions in the order they began (then by user; a closed one before an open one).
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return sessions.sort(
    (a, b) => a.enteredAt - b.enteredAt || cmp(a.userId, b.userId) || (a.leftAt ?? Infinity) - (b.leftAt ?? Infinity),
  );
}

describe("order independence", () => {
  test("any arrival order gives the state of the history sorted by EventTime", () => {
    fc.assert(
      fc.property(
        historyArb.chain((h) => fc.tuple(fc.constant(h), fc.shuffledSubarray(h, { minLength: h.length }))),
        ([sorted, shuffled]) => {
          expect(view(fold(shuffled))).toEqual(view(fold(sorted)));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("attendance of an in-order history: sessions open on enter, close on leave or destroy", () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const s = fold(h);
        for (const id of ROOMS) {
          const r = getRoom(s, APP, id);
          const got = r
            ? attendance(r, 0, 0).sessions.map(({ userId, enteredAt, leftAt, leaveType }) => ({
                userId,
                enteredAt,
                leftAt,
                leaveType,
              }))
            : [];
          expect(got).toEqual(modelSessions(h, id));
        }
      }),
      { numRuns: 500 },
    );
  });
});
