// Unit tests for the callback body schemas: src/callback/schemas.ts, validate.ts, examples.ts (README "The callback endpoint").
import { describe, expect, test } from "bun:test";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { ALIASES, canonicalCommand, COMMANDS, isKnownCommand, type KnownCommand } from "../../src/callback/schemas.ts";
import { BodyValidators } from "../../src/callback/validate.ts";

const validators = new BodyValidators();
type Body = Record<string, any>;
const example = (c: KnownCommand): Body => JSON.parse(EXAMPLES[c]) as Body;
const ALL = Object.keys(COMMANDS) as KnownCommand[];

describe("EXAMPLES", () => {
  test("cover exactly the six documented commands", () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(
      [
        "Mic.CallbackAfterSeatInfoChanged",
        "Room.CallbackAfterCreateRoom",
        "Room.CallbackAfterDestroyRoom",
        "Room.CallbackAfterMemberEnter",
        "Room.CallbackAfterMemberLeave",
        "Room.CallbackAfterUpdateRoomInfo",
      ].sort(),
    );
    expect([...ALL].sort() as string[]).toEqual(Object.keys(EXAMPLES).sort());
  });

  test("each example names its own command", () => {
    for (const c of ALL) expect(example(c).CallbackCommand).toBe(c);
  });

  test("the seat example keeps the 18-digit account id unquoted", () => {
    expect(EXAMPLES["Mic.CallbackAfterSeatInfoChanged"]).toContain('"Member_Account":144115233775727695');
  });
});

describe("BodyValidators.check", () => {
  test.each(ALL)("the official example of %s validates", (c) => {
    expect(validators.check(c, example(c))).toBeNull();
  });

  test("the alias Room.CallbackUpdateRoomInfo validates as Room.CallbackAfterUpdateRoomInfo", () => {
    const body = { ...example("Room.CallbackAfterUpdateRoomInfo"), CallbackCommand: "Room.CallbackUpdateRoomInfo" };
    expect(validators.check("Room.CallbackAfterUpdateRoomInfo", body)).toBeNull();
  });

  test("the alias is not accepted for another command", () => {
    const body = { ...example("Room.CallbackAfterMemberEnter"), CallbackCommand: "Room.CallbackUpdateRoomInfo" };
    expect(validators.check("Room.CallbackAfterMemberEnter", body)).toStartWith("/CallbackCommand:");
  });

  test("a body naming another command fails at /CallbackCommand", () => {
    const body = { ...example("Room.CallbackAfterMemberEnter"), CallbackCommand: "Room.CallbackAfterMemberLeave" };
    expect(validators.check("Room.CallbackAfterMemberEnter", body)).toStartWith("/CallbackCommand:");
  });

  describe("tolerated drift", () => {
    test('"false" and "true" as strings for a Bool', () => {
      const body = example("Room.CallbackAfterUpdateRoomInfo");
      expect(body.RoomInfo.IsCloudRecordingDisabled).toBe("false"); // the example's own quirk
      body.RoomInfo.IsVideoDisabled = "true";
      expect(validators.check("Room.CallbackAfterUpdateRoomInfo", body)).toBeNull();
      const seat = example("Mic.CallbackAfterSeatInfoChanged");
      seat.SeatList[0].IsTakenDisabled = "true";
      expect(validators.check("Mic.CallbackAfterSeatInfoChanged", seat)).toBeNull();
    });

    test("numeric account ids", () => {
      const seat = example("Mic.CallbackAfterSeatInfoChanged");
      expect(typeof seat.SeatList[0].Member_Account).toBe("number");
      expect(validators.check("Mic.CallbackAfterSeatInfoChanged", seat)).toBeNull();
      const enter = {
        ...example("Room.CallbackAfterMemberEnter"),
        Operator_Account: 42,
        MemberList_Account: [1, "u2"],
      };
      expect(validators.check("Room.CallbackAfterMemberEnter", enter)).toBeNull();
    });

    test('a free seat: Member_Account absent or ""', () => {
      const seat = example("Mic.CallbackAfterSeatInfoChanged");
      seat.SeatList = [{ Index: 0, Member_Account: "" }, { Index: 1 }];
      expect(validators.check("Mic.CallbackAfterSeatInfoChanged", seat)).toBeNull();
    });

    test('RoomType "Conference" as well as "Meeting"', () => {
      const body = example("Room.CallbackAfterCreateRoom");
      body.RoomInfo.RoomType = "Conference";
      expect(validators.check("Room.CallbackAfterCreateRoom", body)).toBeNull();
    });

    test("optional descriptive fields may be omitted", () => {
      const { Operator_Account: _o, MemberCount: _m, Type: _t, ...rest } = example("Room.CallbackAfterMemberEnter");
      expect(validators.check("Room.CallbackAfterMemberEnter", rest)).toBeNull();
    });

    test("extra unknown fields are allowed, at the top and nested", () => {
      const body = example("Room.CallbackAfterCreateRoom");
      body.SomethingNew = { deep: [1, 2, 3] };
      body.RoomInfo.AnotherNewField = "x";
      expect(validators.check("Room.CallbackAfterCreateRoom", body)).toBeNull();
      const seat = example("Mic.CallbackAfterSeatInfoChanged");
      seat.SeatList[0].IsMuted = true;
      expect(validators.check("Mic.CallbackAfterSeatInfoChanged", seat)).toBeNull();
    });
  });

  describe("real violations name the path", () => {
    test("RoomId as a number for MemberEnter", () => {
      const body = { ...example("Room.CallbackAfterMemberEnter"), RoomId: 123 };
      expect(validators.check("Room.CallbackAfterMemberEnter", body)).toStartWith("/RoomId:");
    });

    test("MemberList_Account missing", () => {
      const { MemberList_Account: _, ...body } = example("Room.CallbackAfterMemberLeave");
      const msg = validators.check("Room.CallbackAfterMemberLeave", body);
      expect(msg).toStartWith("/MemberList_Account:");
      expect(msg).toContain("missing");
    });

    test("MemberList_Account holding an object", () => {
      const body = { ...example("Room.CallbackAfterMemberEnter"), MemberList_Account: [{ id: "u1" }] };
      expect(validators.check("Room.CallbackAfterMemberEnter", body)).toStartWith("/MemberList_Account/0:");
    });

    test("SeatList[0].Index as a string", () => {
      const body = example("Mic.CallbackAfterSeatInfoChanged");
      body.SeatList[0].Index = "1";
      expect(validators.check("Mic.CallbackAfterSeatInfoChanged", body)).toStartWith("/SeatList/0/Index:");
    });

    test('IsVideoDisabled "yes"', () => {
      const body = example("Room.CallbackAfterUpdateRoomInfo");
      body.RoomInfo.IsVideoDisabled = "yes";
      expect(validators.check("Room.CallbackAfterUpdateRoomInfo", body)).toStartWith("/RoomInfo/IsVideoDisabled:");
    });

    test("EventTime missing", () => {
      const { EventTime: _, ...body } = example("Room.CallbackAfterDestroyRoom");
      const msg = validators.check("Room.CallbackAfterDestroyRoom", body);
      expect(msg).toStartWith("/EventTime:");
      expect(msg).toContain("missing");
    });

    test("EventTime not an integer", () => {
      for (const t of [1.5, "1670574414123"]) {
        const body = { ...example("Room.CallbackAfterDestroyRoom"), EventTime: t };
        expect(validators.check("Room.CallbackAfterDestroyRoom", body)).toStartWith("/EventTime:");
      }
    });

    test("RoomInfo.RoomId missing on create", () => {
      const body = example("Room.CallbackAfterCreateRoom");
      delete body.RoomInfo.RoomId;
      expect(validators.check("Room.CallbackAfterCreateRoom", body)).toStartWith("/RoomInfo/RoomId:");
    });

    test("SeatList not an array", () => {
      const body = { ...example("Mic.CallbackAfterSeatInfoChanged"), SeatList: { Index: 1 } };
      expect(validators.check("Mic.CallbackAfterSeatInfoChanged", body)).toStartWith("/SeatList:");
    });

    test("a body that is not an object", () => {
      for (const b of [null, [], "x", 1])
        expect(validators.check("Room.CallbackAfterDestroyRoom", b)).toStartWith("/:");
    });
  });

  test("a fresh instance gives the same answers as a warmed one", () => {
    const fresh = new BodyValidators();
    const bad = { ...example("Room.CallbackAfterMemberEnter"), RoomId: 1 };
    expect(fresh.check("Room.CallbackAfterMemberEnter", bad)).toBe(
      validators.check("Room.CallbackAfterMemberEnter", bad),
    );
  });
});

describe("canonicalCommand", () => {
  test("maps the alias to the documented name", () => {
    expect(canonicalCommand("Room.CallbackUpdateRoomInfo")).toBe("Room.CallbackAfterUpdateRoomInfo");
    expect(ALIASES["Room.CallbackUpdateRoomInfo"]).toBe("Room.CallbackAfterUpdateRoomInfo");
  });

  test("leaves known and unknown names as they are", () => {
    expect(canonicalCommand("Room.CallbackAfterMemberEnter")).toBe("Room.CallbackAfterMemberEnter");
    expect(canonicalCommand("Room.CallbackSomethingNew")).toBe("Room.CallbackSomethingNew");
    expect(canonicalCommand("")).toBe("");
  });

  // Regression guard (src/callback/schemas.ts canonicalCommand): ALIASES is a plain object, so `ALIASES[name] ?? name`
  // finds Object.prototype members. canonicalCommand("toString") returns a function, "__proto__" returns
  // Object.prototype. In ingest.ts that value becomes fields.type, so a callback whose CallbackCommand is
  // "toString" is journaled with no "type" key at all (JSON.stringify drops functions) and "__proto__"
  // with "type":{}. Fix with Object.hasOwn(ALIASES, name) or a null-prototype object / Map.
  test("names of Object.prototype members come back unchanged", () => {
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      expect(canonicalCommand(name)).toBe(name);
    }
  });
});

describe("isKnownCommand", () => {
  test("the six documented commands are known", () => {
    for (const c of Object.keys(EXAMPLES)) expect(isKnownCommand(c)).toBe(true);
  });

  test("unknown names, prototype keys and wrong case are not", () => {
    for (const c of ["Room.CallbackSomethingNew", "", "toString", "__proto__", "room.callbackaftermemberenter"]) {
      expect(isKnownCommand(c)).toBe(false);
    }
  });

  test("the alias is known only after canonicalisation", () => {
    expect(isKnownCommand("Room.CallbackUpdateRoomInfo")).toBe(false);
    expect(isKnownCommand(canonicalCommand("Room.CallbackUpdateRoomInfo"))).toBe(true);
  });
});
