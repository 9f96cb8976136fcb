// A scenario's moves: one `step()` is one room operation (create, enter, leave, expire, kick, seat
// changes, update, destroy) on one of `rooms` room slots, chosen with seeded dice from what the
// room's state allows, and applied through the emulator like any REST or client call. A slot's room
// lives for a drawn number of events, is destroyed, and a new room takes the slot.
import type { Emulator } from "./emulator.ts";
import { type Actor, isFail, type Outcome, type Room } from "./model.ts";
import { type Action, PROFILES, type Profile, type ScenarioName } from "./profiles.ts";
import { Dice, seededRandom } from "./random.ts";
import { leaveSeat, lockSeat, takeSeat } from "./seats.ts";

const PLATFORMS = ["Web", "Android", "iOS", "Windows", "macOS", "iPad"];

interface Slot {
  roomId: string | null;
  lifeLeft: number;
  pool: string[];
}

/** A stable small hash of a user id: its platform and address never change during a run. */
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function userActor(u: string): Actor {
  const h = hash(u);
  return {
    operator: u,
    optPlatform: PLATFORMS[h % PLATFORMS.length]!,
    clientIp: `10.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${1 + (h % 250)}`,
  };
}

export class ScenarioDriver {
  private readonly dice: Dice;
  private readonly profile: Profile;
  private readonly slots: Slot[];
  private readonly admin: Actor;
  private serial = 0;

  constructor(
    private readonly em: Emulator,
    readonly name: ScenarioName,
    rooms: number,
    readonly seed: number,
  ) {
    this.dice = new Dice(seededRandom(seed));
    this.profile = PROFILES[name];
    this.slots = Array.from({ length: rooms }, () => ({ roomId: null, lifeLeft: 0, pool: [] }));
    this.admin = { operator: em.options.admins[0]!, optPlatform: "RESTAPI", clientIp: "127.0.0.1" };
  }

  /** One operation; returns how many callbacks it caused (enabled or not). */
  step(): number {
    const slot = this.dice.pick(this.slots);
    const room = slot.roomId === null ? undefined : this.em.store.rooms.get(slot.roomId);
    let outcome: Outcome;
    if (!room) outcome = this.create(slot);
    else if (slot.lifeLeft <= 0) {
      outcome = this.em.store.destroy(room.info.RoomId, this.admin);
      slot.roomId = null;
    } else outcome = this.act(slot, room);
    this.em.apply(outcome);
    const n = isFail(outcome) ? 0 : outcome.events.length;
    slot.lifeLeft -= Math.max(n, 1);
    return n;
  }

  private create(slot: Slot): Outcome {
    const p = this.profile;
    const d = this.dice;
    const roomId = `${this.name}-${this.seed}-${++this.serial}`;
    const max = d.int(...p.maxMembers);
    slot.roomId = roomId;
    slot.lifeLeft = d.int(...p.life);
    slot.pool = Array.from({ length: max + 8 }, (_, k) => `${this.name[0]}${this.serial}-user${k}`);
    const seats = d.chance(p.seatedRooms) ? d.int(...p.seats) : 0;
    const classroom = this.name === "classroom";
    const invitees = classroom ? [] : slot.pool.slice(1, d.int(1, 4));
    return this.em.store.create(
      {
        RoomInfo: {
          RoomId: roomId,
          RoomName: classroom ? `Class ${this.serial}` : `Meeting ${this.serial}`,
          RoomType: "Conference",
          Owner_Account: slot.pool[0]!,
          MaxMemberCount: max,
          IsSeatEnabled: seats > 0,
          MaxSeatCount: seats,
          TakeSeatMode: classroom ? "ApplyToTake" : "FreeToTake",
          IsMessageDisabled: false,
        },
        ...(invitees.length ? { ScheduleInviteeList_Account: invitees } : {}),
      },
      this.admin,
    );
  }

  private act(slot: Slot, room: Room): Outcome {
    const d = this.dice;
    const owner = room.info.Owner_Account;
    const members = [...room.members.keys()];
    const outside = slot.pool.filter((u) => !room.members.has(u));
    // In a classroom the teacher stays until the class ends.
    const leavers = this.name === "classroom" ? members.filter((u) => u !== owner) : members;
    const seated = room.seats.filter((s) => s.userId !== null);
    const free = room.seats.filter((s) => s.userId === null && !s.isTakenDisabled);
    const standing = members.filter((u) => !seated.some((s) => s.userId === u));
    const can: Record<Action, boolean> = {
      enter: outside.length > 0 && members.length < room.info.MaxMemberCount,
      leave: leavers.length > 0,
      expire: leavers.length > 0,
      kick: leavers.length > 0,
      takeSeat: standing.length > 0 && free.length > 0,
      pickSeat: standing.length > 0 && free.length > 0,
      leaveSeat: seated.length > 0,
      kickOffSeat: seated.length > 0,
      lockSeat: room.seats.length > 0,
      update: true,
    };
    const w = this.profile.weights;
    const action = d.weighted(Object.fromEntries(Object.entries(w).map(([k, v]) => [k, can[k as Action] ? v : 0])));
    const roomId = room.info.RoomId;
    switch (action) {
      case "enter": {
        const firstIn = !room.members.has(owner) && this.name === "classroom" ? [owner] : [];
        const n = Math.min(d.int(...this.profile.burst), room.info.MaxMemberCount - members.length);
        const who = firstIn.length ? firstIn : shuffle(d, outside).slice(0, Math.max(1, n));
        return this.em.store.enter(roomId, who, userActor(who[0]!));
      }
      case "leave":
      case "expire": {
        const u = d.pick(leavers);
        const type = action === "leave" ? "Leave" : "Expired";
        return this.em.store.leave(roomId, [u], type, action === "leave" ? "" : "heartbeat timeout", userActor(u));
      }
      case "kick":
        return this.em.store.leave(roomId, [d.pick(leavers)], "Kicked", "removed by the host", this.admin);
      case "takeSeat": {
        const u = d.pick(standing);
        return takeSeat(this.em.store, roomId, d.pick(free).index, u, userActor(u));
      }
      case "pickSeat":
        return takeSeat(this.em.store, roomId, d.pick(free).index, d.pick(standing), this.admin);
      case "leaveSeat": {
        const u = d.pick(seated).userId!;
        return leaveSeat(this.em.store, roomId, u, userActor(u));
      }
      case "kickOffSeat":
        return leaveSeat(this.em.store, roomId, d.pick(seated).userId!, this.admin);
      case "lockSeat": {
        const s = d.pick(room.seats);
        return lockSeat(this.em.store, { RoomId: roomId, Index: s.index, ForbidTaken: !s.isTakenDisabled }, this.admin);
      }
      default:
        return this.em.store.update(
          { RoomInfo: { RoomId: roomId, CustomInfo: `topic-${d.int(1, 999)}`, IsMessageDisabled: d.chance(0.2) } },
          this.admin,
        );
    }
  }
}

function shuffle<T>(d: Dice, items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = d.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
