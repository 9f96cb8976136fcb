// Room state on the compiled binary: the admin API and `roomhook rooms` agree; the state survives a
// clean restart through its snapshot; and after kill -9 at any moment under load (snapshots written
// every 100 ms, so kills land before, during and after them) the restarted service's state equals a
// rebuild from the journal.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  APP,
  OFFICIAL_EXAMPLES,
  cleanup,
  rng,
  runCli,
  sendCallback,
  startRoomhook,
  tempDir,
  type Roomhook,
} from "./helpers.ts";

setDefaultTimeout(60_000);
afterAll(cleanup);

const adminOf = (rh: Roomhook) => {
  const line = rh.logs.find((l) => l.msg === "roomhook listening");
  return `http://${String(line?.admin)}`;
};

async function get(rh: Roomhook, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${adminOf(rh)}${path}`);
  return { status: res.status, text: await res.text() };
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

/** Until the projection has applied everything committed (no load is running). */
async function caughtUp(rh: Roomhook): Promise<number> {
  for (;;) {
    const m = (await get(rh, "/metrics")).text;
    const applied = metric(m, "roomhook_rooms_applied_seq");
    if (metric(m, "roomhook_rooms_projection_lag_events") === 0 && applied === metric(m, "roomhook_journal_head_seq"))
      return applied;
    await Bun.sleep(20);
  }
}

const cli = async (rh: Roomhook, args: string[]) => {
  const r = await runCli(["rooms", "--data-dir", rh.dataDir, ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
};

/** Attendance without the durations of open sessions (they run on with the clock). */
const settled = (text: string) => {
  const a = JSON.parse(text) as { sessions: { leftAt: number | null; durationMs: number }[]; totals: unknown[] };
  return a.sessions.map((s) => (s.leftAt === null ? { ...s, durationMs: null } : s));
};

/**
 * The live service's state equals `roomhook rooms --rebuild` (the journal alone): every room's
 * summary, and the full detail and attendance of `sample` of them (each costs two CLI runs).
 */
async function expectEqualToRebuild(rh: Roomhook, sample = Infinity, rnd = Math.random): Promise<number> {
  const seq = await caughtUp(rh);
  const live = JSON.parse((await get(rh, "/v1/rooms?status=all&limit=1000")).text);
  const rebuilt = JSON.parse(await cli(rh, ["--rebuild", "--status", "all"]));
  expect(live.next).toBeNull();
  expect(live.asOfSeq).toBe(seq);
  expect(live.rooms).toEqual(rebuilt.rooms);
  const rooms = [...(live.rooms as { roomId: string }[])].sort(() => rnd() - 0.5).slice(0, sample);
  for (const r of rooms) {
    const id = encodeURIComponent(r.roomId);
    expect((await get(rh, `/v1/rooms/${id}`)).text).toBe((await cli(rh, ["--rebuild", "--room", r.roomId])).trimEnd());
    const att = (await get(rh, `/v1/rooms/${id}/attendance`)).text;
    expect(settled(att)).toEqual(settled(await cli(rh, ["--rebuild", "--room", r.roomId, "--attendance"])));
  }
  expect(JSON.parse(await cli(rh, ["--check"]))).toMatchObject({ equal: true });
  return live.rooms.length;
}

const body = (command: string, fields: Record<string, unknown>) => ({ CallbackCommand: command, ...fields });

/** One room's lifecycle as Tencent would send it, with a late and a duplicate event in it. */
function lifecycle(room: string, rnd: () => number, t0: number): object[] {
  const users = Array.from({ length: 2 + Math.floor(rnd() * 4) }, (_, i) => `u${i}-${Math.floor(rnd() * 3)}`);
  const at = (d: number) => ({ RoomId: room, EventTime: t0 + d });
  const leaveType = ["Leave", "Kicked", "Expired"][Math.floor(rnd() * 3)];
  const out: object[] = [
    body("Room.CallbackAfterCreateRoom", {
      RoomInfo: { RoomId: room, RoomName: room, Owner_Account: users[0] },
      EventTime: t0,
    }),
    body("Room.CallbackAfterMemberEnter", {
      ...at(10),
      MemberCount: users.length,
      Type: "Enter",
      MemberList_Account: users,
    }),
    body("Mic.CallbackAfterSeatInfoChanged", {
      ...at(20),
      SeatList: [
        { Index: 0, Member_Account: users[0] },
        { Index: 1, Member_Account: users[1] },
      ],
    }),
    body("Room.CallbackAfterUpdateRoomInfo", { RoomInfo: { RoomId: room, RoomName: `${room}!` }, EventTime: t0 + 25 }),
    body("Room.CallbackAfterMemberLeave", { ...at(30), Type: leaveType, Reason: "r", MemberList_Account: [users[1]] }),
    body("Mic.CallbackAfterSeatInfoChanged", { ...at(40), SeatList: [{ Index: 1 }, { Index: 0, Member_Account: "" }] }),
    // late: older than the leave above, must not bring the user back
    body("Room.CallbackAfterMemberEnter", { ...at(15), Type: "Enter", MemberList_Account: [users[1]] }),
  ];
  if (rnd() < 0.6) out.push(body("Room.CallbackAfterDestroyRoom", at(50)));
  if (rnd() < 0.3) out.push(out[1]!); // a duplicate (answered from the dedupe window or journaled again)
  return out;
}

/** Senders each running room lifecycles until `stop()`; resolves with how many callbacks were answered 200. */
function load(rh: Roomhook, round: number, senders: number) {
  let stopped = false;
  const rnd = rng(round * 7919 + 1);
  let t0 = Date.now();
  const runs = Array.from({ length: senders }, async (_, s) => {
    let ok = 0;
    for (let i = 0; !stopped; i++) {
      const room = `k${round}-s${s}-${i % 3}`; // rooms are re-created: the same ids come round again
      t0 += 100;
      for (const b of lifecycle(room, rnd, t0)) {
        if (stopped) break;
        try {
          const r = await sendCallback(rh, { body: b });
          if (r.status === 200) ok++;
        } catch {
          return ok; // the server is gone
        }
      }
    }
    return ok;
  });
  return {
    stop: async () => {
      stopped = true;
      return (await Promise.all(runs)).reduce((a, b) => a + b, 0);
    },
  };
}

describe("room state on the binary", () => {
  test("API and CLI agree; Tencent's big numeric id stays exact; a clean restart loads the snapshot", async () => {
    const dataDir = join(tempDir("rooms"), "data");
    let rh = await startRoomhook({ dataDir });
    // All but the destroy: its EventTime (2023) is long past retain_destroyed_hours.
    for (const command of Object.keys(OFFICIAL_EXAMPLES).filter((c) => !c.includes("Destroy"))) {
      const text = OFFICIAL_EXAMPLES[command]!.replace("tandy-test-rest", "rid-123");
      expect((await sendCallback(rh, { body: text })).status).toBe(200);
    }
    const seq = await caughtUp(rh);
    const detail = await get(rh, "/v1/rooms/rid-123?status=all");
    expect(detail.status).toBe(400); // status is a list parameter, not a room's
    const d = await get(rh, `/v1/rooms/rid-123?sdkAppId=${APP}`);
    expect(d.status).toBe(200);
    expect(d.text).toContain('"userId":"144115233775727695"');
    expect(d.text).toBe((await cli(rh, ["--room", "rid-123"])).trimEnd());
    await expectEqualToRebuild(rh);

    expect(await rh.stop()).toBe(0);
    expect(existsSync(join(dataDir, "rooms", "state.jsonl"))).toBe(true);
    rh = await startRoomhook({ dataDir });
    const loaded = await rh.waitForLog((l) => l.msg === "rooms: state loaded");
    expect(loaded.snapshotSeq).toBe(seq);
    expect((await get(rh, "/v1/rooms/rid-123")).text).toBe(d.text);
    await rh.stop();
  });

  test("kill -9 under load, three times: after each restart the state equals a rebuild from the journal", async () => {
    const dataDir = join(tempDir("rooms-k9"), "data");
    const config = { rooms: { snapshot_every_s: 0.1 } };
    const rnd = rng(42);
    let rooms = 0;
    for (let round = 1; round <= 3; round++) {
      const rh = await startRoomhook({ dataDir, config });
      const l = load(rh, round, 8);
      await Bun.sleep(300 + Math.floor(rnd() * 900)); // a different moment each round (no assertion on time)
      await rh.kill9();
      const answered = await l.stop();
      expect(answered).toBeGreaterThan(0);
      const again = await startRoomhook({ dataDir, config });
      const loaded = await again.waitForLog((l) => l.msg === "rooms: state loaded");
      // From round 2 on there is always a snapshot to start from: the clean stop of the round before wrote one.
      if (round > 1) expect(loaded.snapshotSeq as number).toBeGreaterThan(0);
      rooms = await expectEqualToRebuild(again, 4, rnd);
      await again.stop();
    }
    expect(rooms).toBeGreaterThan(8);
  });
});
