// The Tencent side end to end (SPEC §9), on the binary: `roomhook tencent *-callback` configures
// `roomhook emulate`; REST calls signed with Tencent's own tls-sig-api-v2 change rooms, members and
// seats; every callback the emulator fires passes roomhook's Sign check and lands in the journal
// with its command, OptPlatform and body; wrong keys, non-admins, a second set-callback and unknown
// rooms get Tencent's FAIL shapes; after delete-callback nothing is sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  APP,
  cleanup,
  EMU_ADMIN,
  EMU_KEY,
  type EmulatorProcess,
  readJournal,
  type Roomhook,
  runCli,
  startEmulator,
  startRoomhook,
  TOKEN,
} from "./helpers.ts";

let rh: Roomhook;
let em: EmulatorProcess;

const tencent = (sub: string, extra: string[] = [], env: Record<string, string> = {}) =>
  runCli(["tencent", sub, "--sdk-app-id", String(APP), "--identifier", EMU_ADMIN, "--endpoint", em.base, ...extra], {
    env,
  });
const keyFile = () => ["--secret-key-file", em.keyFile];

beforeAll(async () => {
  rh = await startRoomhook({ config: { apps: [{ sdk_app_id: APP, token: TOKEN, sign_window_s: 300 }] } });
  em = await startEmulator(["--token", TOKEN]);
});
afterAll(cleanup);

describe("roomhook tencent against the emulator", () => {
  test("set-callback configures it; get-callback shows it; a second set-callback is 100300, explained", async () => {
    const set = await tencent("set-callback", [...keyFile(), "--url", rh.callbackUrl, "--commands", "all"]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ ActionStatus: "OK", ErrorCode: 0 });
    const get = await tencent("get-callback", [], { ROOMHOOK_SECRET_KEY: EMU_KEY });
    expect(get.code).toBe(0);
    const cfg = JSON.parse(get.stdout).Response;
    expect(cfg.Url).toBe(rh.callbackUrl);
    expect(cfg.CallbackCommandList).toHaveLength(7);
    expect(cfg.CallbackCommandList).toContain("Room.CallbackUpdateRoomInfo");
    const again = await tencent("set-callback", [...keyFile(), "--url", rh.callbackUrl]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 100300 });
    expect(again.stderr).toContain("update-callback");
    const upd = await tencent("update-callback", [...keyFile(), "--url", rh.callbackUrl, "--commands", "all"]);
    expect(upd.code).toBe(0);
  });

  test("a wrong key (60004) and a non-admin (60010) fail, explained, and no secret is printed", async () => {
    const wrong = await tencent("get-callback", [], { ROOMHOOK_SECRET_KEY: "not-the-key-9d1e" });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 60004 });
    expect(wrong.stderr).toContain("secret key");
    const user = await runCli([
      "tencent",
      "get-callback",
      "--sdk-app-id",
      String(APP),
      "--identifier",
      "user1",
      "--endpoint",
      em.base,
      ...keyFile(),
    ]);
    expect(user.code).toBe(1);
    expect(JSON.parse(user.stdout).ErrorCode).toBe(60010);
    expect(user.stderr).toContain("administrator");
    for (const r of [wrong, user]) {
      expect(r.stdout + r.stderr).not.toContain("not-the-key-9d1e");
      expect(r.stdout + r.stderr).not.toContain(EMU_KEY);
      expect(r.stdout + r.stderr).not.toContain("usersig");
    }
  });

  test("usage errors exit 2; --help exits 0; an unreachable endpoint exits 1", async () => {
    expect((await runCli(["tencent", "--help"])).code).toBe(0);
    expect((await runCli(["tencent", "set-callback", "--help"])).stdout).toContain("--commands");
    expect((await tencent("set-callback", keyFile())).code).toBe(2); // no --url
    expect((await tencent("set-callback", [...keyFile(), "--url", "x", "--commands", "Room.Nope"])).code).toBe(2);
    expect((await tencent("get-callback", [])).code).toBe(2); // no key anywhere
    expect((await runCli(["tencent", "frobnicate"])).code).toBe(2);
    expect((await runCli(["emulate", "--help"])).code).toBe(0);
    expect((await runCli(["emulate", "--sdk-app-id", String(APP), "--scenario", "party"])).code).toBe(2);
    expect((await runCli(["emulate", "--sdk-app-id", String(APP), "--rate", "5"])).code).toBe(2); // no --scenario
    const noKey = await runCli(["emulate", "--sdk-app-id", String(APP), "--secret-key-file", "/nonexistent/key"]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("/nonexistent/key");
    const down = await runCli([
      "tencent",
      "get-callback",
      "--sdk-app-id",
      String(APP),
      "--identifier",
      EMU_ADMIN,
      "--endpoint",
      "http://127.0.0.1:1",
      ...keyFile(),
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).not.toContain(EMU_KEY);
    // The emulator never logs the key either.
    expect(JSON.stringify(em.logs)).not.toContain(EMU_KEY);
  });
});

describe("REST calls, client actions and the callbacks roomhook journals", () => {
  test("every callback is acknowledged and lands in the journal with its command, OptPlatform and body", async () => {
    const ok = async (p: Promise<{ ErrorCode: number; ErrorInfo: string }>) => {
      const r = await p;
      expect(`${r.ErrorCode} ${r.ErrorInfo}`).toBe("0 ");
    };
    const roomId = "e2e-room-1";
    await ok(
      em.rest("room_engine_http_srv/create_room", {
        RoomInfo: {
          RoomId: roomId,
          RoomName: "Weekly",
          RoomType: "Conference",
          Owner_Account: "alice",
          IsSeatEnabled: true,
          MaxSeatCount: 4,
        },
        ScheduleInviteeList_Account: ["bob"],
      }),
    );
    await ok(em.post("enter", { RoomId: roomId, Members: ["alice", "bob", "carol"], OptPlatform: "Android" }));
    await ok(em.rest("room_engine_http_mic/pick_user_on_seat", { RoomId: roomId, Index: 0, Member_Account: "bob" }));
    await ok(em.post("take-seat", { RoomId: roomId, Member_Account: "carol" }));
    await ok(em.rest("room_engine_http_mic/lock_seat", { RoomId: roomId, Index: 3, ForbidTaken: true }));
    await ok(em.rest("room_engine_http_mic/kick_user_off_seat", { RoomId: roomId, Member_Account: "bob", Data: "x" }));
    await ok(em.rest("room_engine_http_srv/update_room_info", { RoomInfo: { RoomId: roomId, RoomName: "Weekly 2" } }));
    await ok(
      em.rest("room_engine_http_srv/kick_user_out", { RoomId: roomId, MemberList_Account: ["carol"], Reason: "spam" }),
    );
    await ok(em.post("leave", { RoomId: roomId, Members: ["bob"], Type: "Expired" }));
    const info = await em.rest("room_engine_http_srv/get_room_info", { RoomId: roomId });
    expect(info.Response).toMatchObject({ RoomInfo: { RoomName: "Weekly 2", MemberCount: 1 } });
    await ok(em.rest("room_engine_http_srv/destroy_room", { RoomId: roomId }));

    // Tencent's FAIL shapes.
    expect(await em.rest("room_engine_http_srv/destroy_room", { RoomId: roomId })).toMatchObject({
      ActionStatus: "FAIL",
      ErrorCode: 100004,
    });
    expect(await em.rest("room_engine_http_srv/get_room_info", { RoomId: "never" })).toMatchObject({
      ErrorCode: 100004,
    });
    expect(
      await em.rest(
        "room_engine_http_srv/create_room",
        { RoomInfo: { RoomId: "x", RoomType: "Conference" } },
        { key: "wrong" },
      ),
    ).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 60004 });
    expect(
      await em.rest(
        "room_engine_http_srv/create_room",
        { RoomInfo: { RoomId: "x", RoomType: "Conference" } },
        { identifier: "alice" },
      ),
    ).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 60010 });
    await ok(em.rest("room_engine_http_srv/create_room", { RoomInfo: { RoomId: "dup", RoomType: "Conference" } }));
    expect(
      await em.rest("room_engine_http_srv/create_room", { RoomInfo: { RoomId: "dup", RoomType: "Conference" } }),
    ).toMatchObject({ ErrorCode: 100003 });

    const stats = await em.settled();
    const all = await em.callbacks();
    expect(stats.failed).toBe(0);
    expect(all.every((c) => c.acknowledged && c.status === 200)).toBe(true);
    expect(all.every((c) => new URL(c.url).searchParams.has("Sign"))).toBe(true);
    // One room's callbacks go out in event order; rooms are independent.
    const fired = all.filter((c) => c.roomId === roomId);
    expect(fired.map((c) => c.command)).toEqual([
      "Room.CallbackAfterCreateRoom",
      "Room.CallbackAfterMemberEnter",
      "Mic.CallbackAfterSeatInfoChanged",
      "Mic.CallbackAfterSeatInfoChanged",
      "Mic.CallbackAfterSeatInfoChanged",
      "Mic.CallbackAfterSeatInfoChanged",
      "Room.CallbackAfterUpdateRoomInfo",
      "Mic.CallbackAfterSeatInfoChanged", // carol leaves her seat before she is kicked out
      "Room.CallbackAfterMemberLeave",
      "Room.CallbackAfterMemberLeave",
      "Room.CallbackAfterDestroyRoom",
    ]);
    expect(all.filter((c) => c.roomId === "dup").map((c) => c.command)).toEqual(["Room.CallbackAfterCreateRoom"]);

    const lines = readJournal(rh.dataDir).map((l) => l.entry);
    expect(lines).toHaveLength(all.length);
    const journal = lines.filter((l) => l.roomId === roomId);
    expect(journal).toHaveLength(fired.length);
    for (const [i, c] of fired.entries()) {
      const j = journal[i]!;
      expect(j.type).toBe(c.command);
      expect(j.optPlatform).toBe(c.optPlatform);
      expect(j.data).toEqual(c.body);
    }
    expect(journal[0]).toMatchObject({
      optPlatform: "RESTAPI",
      data: { Operator_Account: EMU_ADMIN, RoomInfo: { RoomId: roomId, Owner_Account: "alice" } },
    });
    expect(journal[1]).toMatchObject({
      optPlatform: "Android",
      data: { Type: "Enter", MemberList_Account: ["alice", "bob", "carol"], MemberCount: 3 },
    });
    expect(journal[8]).toMatchObject({ data: { Type: "Kicked", Reason: "spam", MemberList_Account: ["carol"] } });
    expect(journal[9]).toMatchObject({ optPlatform: "Web", data: { Type: "Expired", MemberList_Account: ["bob"] } });
    // Nothing was refused: roomhook logged no rejection.
    expect(rh.rejectionLines()).toEqual([]);
  });

  test("after delete-callback nothing is sent", async () => {
    const before = (await em.settled()).fired;
    const del = await tencent("delete-callback", keyFile());
    expect(del.code).toBe(0);
    expect((await tencent("get-callback", keyFile())).code).toBe(1);
    expect(
      (await em.rest("room_engine_http_srv/create_room", { RoomInfo: { RoomId: "quiet", RoomType: "Conference" } }))
        .ErrorCode,
    ).toBe(0);
    expect((await em.post("enter", { RoomId: "quiet", Members: ["u1"] })).ErrorCode).toBe(0);
    expect((await em.rest("room_engine_http_srv/destroy_room", { RoomId: "quiet" })).ErrorCode).toBe(0);
    const after = await em.settled();
    expect(after.fired).toBe(before);
    expect(readJournal(rh.dataDir)).toHaveLength(before);
    // The emulator's own state still changed.
    expect(await em.get("rooms/quiet")).toMatchObject({ status: "destroyed" });
  });
});
