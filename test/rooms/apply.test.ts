// The reducer on realistic lifecycles: Tencent's example bodies with their quirks, late and
// duplicate events, every leave Type, seats emptied both ways, a destroyed room id created again,
// and several apps.
import { describe, expect, test } from "bun:test";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { apply, dropDestroyed } from "../../src/rooms/apply.ts";
import { decodeLine } from "../../src/rooms/event.ts";
import { emptyState, getRoom } from "../../src/rooms/model.ts";
import { attendance, detail, summary } from "../../src/rooms/views.ts";
import { APP, create, destroy, enter, fold, leave, line, seats, update } from "./build.ts";

const room = (s: ReturnType<typeof fold>, id: string, app = APP) => getRoom(s, app, id)!;
const members = (s: ReturnType<typeof fold>, id: string, app = APP) =>
  detail(room(s, id, app), 0).members.map((m) => m.userId);

describe("Tencent's example bodies", () => {
  test("the seat example's numeric Member_Account beyond 2^53 comes out as its exact digits", () => {
    const s = fold([EXAMPLES["Mic.CallbackAfterSeatInfoChanged"]]);
    const d = detail(room(s, "rid-123"), 1);
    expect(d.seats).toEqual([
      {
        index: 1,
        userId: "144115233775727695",
        isTakenDisabled: false,
        isVideoDisabled: false,
        isAudioDisabled: false,
        updatedAt: 1670574414123,
      },
    ]);
    // The room was made known by a seat event: no RoomInfo, active.
    expect(d.roomInfo).toBeNull();
    expect(d.status).toBe("active");
    expect(JSON.stringify(d)).toContain('"userId":"144115233775727695"');
  });

  test('create, update (with its "false" string), enter, leave, destroy, as Tencent sends them', () => {
    const createBody = EXAMPLES["Room.CallbackAfterCreateRoom"].replaceAll("tandy-test-rest", "rid-123");
    const s = fold([
      createBody,
      EXAMPLES["Room.CallbackAfterUpdateRoomInfo"],
      EXAMPLES["Room.CallbackAfterMemberEnter"],
    ]);
    const d = detail(room(s, "rid-123"), 3);
    // The examples' update (2022) is older than their create (2023): it belongs to an earlier room.
    expect(d.roomInfo).toMatchObject({ RoomName: "rid-123", IsCloudRecordingDisabled: true, CreateTime: 1703589922 });
    // The enter is older than the create too, but presence is the latest enter/leave of each user.
    expect(d.members).toEqual([{ userId: "user1", enteredAt: 1670574414123 }]);
    expect(d.tencentMemberCount).toBe(20);
    expect(d.memberCount).toBe(1);
    // The same update a moment after the create applies, its "false" string as a boolean.
    fold([EXAMPLES["Room.CallbackAfterUpdateRoomInfo"].replace("1670574414123", "1703589922999")], s);
    expect(room(s, "rid-123").info).toMatchObject({
      RoomName: "rname-123",
      IsCloudRecordingDisabled: false,
      Owner_Account: "jack",
    });
    fold([EXAMPLES["Room.CallbackAfterMemberLeave"].replace("1670574414123", "1703589923000")], s);
    fold([EXAMPLES["Room.CallbackAfterDestroyRoom"].replace("tandy-test-rest", "rid-123")], s);
    expect(summary(room(s, "rid-123"))).toMatchObject({ status: "destroyed", memberCount: 0 });
    expect(attendance(room(s, "rid-123"), 0, 0).sessions).toEqual([
      {
        userId: "user1",
        enteredAt: 1670574414123,
        leftAt: 1703589923000,
        leaveType: "Leave",
        reason: "xxxx",
        durationMs: 1703589923000 - 1670574414123,
      },
    ]);
  });
});

describe("RoomInfo", () => {
  test("create then updates merge by field; a late update does not undo a newer one", () => {
    const s = fold([
      create("r1", 1000, { RoomName: "a", MaxMemberCount: 10 }),
      update("r1", 3000, { RoomName: "c", IsVideoDisabled: "true" }),
      update("r1", 2000, { RoomName: "b", CustomInfo: "x" }),
    ]);
    const info = room(s, "r1").info!;
    expect(info.RoomName).toBe("c");
    expect(info.CustomInfo).toBe("x");
    expect(info.MaxMemberCount).toBe(10);
    expect(info.IsVideoDisabled).toBe(true);
    expect(summary(room(s, "r1"))).toMatchObject({
      roomName: "c",
      ownerId: "owner",
      roomType: "Meeting",
      createdAt: 1000,
    });
  });

  test("a numeric Owner_Account is a string", () => {
    const s = fold([create("r1", 1, { Owner_Account: 12345 })]);
    expect(summary(room(s, "r1")).ownerId).toBe("12345");
    // JSON.stringify already rounded it; the raw text keeps the digits:
    const raw = JSON.stringify(create("r2", 1)).replace(
      '"Owner_Account":"owner"',
      '"Owner_Account":144115233775727695',
    );
    fold([raw], s);
    expect(summary(room(s, "r2")).ownerId).toBe("144115233775727695");
  });
});

describe("presence", () => {
  test("enter and leave of every Type close sessions with that Type and Reason", () => {
    const s = fold([
      create("r", 1),
      enter("r", 10, ["a", "b", "c", "d"], 4),
      leave("r", 20, ["a"], "Leave", "bye"),
      leave("r", 30, ["b"], "Kicked", "spam"),
      leave("r", 40, ["c"], "Expired", ""),
    ]);
    expect(members(s, "r")).toEqual(["d"]);
    const a = attendance(room(s, "r"), 5, 100);
    expect(a.sessions.map((x) => [x.userId, x.leftAt, x.leaveType, x.reason, x.durationMs])).toEqual([
      ["a", 20, "Leave", "bye", 10],
      ["b", 30, "Kicked", "spam", 20],
      ["c", 40, "Expired", "", 30],
      ["d", null, null, null, 90],
    ]);
  });

  test("a late, older leave does not undo a newer enter; a late older enter does not undo a leave", () => {
    const s = fold([
      create("r", 1),
      enter("r", 30, ["a"]),
      leave("r", 20, ["a"]),
      leave("r", 50, ["b"]),
      enter("r", 40, ["b"]),
    ]);
    expect(members(s, "r")).toEqual(["a"]);
    expect(room(s, "r").members).toBe(1);
  });

  test("equal EventTimes go by seq", () => {
    const s = fold([create("r", 1), enter("r", 10, ["a"]), leave("r", 10, ["a"])]);
    expect(members(s, "r")).toEqual([]);
  });

  test("a duplicate enter keeps one open session", () => {
    const e = enter("r", 10, ["a"]);
    const s = fold([create("r", 1), e, e, enter("r", 15, ["a"])]);
    expect(attendance(room(s, "r"), 0, 20).sessions).toHaveLength(1);
    expect(room(s, "r").members).toBe(1);
  });

  test("MemberCount from Tencent is kept beside our count, from the latest event", () => {
    const s = fold([create("r", 1), enter("r", 10, ["a"], 7), leave("r", 5, ["x"]), enter("r", 8, ["b"], 3)]);
    expect(summary(room(s, "r"))).toMatchObject({ memberCount: 2, tencentMemberCount: 7 });
  });
});

describe("seats", () => {
  test("merged by Index; emptied with an absent or an empty Member_Account; older entries ignored", () => {
    const s = fold([
      create("r", 1),
      seats("r", 10, [
        { Index: 0, Member_Account: "a" },
        { Index: 1, Member_Account: "b" },
        { Index: 2, Member_Account: "c" },
      ]),
      seats("r", 20, [{ Index: 0, Member_Account: "" }]),
      seats("r", 30, [{ Index: 1, IsTakenDisabled: "true" }]),
      seats("r", 15, [
        { Index: 1, Member_Account: "late" },
        { Index: 3, Member_Account: "d" },
      ]),
    ]);
    const d = detail(room(s, "r"), 0);
    expect(d.seats.map((x) => [x.index, x.userId, x.isTakenDisabled])).toEqual([
      [0, null, false],
      [1, null, true],
      [2, "c", false],
      [3, "d", false],
    ]);
    expect(d.seatedCount).toBe(2);
  });
});

describe("destroy", () => {
  test("empties members and seats, closes sessions as RoomDestroyed, ignores older events after it", () => {
    const s = fold([
      create("r", 1),
      enter("r", 10, ["a", "b"]),
      seats("r", 11, [{ Index: 0, Member_Account: "a" }]),
      leave("r", 12, ["b"]),
      destroy("r", 20),
      enter("r", 15, ["late"]),
      seats("r", 16, [{ Index: 1, Member_Account: "late" }]),
    ]);
    const d = detail(room(s, "r"), 0);
    expect(d).toMatchObject({ status: "destroyed", destroyedAt: 20, members: [], seats: [], memberCount: 0 });
    const sessions = attendance(room(s, "r"), 0, 0).sessions;
    expect(sessions.map((x) => [x.userId, x.leaveType, x.leftAt])).toEqual([
      ["a", "RoomDestroyed", 20],
      ["b", "Leave", 12],
    ]);
  });

  test("a late destroy keeps what came after it", () => {
    const s = fold([create("r", 1), enter("r", 10, ["a"]), create("r", 30), enter("r", 40, ["b"]), destroy("r", 20)]);
    expect(summary(room(s, "r")).status).toBe("active");
    expect(members(s, "r")).toEqual(["b"]);
  });

  test("a destroyed room id created again is a new room: new RoomInfo, new attendance", () => {
    const s = fold([
      create("r", 1, { RoomName: "first" }),
      enter("r", 10, ["a"]),
      destroy("r", 20),
      create("r", 30, { RoomName: "second" }),
      enter("r", 40, ["b"]),
    ]);
    const d = detail(room(s, "r"), 0);
    expect(d).toMatchObject({ status: "active", roomName: "second", createdAt: 30, destroyedAt: null });
    expect(d.members.map((m) => m.userId)).toEqual(["b"]);
    expect(attendance(room(s, "r"), 0, 50).sessions.map((x) => x.userId)).toEqual(["b"]);
  });

  test("destroyed rooms are dropped after the retention, by their destroy time", () => {
    const s = fold([create("old", 1), destroy("old", 1000), create("new", 1), destroy("new", 5000), create("live", 1)]);
    expect(dropDestroyed(s, 2000)).toBe(1);
    expect([...s.apps.get(APP)!.keys()].sort()).toEqual(["live", "new"]);
  });
});

describe("apps and lines", () => {
  test("the same room id in two apps is two rooms", () => {
    const s = fold([
      { app: 1, body: enter("r", 1, ["a"]) },
      { app: 2, body: enter("r", 2, ["b"]) },
    ]);
    expect(members(s, "r", 1)).toEqual(["a"]);
    expect(members(s, "r", 2)).toEqual(["b"]);
  });

  test("other lines move the seq and nothing else; the alias is an update", () => {
    const s = emptyState();
    apply(s, decodeLine(line(1, { CallbackCommand: "Room.CallbackSomethingNew", RoomId: "x", EventTime: 1 })), 1);
    apply(s, decodeLine("not json"), 2);
    const alias = line(3, { ...update("r", 5, { RoomName: "n" }), CallbackCommand: "Room.CallbackUpdateRoomInfo" });
    apply(
      s,
      decodeLine(alias.replace('"type":"Room.CallbackUpdateRoomInfo"', '"type":"Room.CallbackAfterUpdateRoomInfo"')),
      3,
    );
    expect(s.seq).toBe(3);
    expect(room(s, "r").info).toEqual({ RoomId: "r", RoomName: "n" });
    expect(getRoom(s, APP, "x")).toBeUndefined();
  });
});
