// Journals of room events for the room-state benchmarks (scripts/bench/rooms.ts), written straight
// to segment files in the service's own line format (much faster than posting them).
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { envelopeHead, eventId } from "../../src/journal/line.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { rng } from "../../test/support/harness.ts";

export const APP = 1400000000;
const SEGMENT_BYTES = 134_217_728;

/** Appends journal lines in the service's own format, straight to segment files. */
export class JournalMaker {
  private fd = -1;
  private size = 0;
  private chunk = "";
  seq = 0;
  bytes = 0;
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  add(body: Record<string, unknown>): void {
    this.seq++;
    if (this.fd < 0 || this.size + this.chunk.length > SEGMENT_BYTES) this.roll();
    const text = JSON.stringify(body);
    const type = String(body.CallbackCommand);
    const info = body.RoomInfo as { RoomId?: string } | undefined;
    const head = envelopeHead({
      id: eventId(APP, type, Buffer.from(text)).hex,
      type,
      sdkAppId: APP,
      roomId: String(body.RoomId ?? info?.RoomId),
      eventTime: body.EventTime as number,
      receivedAt: "2026-11-30T00:00:00.000Z",
      clientIp: "127.0.0.1",
      optPlatform: "Web",
    });
    this.chunk += `{"seq":${this.seq},${head}${text}}\n`;
    if (this.chunk.length > 1 << 20) this.flush();
  }
  private flush(): void {
    if (!this.chunk) return;
    const b = Buffer.from(this.chunk);
    writeSync(this.fd, b);
    this.size += b.length;
    this.bytes += b.length;
    this.chunk = "";
  }
  private roll(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = openSync(join(this.dir, segmentName(this.seq)), "w", 0o600);
    this.size = 0;
  }
  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
  }
}

const cmd = (c: string, room: string, t: number, rest: Record<string, unknown> = {}) => ({
  CallbackCommand: c,
  Operator_Account: "admin",
  RoomId: room,
  ...rest,
  EventTime: t,
});

/** Room lifecycles, interleaved over 2,000 live rooms, until `events` lines are written. */
export function lifecycles(j: JournalMaker, events: number): void {
  const rnd = rng(13);
  let t = Date.now() - 3_600_000;
  const live: { id: string; in: string[]; n: number }[] = [];
  let made = 0;
  while (j.seq < events) {
    t += 1;
    if (live.length < 2_000) {
      const id = `room-${made++}`;
      j.add({
        CallbackCommand: "Room.CallbackAfterCreateRoom",
        Operator_Account: "owner",
        RoomInfo: { RoomId: id, RoomName: id, RoomType: "Conference", Owner_Account: "owner", MaxSeatCount: 8 },
        EventTime: t,
      });
      live.push({ id, in: [], n: 0 });
      continue;
    }
    const i = Math.floor(rnd() * live.length);
    const r = live[i]!;
    const p = rnd();
    if (r.n++ > 120) {
      j.add(cmd("Room.CallbackAfterDestroyRoom", r.id, t));
      live.splice(i, 1);
    } else if (p < 0.45 || r.in.length === 0) {
      const users = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `user-${Math.floor(rnd() * 1e6)}`);
      r.in.push(...users);
      j.add(
        cmd("Room.CallbackAfterMemberEnter", r.id, t, {
          MemberCount: r.in.length,
          Type: "Enter",
          MemberList_Account: users,
        }),
      );
    } else if (p < 0.8) {
      const u = r.in.splice(Math.floor(rnd() * r.in.length), 1);
      const type = ["Leave", "Kicked", "Expired"][Math.floor(rnd() * 3)];
      j.add(
        cmd("Room.CallbackAfterMemberLeave", r.id, t, {
          MemberCount: r.in.length,
          Type: type,
          Reason: "",
          MemberList_Account: u,
        }),
      );
    } else if (p < 0.95) {
      const seat = {
        Index: Math.floor(rnd() * 8),
        Member_Account: rnd() < 0.5 ? (r.in[0] ?? "") : "",
        IsTakenDisabled: false,
        IsVideoDisabled: false,
        IsAudioDisabled: false,
      };
      j.add(cmd("Mic.CallbackAfterSeatInfoChanged", r.id, t, { SeatList: [seat] }));
    } else {
      j.add({
        CallbackCommand: "Room.CallbackAfterUpdateRoomInfo",
        Operator_Account: "owner",
        RoomInfo: { RoomId: r.id, RoomName: `${r.id}-${t}` },
        EventTime: t,
      });
    }
  }
}

/** `rooms` active rooms with `members` members each, half of them on a seat of 8. */
export function activeRooms(j: JournalMaker, rooms: number, members: number): void {
  let t = Date.now() - 600_000;
  for (let r = 0; r < rooms; r++) {
    const id = `room-${r}`;
    j.add({
      CallbackCommand: "Room.CallbackAfterCreateRoom",
      Operator_Account: "owner",
      RoomInfo: { RoomId: id, RoomName: id, RoomType: "Conference", Owner_Account: "owner" },
      EventTime: ++t,
    });
    for (let m = 0; m < members; m += 5) {
      const users = Array.from({ length: Math.min(5, members - m) }, (_, k) => `user-${r}-${m + k}`);
      j.add(
        cmd("Room.CallbackAfterMemberEnter", id, ++t, {
          MemberCount: m + users.length,
          Type: "Enter",
          MemberList_Account: users,
        }),
      );
    }
    const seats = Array.from({ length: 8 }, (_, k) => ({
      Index: k,
      Member_Account: `user-${r}-${k}`,
      IsTakenDisabled: false,
      IsVideoDisabled: false,
      IsAudioDisabled: false,
    }));
    j.add(cmd("Mic.CallbackAfterSeatInfoChanged", id, ++t, { SeatList: seats }));
  }
}
