// The room-state routes in process: Tencent's callbacks posted to the real callback app (so the
// journal holds the bodies as received), the projection in this thread (LocalRooms), the admin app
// answering GET /v1/rooms... through admin.handle. Also the snapshot: written, loaded, brought up to
// date from the journal, and equal to a rebuild.
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import pino from "pino";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { createAdminApp } from "../../src/admin/app.ts";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { controlFanout } from "../../src/delivery/control.ts";
import { Fanout } from "../../src/delivery/fanout.ts";
import { journalDir } from "../../src/journal/journal.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { roomsRoutes } from "../../src/rooms/api.ts";
import { CSV_HEADER } from "../../src/rooms/csv.ts";
import { dumpState } from "../../src/rooms/dump.ts";
import { LocalRooms } from "../../src/rooms/local.ts";
import { roomsMetrics } from "../../src/rooms/metrics.ts";
import { Projection } from "../../src/rooms/projection.ts";
import { AttendanceSchema, RoomDetailSchema, RoomListSchema, UserRoomsSchema } from "../../src/rooms/schema.ts";
import { snapshotFile } from "../../src/rooms/snapshot.ts";
import { APP_ID, callbackUrl, post, startApp, tencentParams } from "../support/app.ts";
import { parseExposition } from "../support/prom.ts";
import { create, destroy, enter, leave, seats } from "./build.ts";

const TOKEN = "admin-token-0123456789";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function fixture(apps: number[] = [APP_ID]) {
  const svc = startApp({ file: { apps: apps.map((a) => ({ sdk_app_id: a })), admin: { token: TOKEN } } });
  const rooms = new LocalRooms({ dataDir: svc.dataDir, retainDestroyedHours: 24, headSeq: 0 });
  const registry = new Registry();
  roomsMetrics(registry, () => rooms.stats());
  const fanout = new Fanout([], {
    dataDir: svc.dataDir,
    journalDir: journalDir(svc.dataDir),
    headSeq: () => svc.journal.writer.headSeq,
    logger: pino({ level: "silent" }),
  });
  const admin = createAdminApp(() => svc.config, {
    fanout: controlFanout(fanout),
    journalDir: journalDir(svc.dataDir),
    headSeq: () => svc.journal.writer.headSeq,
    metrics: registry,
    rooms: roomsRoutes(rooms, () => svc.config.apps.map((a) => a.sdk_app_id)),
  });
  cleanups.push(async () => {
    await svc.close();
    svc.cleanup();
  });
  const send = async (body: Record<string, unknown> | string, sdkAppId = APP_ID) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const command = (JSON.parse(text) as { CallbackCommand: string }).CallbackCommand;
    const res = await svc.app.handle(post(callbackUrl(tencentParams(command, { sdkAppId })), text));
    expect(res.status).toBe(200);
    rooms.nudge(svc.journal.writer.headSeq);
  };
  const get = async (path: string, token: string | null = TOKEN) => {
    const res = await admin.handle(
      new Request(`http://localhost${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    );
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  };
  const json = async (path: string) => {
    const r = await get(path);
    return { status: r.status, body: JSON.parse(r.text) };
  };
  return { svc, rooms, send, get, json, registry };
}

const check = <T extends Parameters<typeof TypeCompiler.Compile>[0]>(schema: T, v: unknown) => {
  const c = TypeCompiler.Compile(schema);
  expect([...c.Errors(v)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
};

describe("GET /v1/rooms...", () => {
  test("a lifecycle through Tencent's callbacks: list, detail, attendance (JSON and CSV), a user's rooms", async () => {
    const f = fixture();
    await f.send(create("room-a", 1000, { RoomName: "Standup" }));
    await f.send(enter("room-a", 2000, ["alice", "bob"], 2));
    await f.send(
      EXAMPLES["Mic.CallbackAfterSeatInfoChanged"].replace("rid-123", "room-a").replace("1670574414123", "2500"),
    );
    await f.send(leave("room-a", 3000, ["bob"], "Kicked", 'said, "no"'));
    // Destroyed rooms show for retain_destroyed_hours after their destroy's EventTime: one just now.
    await f.send(create("room-b", Date.now() - 2000));
    await f.send(destroy("room-b", Date.now() - 1000));
    await f.send(create("room-c", 1100));
    await f.send(destroy("room-c", 1200)); // in 1970: long past the 24 hours

    const list = await f.json("/v1/rooms");
    expect(list.status).toBe(200);
    check(RoomListSchema, list.body);
    expect(list.body.rooms.map((r: { roomId: string }) => r.roomId)).toEqual(["room-a"]);
    expect(list.body.asOfSeq).toBe(8);
    const all = await f.json("/v1/rooms?status=all");
    expect(all.body.rooms.map((r: { roomId: string; status: string }) => [r.roomId, r.status])).toEqual([
      ["room-a", "active"],
      ["room-b", "destroyed"],
    ]);

    const d = await f.get("/v1/rooms/room-a");
    // The seat's account id beyond 2^53, exact, in the HTTP answer's own text.
    expect(d.text).toContain('"userId":"144115233775727695"');
    const detail = JSON.parse(d.text);
    check(RoomDetailSchema, detail);
    expect(detail).toMatchObject({
      roomName: "Standup",
      memberCount: 1,
      tencentMemberCount: 2,
      seatedCount: 1,
      members: [{ userId: "alice", enteredAt: 2000 }],
    });

    const att = await f.json("/v1/rooms/room-a/attendance");
    check(AttendanceSchema, att.body);
    expect(att.body.sessions[1]).toEqual({
      userId: "bob",
      enteredAt: 2000,
      leftAt: 3000,
      leaveType: "Kicked",
      reason: 'said, "no"',
      durationMs: 1000,
    });
    const csv = await f.get("/v1/rooms/room-a/attendance?format=csv");
    expect(csv.type).toStartWith("text/csv");
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines[2]).toBe(
      `${APP_ID},room-a,bob,2000,1970-01-01T00:00:02.000Z,3000,1970-01-01T00:00:03.000Z,Kicked,"said, ""no""",1000`,
    );

    const user = await f.json("/v1/users/alice/rooms");
    check(UserRoomsSchema, user.body);
    expect(user.body.rooms.map((r: { roomId: string }) => r.roomId)).toEqual(["room-a"]);
    expect((await f.json("/v1/users/bob/rooms")).body.rooms).toEqual([]);
  });

  test("paging by roomId with limit and after", async () => {
    const f = fixture();
    for (const id of ["c", "a", "e", "b", "d"]) await f.send(create(id, 1000));
    const p1 = await f.json("/v1/rooms?limit=2");
    expect([p1.body.rooms.map((r: { roomId: string }) => r.roomId), p1.body.next]).toEqual([["a", "b"], "b"]);
    const p2 = await f.json("/v1/rooms?limit=2&after=b");
    expect([p2.body.rooms.map((r: { roomId: string }) => r.roomId), p2.body.next]).toEqual([["c", "d"], "d"]);
    const p3 = await f.json("/v1/rooms?limit=2&after=d");
    expect([p3.body.rooms.map((r: { roomId: string }) => r.roomId), p3.body.next]).toEqual([["e"], null]);
  });

  test("errors: unknown room 404, bad parameters 400, no token 401; several apps need sdkAppId", async () => {
    const f = fixture([1400000000, 1400000001]);
    await f.send(enter("r", 1, ["x"]), 1400000001);
    expect((await f.json("/v1/rooms")).status).toBe(400);
    expect((await f.json("/v1/rooms?sdkAppId=1400000001")).body.rooms).toHaveLength(1);
    expect((await f.json("/v1/rooms?sdkAppId=1400000000")).body.rooms).toHaveLength(0);
    const missing = await f.json("/v1/rooms/nope?sdkAppId=1400000001");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("nope");
    expect((await f.json("/v1/rooms?sdkAppId=1400000001&status=live")).status).toBe(400);
    expect((await f.json("/v1/rooms?sdkAppId=1400000001&limit=0")).status).toBe(400);
    expect((await f.json("/v1/rooms?sdkAppId=1400000001&room=r")).status).toBe(400);
    expect((await f.json("/v1/rooms/r/attendance?sdkAppId=1400000001&format=xml")).status).toBe(400);
    expect((await f.get("/v1/rooms", null)).status).toBe(401);
    expect((await f.get("/v1/rooms/r?sdkAppId=1400000001", null)).status).toBe(401);
  });

  test("room ids with spaces and slashes are path-encoded", async () => {
    const f = fixture();
    await f.send(enter("room one/two", 1, ["x"]));
    const d = await f.json(`/v1/rooms/${encodeURIComponent("room one/two")}`);
    expect(d.status).toBe(200);
    expect(d.body.roomId).toBe("room one/two");
  });

  test("metrics: active rooms, members, lag, snapshot age", async () => {
    const f = fixture();
    await f.send(enter("r1", 1, ["a", "b"]));
    await f.send(enter("r2", 1, ["c"]));
    const m = parseExposition(f.registry.render());
    const v = (name: string) => m.samples.find((s) => s.name === name)?.value;
    expect(v("roomhook_rooms_active")).toBe(2);
    expect(v("roomhook_rooms_members")).toBe(3);
    // The enter bodies carry no MemberCount: nothing to disagree with yet.
    expect(v("roomhook_rooms_member_count_mismatch")).toBe(0);
    await f.send(leave("r1", 2, ["a"], "Leave"));
    await f.send({ ...enter("r1", 3, ["d"]), MemberCount: 5 }); // Tencent says 5; we count b and d
    expect(
      parseExposition(f.registry.render()).samples.find((s) => s.name === "roomhook_rooms_member_count_mismatch")
        ?.value,
    ).toBe(1);
    expect(v("roomhook_rooms_projection_lag_events")).toBe(0);
    expect(v("roomhook_rooms_snapshot_age_seconds")).toBe(-1);
    await f.rooms.stop();
    expect(v("roomhook_rooms_active")).toBe(2);
    const after = parseExposition(f.registry.render()).samples.find(
      (s) => s.name === "roomhook_rooms_snapshot_age_seconds",
    );
    expect(after!.value).toBeGreaterThanOrEqual(0);
  });
});

describe("snapshot", () => {
  test("saved, loaded and brought up to date from the journal: equal to a rebuild", async () => {
    const f = fixture();
    await f.send(create("r", 10));
    await f.send(enter("r", 20, ["a", "b"]));
    await f.send(seats("r", 25, [{ Index: 0, Member_Account: "a" }]));
    await f.rooms.stop(); // writes the snapshot at seq 3
    await f.send(leave("r", 30, ["a"], "Expired"));
    await f.send(enter("r2", 40, ["c"]));
    const head = f.svc.journal.writer.headSeq;
    const restored = new Projection({ dataDir: f.svc.dataDir, retainDestroyedHours: 24 }).open(head);
    expect(restored.state.seq).toBe(3);
    restored.catchUpAll(head);
    const rebuilt = new Projection({ dataDir: f.svc.dataDir, retainDestroyedHours: 24 })
      .open(head, true)
      .catchUpAll(head);
    expect(restored.state.seq).toBe(5);
    expect(dumpState(restored.state)).toBe(dumpState(rebuilt.state));
    expect(dumpState(rebuilt.state)).toContain('"leaveType":"Expired"');
  });

  test("an unreadable snapshot is set aside and the state rebuilt from the journal", async () => {
    const f = fixture();
    await f.send(enter("r", 20, ["a"]));
    await f.rooms.stop();
    writeFileSync(snapshotFile(f.svc.dataDir), '{"format":"roomhook-rooms/1","seq":1,"savedAt":0}\n{"a":');
    const warnings: string[] = [];
    const p = new Projection({ dataDir: f.svc.dataDir, retainDestroyedHours: 24, warn: (_f, m) => warnings.push(m) });
    p.open(1).catchUpAll(1);
    expect(warnings).toHaveLength(1);
    expect(p.state.apps.get(APP_ID)?.get("r")?.members).toBe(1);
    rmSync(snapshotFile(f.svc.dataDir));
  });

  test("a snapshot ahead of the journal's head (a replaced journal) is not used", async () => {
    const f = fixture();
    await f.send(enter("r", 20, ["a"]));
    await f.rooms.stop();
    const p = new Projection({ dataDir: f.svc.dataDir, retainDestroyedHours: 24, warn: () => {} }).open(0);
    expect(p.state.seq).toBe(0);
  });
});
