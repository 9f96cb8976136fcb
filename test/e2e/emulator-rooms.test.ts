// After a seeded meeting scenario, roomhook's room state (GET /v1/rooms, /v1/rooms/{id} on the
// admin listener) equals the emulator's own (GET /emulator/rooms?status=all): every room's status,
// owner, name, members (with their enter EventTime) and seats.
import { afterAll, describe, expect, test } from "bun:test";
import { APP, cleanup, readJournal, startEmulator, startRoomhook, TOKEN } from "./helpers.ts";

afterAll(cleanup);

interface SeatLike {
  index: number;
  userId: string | null;
  isTakenDisabled: boolean;
  isVideoDisabled: boolean;
  isAudioDisabled: boolean;
}
interface RoomLike {
  roomId: string;
  status: string;
  roomName: string | null;
  ownerId: string | null;
  memberCount: number;
  seatedCount: number;
  members: { userId: string; enteredAt: number }[];
  seats: SeatLike[];
}

/** The parts both sides must agree on; seats as (index, user, locks), occupied or locked ones only. */
function essence(r: RoomLike) {
  const members = [...r.members].sort((a, b) => (a.userId < b.userId ? -1 : 1));
  const seats = r.seats
    .filter((s) => s.userId || s.isTakenDisabled || s.isVideoDisabled || s.isAudioDisabled)
    .map((s) => [s.index, s.userId || null, s.isTakenDisabled, s.isVideoDisabled, s.isAudioDisabled]);
  return {
    roomId: r.roomId,
    status: r.status,
    roomName: r.roomName,
    ownerId: r.ownerId,
    memberCount: r.memberCount,
    seatedCount: r.seatedCount,
    members: r.status === "active" ? members : [],
    seats: r.status === "active" ? seats : [],
  };
}

describe("roomhook's room state equals the emulator's", () => {
  test("after a seeded meeting scenario of 5,000 callbacks", async () => {
    const rh = await startRoomhook({ config: { apps: [{ sdk_app_id: APP, token: TOKEN, sign_window_s: 300 }] } });
    const admin = `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
    const em = await startEmulator([
      "--token",
      TOKEN,
      "--callback-url",
      rh.callbackUrl,
      "--scenario",
      "meeting",
      "--rooms",
      "30",
      "--rate",
      "2000",
      "--events",
      "5000",
      "--seed",
      "8",
    ]);
    const stats = await em.settled(120_000);
    expect(stats.failed).toBe(0);
    const head = readJournal(rh.dataDir).length;
    expect(head).toBe(stats.fired);

    // roomhook's projection catches up with the journal.
    const end = Date.now() + 30_000;
    let rooms: RoomLike[] = [];
    for (;;) {
      rooms = [];
      let after = "";
      let asOfSeq = 0;
      for (;;) {
        const q = `sdkAppId=${APP}&status=all&limit=100${after ? `&after=${encodeURIComponent(after)}` : ""}`;
        const page = (await (await fetch(`${admin}/v1/rooms?${q}`)).json()) as {
          rooms: RoomLike[];
          next: string | null;
          asOfSeq: number;
        };
        rooms.push(...page.rooms);
        asOfSeq = page.asOfSeq;
        if (!page.next) break;
        after = page.next;
      }
      if (asOfSeq >= head) break;
      if (Date.now() > end) throw new Error(`room state stuck at seq ${asOfSeq} of ${head}`);
      await Bun.sleep(50);
    }
    const details: RoomLike[] = [];
    for (const r of rooms) {
      const res = await fetch(`${admin}/v1/rooms/${encodeURIComponent(r.roomId)}?sdkAppId=${APP}`);
      expect(res.status).toBe(200);
      details.push((await res.json()) as RoomLike);
    }
    const theirs = (await em.get<{ rooms: RoomLike[] }>("rooms?status=all")).rooms;
    expect(theirs.filter((r) => r.status === "destroyed").length).toBeGreaterThan(0);
    expect(details.map(essence)).toEqual(theirs.map(essence));
  }, 180_000);
});
