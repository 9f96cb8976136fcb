// A seeded scenario of 10,000 callbacks from `roomhook emulate` into `roomhook serve`: every
// callback was acknowledged, and the journal holds exactly those events (command, OptPlatform,
// body), each room's in the order the emulator sent them.
import { afterAll, expect, test } from "bun:test";
import { APP, cleanup, readJournal, startEmulator, startRoomhook, TOKEN } from "./helpers.ts";

afterAll(cleanup);

const EVENTS = 10_000;

test(`a classroom scenario of ${EVENTS} callbacks is acknowledged and journaled in full`, async () => {
  const rh = await startRoomhook({ config: { apps: [{ sdk_app_id: APP, token: TOKEN, sign_window_s: 300 }] } });
  const em = await startEmulator([
    "--token",
    TOKEN,
    "--callback-url",
    rh.callbackUrl,
    "--scenario",
    "classroom",
    "--rooms",
    "25",
    "--rate",
    "2500",
    "--events",
    String(EVENTS),
    "--seed",
    "20261130",
  ]);
  const stats = await em.settled(120_000);
  expect(stats.fired).toBeGreaterThanOrEqual(EVENTS);
  expect(stats.failed).toBe(0);
  expect(stats.acknowledged).toBe(stats.fired);
  const fired = await em.callbacks();
  expect(fired).toHaveLength(stats.fired);
  const journal = readJournal(rh.dataDir).map((l) => l.entry);
  expect(journal).toHaveLength(fired.length);
  // Per room, the journal's order is the emulator's sending order.
  const byRoom = new Map<string, typeof journal>();
  for (const j of journal) byRoom.set(String(j.roomId), [...(byRoom.get(String(j.roomId)) ?? []), j]);
  const cursor = new Map<string, number>();
  const kinds = new Set<string>();
  for (const c of fired) {
    const i = cursor.get(c.roomId) ?? 0;
    cursor.set(c.roomId, i + 1);
    const j = byRoom.get(c.roomId)?.[i];
    expect(j?.type).toBe(c.command);
    expect(j?.optPlatform).toBe(c.optPlatform);
    expect(j?.data).toEqual(c.body);
    kinds.add(`${c.command}/${String(c.body.Type ?? "")}`);
  }
  // The scenario exercised the whole lifecycle.
  for (const k of [
    "Room.CallbackAfterCreateRoom/",
    "Room.CallbackAfterDestroyRoom/",
    "Room.CallbackAfterUpdateRoomInfo/",
    "Room.CallbackAfterMemberEnter/Enter",
    "Room.CallbackAfterMemberLeave/Leave",
    "Room.CallbackAfterMemberLeave/Kicked",
    "Room.CallbackAfterMemberLeave/Expired",
    "Mic.CallbackAfterSeatInfoChanged/",
  ])
    expect(kinds).toContain(k);
  expect(rh.rejectionLines()).toEqual([]);
}, 180_000);
