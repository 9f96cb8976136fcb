// roomhook's REST client against the emulator's HTTP face, in process: the query string Tencent
// requires, a UserSig that verifies, answers parsed; plus the command list, durations and the
// error explanations the CLI prints.
import { afterAll, describe, expect, test } from "bun:test";
import { parseDuration } from "../../src/cli/emulate.ts";
import { Emulator } from "../../src/emulator/emulator.ts";
import { serveEmulator } from "../../src/emulator/server.ts";
import { ALL_CALLBACK_COMMANDS, listEnables, parseCommandList } from "../../src/tencent/callback-commands.ts";
import { explainError } from "../../src/tencent/errors.ts";
import { callRest, RestError, restUrl } from "../../src/tencent/rest-client.ts";
import { verifyUserSig } from "../../src/tencent/usersig.ts";

const APP = 1400000000;
const KEY = "client-test-key";
const creds = { sdkAppId: APP, identifier: "administrator", secretKey: KEY };
const em = new Emulator({ sdkAppId: APP, secretKey: KEY, admins: ["administrator"] });
const server = serveEmulator(em, { hostname: "127.0.0.1", port: 0 });
afterAll(() => server.stop(true));
const endpoint = `http://127.0.0.1:${server.port}`;

describe("the REST client", () => {
  test("its URL carries sdkappid, identifier, a valid UserSig, random and contenttype=json", () => {
    const u = restUrl("https://adminapisgp.im.qcloud.com", "room_config", "get_callback", creds);
    expect(u.origin + u.pathname).toBe("https://adminapisgp.im.qcloud.com/v4/room_config/get_callback");
    const q = u.searchParams;
    expect([q.get("sdkappid"), q.get("identifier"), q.get("contenttype")]).toEqual([
      String(APP),
      "administrator",
      "json",
    ]);
    expect(Number(q.get("random"))).toBeLessThan(2 ** 32);
    const nowS = Math.floor(Date.now() / 1000);
    expect(verifyUserSig(KEY, q.get("usersig")!, { sdkAppId: APP, identifier: "administrator", nowS })).toBeNull();
    // An endpoint with a path prefix keeps it.
    expect(restUrl("http://h:1/tencent", "s", "c", creds).pathname).toBe("/tencent/v4/s/c");
  });

  test("round trip against the emulator: OK with Response, FAIL with Tencent's code", async () => {
    const set = await callRest(
      {
        endpoint,
        service: "room_config",
        command: "set_callback",
        body: { Url: "http://x/cb", CallbackCommandList: ["Room.CallbackAfterCreateRoom"] },
      },
      creds,
    );
    expect(set).toMatchObject({ ActionStatus: "OK", ErrorCode: 0 });
    const get = await callRest({ endpoint, service: "room_config", command: "get_callback", body: {} }, creds);
    expect(get.Response).toEqual({ Url: "http://x/cb", CallbackCommandList: ["Room.CallbackAfterCreateRoom"] });
    const bad = await callRest(
      { endpoint, service: "room_config", command: "get_callback", body: {} },
      { ...creds, secretKey: "nope" },
    );
    expect(bad).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 60004 });
  });

  test("no answer, or not Tencent's, is a RestError that does not show the UserSig", async () => {
    const err = await callRest({ endpoint: "http://127.0.0.1:1", service: "s", command: "c", body: {} }, creds).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(RestError);
    expect(String(err.message)).not.toContain("usersig");
    const notTencent = await callRest(
      { endpoint: `${endpoint}/emulator`, service: "s", command: "c", body: {} },
      creds,
    ).catch((e) => e);
    expect(notTencent).toBeInstanceOf(RestError);
    expect(String(notTencent.message)).toContain("HTTP 404");
  });
});

describe("CLI helpers", () => {
  test("--commands: all is the six commands and the update alias; unknown names are refused", () => {
    expect(parseCommandList("all")).toEqual([...ALL_CALLBACK_COMMANDS]);
    expect(ALL_CALLBACK_COMMANDS).toHaveLength(7);
    expect(parseCommandList(" Room.CallbackAfterCreateRoom, Room.CallbackAfterCreateRoom ")).toEqual([
      "Room.CallbackAfterCreateRoom",
    ]);
    expect(() => parseCommandList("Room.CallbackAfterCreatRoom")).toThrow("unknown callback command");
    expect(() => parseCommandList(",")).toThrow("empty");
    expect(listEnables(["Room.CallbackUpdateRoomInfo"], "Room.CallbackAfterUpdateRoomInfo")).toBe(true);
    expect(listEnables(["Room.CallbackAfterCreateRoom"], "Room.CallbackAfterDestroyRoom")).toBe(false);
  });

  test("durations and error explanations", () => {
    expect([
      parseDuration("90s"),
      parseDuration("5m"),
      parseDuration("1h"),
      parseDuration("250ms"),
      parseDuration("2"),
    ]).toEqual([90_000, 300_000, 3_600_000, 250, 2000]);
    expect(() => parseDuration("soon")).toThrow("--duration");
    expect(explainError(100300)).toContain("update-callback");
    expect(explainError(100301)).toContain("set-callback");
    expect(explainError(60010)).toContain("administrator");
    expect(explainError(12345)).toBeNull();
  });
});
