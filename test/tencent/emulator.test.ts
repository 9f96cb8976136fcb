// The emulator in process: Tencent's REST checks and FAIL shapes (UserSigs from tls-sig-api-v2),
// room/member/seat state and the callbacks each change causes, the sender (query string, Sign,
// order, enabled commands), and seeded scenarios.
import { afterAll, describe, expect, test } from "bun:test";
import { checkSign } from "../../src/callback/sign.ts";
import { parseQuery } from "../../src/callback/query.ts";
import { Emulator } from "../../src/emulator/emulator.ts";
import { isFail } from "../../src/emulator/model.ts";
import { handleRest } from "../../src/emulator/rest.ts";
import { ScenarioDriver } from "../../src/emulator/scenario.ts";
import { lockSeat, takeSeat } from "../../src/emulator/seats.ts";
import { ALL_CALLBACK_COMMANDS } from "../../src/tencent/callback-commands.ts";
import { genUserSig } from "../../src/tencent/usersig.ts";
import { oracleUserSig } from "../support/usersig-oracle.ts";

const APP = 1400000000;
const KEY = "emulator-test-secret-key";
const ADMIN = "administrator";
const TOKEN = "cb-token";

function emulator(callbackUrl?: string, commands = [...ALL_CALLBACK_COMMANDS]): Emulator {
  return new Emulator({
    sdkAppId: APP,
    secretKey: KEY,
    admins: [ADMIN],
    token: TOKEN,
    callback: callbackUrl ? { Url: callbackUrl, CallbackCommandList: commands } : undefined,
  });
}

function query(
  o: { identifier?: string; sig?: string; random?: string | null; sdkappid?: string } = {},
): URLSearchParams {
  const q = new URLSearchParams({
    sdkappid: o.sdkappid ?? String(APP),
    identifier: o.identifier ?? ADMIN,
    usersig: o.sig ?? oracleUserSig(APP, KEY, o.identifier ?? ADMIN),
    contenttype: "json",
  });
  if (o.random !== null) q.set("random", o.random ?? "12345");
  return q;
}

const rest = (em: Emulator, path: string, body: unknown, q = query()) =>
  handleRest(em, path, q, typeof body === "string" ? body : JSON.stringify(body), "192.0.2.7");

const createBody = (roomId: string, seats = 0) => ({
  RoomInfo: {
    RoomId: roomId,
    RoomType: "Conference",
    Owner_Account: "owner1",
    IsSeatEnabled: seats > 0,
    MaxSeatCount: seats,
  },
});

const received: { url: string; body: Record<string, unknown> }[] = [];
const sink = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (req) => {
    received.push({ url: req.url, body: (await req.json()) as Record<string, unknown> });
    return Response.json({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 });
  },
});
afterAll(() => sink.stop(true));
const SINK = `http://127.0.0.1:${sink.port}/callback`;

describe("REST checks and FAIL shapes", () => {
  test("a valid call answers OK with a RequestId; failures carry Tencent's codes", () => {
    const em = emulator();
    const ok = rest(em, "room_engine_http_srv/create_room", createBody("r1"));
    expect(ok).toMatchObject({ ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" });
    expect(ok.RequestId).toMatch(/^Id-[0-9a-f]{32}-O-Seq-\d+$/);
    const code = (path: string, body: unknown, q?: URLSearchParams) => rest(em, path, body, q).ErrorCode;
    expect(code("room_engine_http_srv/create_room", createBody("r1"))).toBe(100003);
    expect(code("room_engine_http_srv/destroy_room", { RoomId: "nope" })).toBe(100004);
    expect(code("room_engine_http_srv/get_room_info", { RoomId: "nope" })).toBe(100004);
    expect(code("room_engine_http_srv/create_room", { RoomInfo: { RoomId: "x" } })).toBe(100002);
    expect(code("room_engine_http_srv/create_room", createBody("r".repeat(49)))).toBe(100002);
    expect(code("room_engine_http_srv/create_room", "")).toBe(60003);
    expect(code("room_engine_http_srv/create_room", "[1]")).toBe(60003);
    expect(code("room_engine_http_srv/no_such", {})).toBe(60009);
    expect(code("room_config/get_callback", {}, query({ random: null }))).toBe(60002);
    expect(code("room_config/get_callback", {}, query({ sdkappid: "" }))).toBe(60012);
    expect(code("room_config/get_callback", {}, query({ sdkappid: "1400000001" }))).toBe(60006);
    const wrongKey = oracleUserSig(APP, "another-key", ADMIN);
    expect(code("room_config/get_callback", {}, query({ sig: wrongKey }))).toBe(60004);
    const expired = genUserSig(KEY, { sdkAppId: APP, identifier: ADMIN, expireS: 10, nowS: 1_000_000 });
    expect(code("room_config/get_callback", {}, query({ sig: expired }))).toBe(60005);
    expect(code("room_config/get_callback", {}, query({ identifier: "user1" }))).toBe(60010);
    const fail = rest(em, "room_config/get_callback", {}, query({ identifier: "user1" }));
    expect(fail).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 60010 });
    expect(fail.ErrorInfo).toContain("user1");
  });

  test("callback configuration: set once (100300 after), update needs one (100301), get shows it", () => {
    const em = emulator();
    const cfg = { Url: SINK, CallbackCommandList: ["Room.CallbackAfterCreateRoom"] };
    expect(rest(em, "room_config/update_callback", cfg).ErrorCode).toBe(100301);
    expect(rest(em, "room_config/get_callback", {}).ErrorCode).toBe(100301);
    expect(rest(em, "room_config/set_callback", cfg).ErrorCode).toBe(0);
    expect(rest(em, "room_config/set_callback", cfg).ErrorCode).toBe(100300);
    expect(rest(em, "room_config/get_callback", {}).Response).toEqual(cfg);
    expect(rest(em, "room_config/update_callback", { ...cfg, Url: "ftp://x" }).ErrorCode).toBe(100002);
    expect(rest(em, "room_config/delete_callback", {}).ErrorCode).toBe(0);
    expect(em.callback).toBeNull();
  });

  test("reads: room info with MemberCount, member pages, the seat list", () => {
    const em = emulator();
    rest(em, "room_engine_http_srv/create_room", createBody("r2", 3));
    em.store.enter("r2", ["a", "b", "c"], { operator: "a", optPlatform: "Web", clientIp: "10.0.0.1" });
    const info = rest(em, "room_engine_http_srv/get_room_info", { RoomId: "r2" }).Response as {
      RoomInfo: Record<string, unknown>;
    };
    expect(info.RoomInfo).toMatchObject({
      RoomId: "r2",
      RoomType: "Conference",
      Owner_Account: "owner1",
      MaxSeatCount: 3,
      MemberCount: 3,
    });
    const page1 = rest(em, "room_engine_http_srv/get_room_member_list", { RoomId: "r2", Count: 2 }).Response!;
    expect(page1).toMatchObject({ Next: "2", MemberList: [{ Member_Account: "a" }, { Member_Account: "b" }] });
    const page2 = rest(em, "room_engine_http_srv/get_room_member_list", { RoomId: "r2", Count: 2, Next: "2" })
      .Response!;
    expect(page2).toMatchObject({ Next: "", MemberList: [{ Member_Account: "c" }] });
    expect(
      rest(em, "room_engine_http_mic/pick_user_on_seat", { RoomId: "r2", Index: 1, Member_Account: "b" }).ErrorCode,
    ).toBe(0);
    expect(
      rest(em, "room_engine_http_mic/pick_user_on_seat", { RoomId: "r2", Index: 1, Member_Account: "c" }).ErrorCode,
    ).toBe(100002);
    expect(
      rest(em, "room_engine_http_mic/pick_user_on_seat", { RoomId: "r2", Index: 0, Member_Account: "zed" }).ErrorCode,
    ).toBe(100005);
    const seats = rest(em, "room_engine_http_mic/get_seat_list", { RoomId: "r2" }).Response!.SeatList as Record<
      string,
      unknown
    >[];
    expect(seats.map((s) => s.Member_Account)).toEqual([undefined, "b", undefined]);
  });
});

describe("state changes and their callbacks", () => {
  const actor = { operator: "u1", optPlatform: "Android", clientIp: "10.1.2.3" };

  test("a seated member who leaves frees the seat first; lock removes the occupant; EventTime rises", () => {
    const em = emulator();
    rest(em, "room_engine_http_srv/create_room", createBody("r3", 2));
    const enter = em.store.enter("r3", ["u1", "u2"], actor);
    expect(isFail(enter) ? null : enter.events[0]!.body).toMatchObject({
      CallbackCommand: "Room.CallbackAfterMemberEnter",
      Operator_Account: "u1",
      RoomId: "r3",
      MemberCount: 2,
      Type: "Enter",
      MemberList_Account: ["u1", "u2"],
    });
    expect(isFail(takeSeat(em.store, "r3", 0, "u1", actor))).toBe(false);
    const leave = em.store.leave("r3", ["u1"], "Expired", "heartbeat timeout", actor);
    if (isFail(leave)) throw new Error(leave.info);
    expect(leave.events.map((e) => e.command)).toEqual([
      "Mic.CallbackAfterSeatInfoChanged",
      "Room.CallbackAfterMemberLeave",
    ]);
    expect(leave.events[0]!.body.SeatList).toEqual([
      { Index: 0, Member_Account: "", IsTakenDisabled: false, IsVideoDisabled: false, IsAudioDisabled: false },
    ]);
    expect(leave.events[1]!.body).toMatchObject({ Type: "Expired", MemberCount: 1, Reason: "heartbeat timeout" });
    expect((leave.events[1]!.body.EventTime as number) > (leave.events[0]!.body.EventTime as number)).toBe(true);
    takeSeat(em.store, "r3", 1, "u2", actor);
    const lock = lockSeat(em.store, { RoomId: "r3", Index: 1, ForbidTaken: true }, actor);
    if (isFail(lock)) throw new Error(lock.info);
    expect(lock.events[0]!.body.SeatList).toEqual([
      { Index: 1, Member_Account: "", IsTakenDisabled: true, IsVideoDisabled: false, IsAudioDisabled: false },
    ]);
    expect(takeSeat(em.store, "r3", 1, "u2", actor)).toMatchObject({ code: 100002 });
    expect(em.store.leave("r3", ["ghost"], "Leave", "", actor)).toMatchObject({ code: 100005 });
  });

  test("destroy clears the room; its view stays as destroyed", () => {
    const em = emulator();
    rest(em, "room_engine_http_srv/create_room", createBody("r4", 1));
    em.store.enter("r4", ["u1"], actor);
    expect(rest(em, "room_engine_http_srv/destroy_room", { RoomId: "r4" }).ErrorCode).toBe(0);
    expect(em.store.view("r4")).toMatchObject({
      status: "destroyed",
      memberCount: 0,
      members: [],
      seats: [{ userId: null }],
    });
    expect(em.store.views("active")).toEqual([]);
    expect(rest(em, "room_engine_http_srv/destroy_room", { RoomId: "r4" }).ErrorCode).toBe(100004);
  });
});

describe("the sender", () => {
  test("fires enabled commands only, with Tencent's query string and a valid Sign, a room's in order", async () => {
    received.length = 0;
    const em = emulator(SINK, [
      "Room.CallbackAfterCreateRoom",
      "Room.CallbackUpdateRoomInfo",
      "Room.CallbackAfterMemberEnter",
    ]);
    rest(em, "room_engine_http_srv/create_room", createBody("r5"));
    for (let i = 0; i < 20; i++)
      em.apply(em.store.enter("r5", [`v${i}`], { operator: `v${i}`, optPlatform: "iOS", clientIp: "10.0.0.9" }));
    rest(em, "room_engine_http_srv/update_room_info", { RoomInfo: { RoomId: "r5", CustomInfo: "x" } });
    rest(em, "room_engine_http_srv/destroy_room", { RoomId: "r5" });
    await em.sender.idle();
    expect(received.map((r) => r.body.CallbackCommand)).toEqual([
      "Room.CallbackAfterCreateRoom",
      ...Array(20).fill("Room.CallbackAfterMemberEnter"),
      "Room.CallbackAfterUpdateRoomInfo",
    ]);
    expect(received.slice(1, 21).map((r) => (r.body.MemberList_Account as string[])[0])).toEqual(
      Array.from({ length: 20 }, (_, i) => `v${i}`),
    );
    const q = parseQuery(received[0]!.url);
    expect(q).toMatchObject({
      sdkAppId: String(APP),
      command: "Room.CallbackAfterCreateRoom",
      clientIp: "192.0.2.7",
      optPlatform: "RESTAPI",
    });
    expect(received[0]!.url).toContain("contenttype=json");
    expect(checkSign(TOKEN, q.sign, q.requestTime, Math.floor(Date.now() / 1000), 60)).toBeNull();
    expect(parseQuery(received[1]!.url).optPlatform).toBe("iOS");
    const stats = em.sender.stats();
    expect(stats).toMatchObject({ fired: 22, settled: 22, pending: 0, acknowledged: 22, failed: 0 });
    expect(em.sender.list(20, 100).map((c) => c.n)).toEqual([21, 22]);
  });

  test("an unreachable receiver is recorded as failed, not retried", async () => {
    const em = emulator("http://127.0.0.1:1/callback");
    rest(em, "room_engine_http_srv/create_room", createBody("r6"));
    await em.sender.idle();
    const [rec] = em.sender.list(0, 10);
    expect(rec).toMatchObject({ n: 1, status: null, acknowledged: false });
    expect(rec!.error).toBeTruthy();
    expect(em.sender.stats()).toMatchObject({ fired: 1, failed: 1 });
  });
});

describe("scenarios", () => {
  function run(name: "meeting" | "classroom", seed: number, steps: number) {
    const em = emulator();
    const d = new ScenarioDriver(em, name, 8, seed);
    let events = 0;
    for (let i = 0; i < steps; i++) events += d.step();
    const strip = em.store.views("all").map(({ createdAt, destroyedAt, members, ...v }) => ({
      ...v,
      destroyed: destroyedAt !== null,
      members: members.map((m) => m.userId),
    }));
    return { events, rooms: strip };
  }

  test("the same seed gives the same rooms, members and seats; another seed does not", () => {
    for (const name of ["meeting", "classroom"] as const) {
      const a = run(name, 42, 3000);
      expect(a.events).toBeGreaterThan(2500);
      expect(run(name, 42, 3000)).toEqual(a);
      expect(run(name, 43, 3000)).not.toEqual(a);
      expect(a.rooms.some((r) => r.destroyed)).toBe(true);
      expect(a.rooms.some((r) => r.seatedCount > 0)).toBe(true);
    }
  });
});
