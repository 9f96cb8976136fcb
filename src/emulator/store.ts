// The emulator's rooms: every state change of the REST API, the member endpoints and the scenarios
// goes through here and comes back as the callbacks it causes, in Tencent's body shapes. EventTime
// rises strictly per room (a receiver orders a room's events by it; equal times would be ambiguous).
// Unconfirmed behaviour, chosen here: destroying a room sends no per-member leaves; a member who
// leaves while seated first frees the seat (a seat callback), then leaves.
import type { KnownCommand } from "../callback/schemas.ts";
import { type Actor, type Emitted, fail, type Fail, noRoom, type Outcome, type Room, type RoomInfo } from "./model.ts";
import type { CreateRoomRequest, UpdateRoomRequest } from "./requests.ts";
import { roomView, type RoomView, seatEntry } from "./views.ts";

const KEEP_DESTROYED = 10_000;
const DEFAULT_MAX_MEMBERS = 300;
const DEFAULT_SEATS = 16;

export class RoomStore {
  readonly rooms = new Map<string, Room>();
  private readonly destroyed = new Map<string, RoomView>();
  private readonly clocks = new Map<string, number>();

  constructor(
    readonly sdkAppId: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The next EventTime of `roomId`: now, or one past its last event. */
  private tick(roomId: string): number {
    const t = Math.max(this.now(), (this.clocks.get(roomId) ?? 0) + 1);
    this.clocks.set(roomId, t);
    return t;
  }

  emit(command: KnownCommand, roomId: string, actor: Actor, fields: Record<string, unknown>): Emitted {
    const EventTime = this.tick(roomId);
    const body = { CallbackCommand: command, Operator_Account: actor.operator, ...fields, EventTime };
    return { command, roomId, body, optPlatform: actor.optPlatform, clientIp: actor.clientIp };
  }

  room(roomId: string): Room | Fail {
    return this.rooms.get(roomId) ?? noRoom(roomId);
  }

  create(req: CreateRoomRequest, actor: Actor): Outcome {
    const r = req.RoomInfo;
    if (this.rooms.has(r.RoomId)) return fail(100003, `room ${r.RoomId} already exists`);
    const nowS = Math.floor(this.now() / 1000);
    const seatsOn = r.IsSeatEnabled ?? false;
    const start = r.ScheduleStartTime ?? nowS;
    const info: RoomInfo = {
      RoomId: r.RoomId,
      RoomName: r.RoomName ?? r.RoomId,
      RoomType: r.RoomType,
      Owner_Account: r.Owner_Account ?? actor.operator,
      MaxMemberCount: r.MaxMemberCount ?? DEFAULT_MAX_MEMBERS,
      MaxSeatCount: seatsOn ? (r.MaxSeatCount ?? DEFAULT_SEATS) : 0,
      IsVideoDisabled: r.IsVideoDisabled ?? false,
      IsAudioDisabled: r.IsAudioDisabled ?? false,
      IsMessageDisabled: r.IsMessageDisabled ?? false,
      IsScreenSharingDisabled: r.IsScreenSharingDisabled ?? false,
      IsCloudRecordingDisabled: r.IsCloudRecordingDisabled ?? false,
      CustomInfo: r.CustomInfo ?? "",
      ScheduleStartTime: start,
      ScheduleEndTime: r.ScheduleEndTime ?? start + 3600,
      RoomStatus: "Running",
      IsSeatEnabled: seatsOn,
      TakeSeatMode: seatsOn ? (r.TakeSeatMode ?? "FreeToTake") : "None",
      CreateTime: nowS,
    };
    const seats = Array.from({ length: info.MaxSeatCount }, (_, index) => ({
      index,
      userId: null,
      isTakenDisabled: false,
      isVideoDisabled: false,
      isAudioDisabled: false,
    }));
    const fields: Record<string, unknown> = { RoomInfo: { ...info } };
    if (req.ScheduleInviteeList_Account) fields.ScheduleInviteeList_Account = req.ScheduleInviteeList_Account;
    const event = this.emit("Room.CallbackAfterCreateRoom", r.RoomId, actor, fields);
    this.rooms.set(r.RoomId, { info, members: new Map(), seats, createdAt: event.body.EventTime as number });
    this.destroyed.delete(r.RoomId);
    return { events: [event] };
  }

  destroy(roomId: string, actor: Actor): Outcome {
    const room = this.room(roomId);
    if ("code" in room) return room;
    const event = this.emit("Room.CallbackAfterDestroyRoom", roomId, actor, { RoomId: roomId });
    this.rooms.delete(roomId);
    room.members.clear();
    for (const s of room.seats) s.userId = null;
    this.destroyed.set(roomId, roomView(this.sdkAppId, room, event.body.EventTime as number));
    if (this.destroyed.size > KEEP_DESTROYED) this.destroyed.delete(this.destroyed.keys().next().value!);
    return { events: [event] };
  }

  update(req: UpdateRoomRequest, actor: Actor): Outcome {
    const room = this.room(req.RoomInfo.RoomId);
    if ("code" in room) return room;
    const i = room.info;
    Object.assign(i, Object.fromEntries(Object.entries(req.RoomInfo).filter(([, v]) => v !== undefined)));
    // The callback carries the full set of updatable fields (its documented example does).
    const RoomInfo = {
      RoomId: i.RoomId,
      RoomName: i.RoomName,
      Owner_Account: i.Owner_Account,
      TakeSeatMode: i.TakeSeatMode,
      MaxMemberCount: i.MaxMemberCount,
      IsVideoDisabled: i.IsVideoDisabled,
      IsAudioDisabled: i.IsAudioDisabled,
      IsMessageDisabled: i.IsMessageDisabled,
      IsScreenSharingDisabled: i.IsScreenSharingDisabled,
      IsCloudRecordingDisabled: i.IsCloudRecordingDisabled,
      CustomInfo: i.CustomInfo,
    };
    return { events: [this.emit("Room.CallbackAfterUpdateRoomInfo", i.RoomId, actor, { RoomInfo })] };
  }

  enter(roomId: string, users: string[], actor: Actor): Outcome {
    const room = this.room(roomId);
    if ("code" in room) return room;
    const fresh = [...new Set(users)].filter((u) => !room.members.has(u));
    if (fresh.length === 0) return { events: [] };
    if (room.members.size + fresh.length > room.info.MaxMemberCount)
      return fail(100002, `room ${roomId} is full (MaxMemberCount ${room.info.MaxMemberCount})`);
    const event = this.emit("Room.CallbackAfterMemberEnter", roomId, actor, {
      RoomId: roomId,
      MemberCount: room.members.size + fresh.length,
      Type: "Enter",
      MemberList_Account: fresh,
    });
    for (const u of fresh) room.members.set(u, event.body.EventTime as number);
    return { events: [event] };
  }

  /** Members leave by themselves ("Leave"), are kicked ("Kicked") or time out ("Expired"). */
  leave(roomId: string, users: string[], type: string, reason: string, actor: Actor): Outcome {
    const room = this.room(roomId);
    if ("code" in room) return room;
    const gone = [...new Set(users)];
    const stranger = gone.find((u) => !room.members.has(u));
    if (stranger !== undefined) return fail(100005, `${stranger} is not a member of room ${roomId}`);
    const events: Emitted[] = [];
    const freed = room.seats.filter((s) => s.userId !== null && gone.includes(s.userId));
    if (freed.length) {
      for (const s of freed) s.userId = null;
      events.push(this.seatEvent(room, freed, actor));
    }
    for (const u of gone) room.members.delete(u);
    events.push(
      this.emit("Room.CallbackAfterMemberLeave", roomId, actor, {
        RoomId: roomId,
        MemberCount: room.members.size,
        Type: type,
        MemberList_Account: gone,
        Reason: reason,
      }),
    );
    return { events };
  }

  seatEvent(room: Room, seats: Room["seats"], actor: Actor): Emitted {
    const SeatList = seats.map(seatEntry);
    return this.emit("Mic.CallbackAfterSeatInfoChanged", room.info.RoomId, actor, {
      RoomId: room.info.RoomId,
      SeatList,
    });
  }

  /** Active rooms, then the destroyed ones still kept, in roomhook's vocabulary. */
  views(status: "active" | "destroyed" | "all"): RoomView[] {
    const out: RoomView[] = [];
    if (status !== "destroyed") for (const r of this.rooms.values()) out.push(roomView(this.sdkAppId, r, null));
    if (status !== "active") out.push(...this.destroyed.values());
    return out.sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));
  }

  view(roomId: string): RoomView | null {
    const r = this.rooms.get(roomId);
    return r ? roomView(this.sdkAppId, r, null) : (this.destroyed.get(roomId) ?? null);
  }
}
