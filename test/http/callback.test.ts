// The callback checks (README "The callback endpoint") row by row, in process through app.handle, with a real journal on disk.
import { afterEach, describe, expect, test } from "bun:test";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { ErrorCodes } from "../../src/callback/ack.ts";
import { journalDir, quarantineDir } from "../../src/journal/journal.ts";
import type { WriterIo } from "../../src/journal/writer.ts";
import { writeSync, fdatasync } from "node:fs";
import { APP_ID, answer, callbackUrl, post, rawText, readLines, startApp, tencentParams } from "../support/app.ts";

const ENTER = "Room.CallbackAfterMemberEnter";
let current: ReturnType<typeof startApp> | null = null;

function start(opts: Parameters<typeof startApp>[0] = {}) {
  current = startApp(opts);
  return current;
}

afterEach(async () => {
  if (current) {
    await current.close();
    current.cleanup();
    current = null;
  }
});

function enterBody(n: number): string {
  return EXAMPLES[ENTER].replace('"EventTime":1670574414123', `"EventTime":${1670574414123 + n}`);
}

type Params = Record<string, string | number | undefined>;

async function send(
  h: ReturnType<typeof startApp>,
  body: string,
  params: Params = tencentParams(ENTER),
  headers: Record<string, string> = {},
) {
  return answer(await h.app.handle(post(callbackUrl(params), body, headers)));
}

function expectFail(
  r: { status: number; body: { ActionStatus: string; ErrorInfo: string; ErrorCode: number } },
  status: number,
  code: number,
) {
  expect(r.status).toBe(status);
  expect(r.body.ActionStatus).toBe("FAIL");
  expect(r.body.ErrorCode).toBe(code);
  expect(r.body.ErrorInfo.length).toBeGreaterThan(0);
}

describe("source allowlist", () => {
  test("an address outside allow_from gets 403 and nothing is stored", async () => {
    const h = start({ file: { server: { allow_from: ["203.0.113.0/24"], trust_proxy: true } } });
    const r = await send(h, enterBody(1), tencentParams(ENTER), { "x-forwarded-for": "198.51.100.7" });
    expectFail(r, 403, ErrorCodes.SOURCE_NOT_ALLOWED);
    expect(readLines(journalDir(h.dataDir))).toHaveLength(0);
    expect(h.logs.some((l) => l.msg === "callback rejected" && l.code === ErrorCodes.SOURCE_NOT_ALLOWED)).toBe(true);
  });

  test("with trust_proxy the last X-Forwarded-For hop decides", async () => {
    const h = start({ file: { server: { allow_from: ["203.0.113.0/24"], trust_proxy: true } } });
    const ok = await send(h, enterBody(2), tencentParams(ENTER), { "x-forwarded-for": "198.51.100.7, 203.0.113.9" });
    expect(ok.status).toBe(200);
    const spoofed = await send(h, enterBody(3), tencentParams(ENTER), {
      "x-forwarded-for": "203.0.113.9, 198.51.100.7",
    });
    expect(spoofed.status).toBe(403);
  });

  test("without trust_proxy X-Forwarded-For is ignored (no socket here, so a non-empty list denies)", async () => {
    const h = start({ file: { server: { allow_from: ["203.0.113.0/24"] } } });
    const r = await send(h, enterBody(4), tencentParams(ENTER), { "x-forwarded-for": "203.0.113.9" });
    expect(r.status).toBe(403);
  });
});

describe("body limit", () => {
  test("a body over max_body_bytes gets 413, checked before the SdkAppid", async () => {
    const h = start({ file: { server: { max_body_bytes: 2048 } } });
    const big = JSON.stringify({ CallbackCommand: ENTER, pad: "x".repeat(4000) });
    const r = await send(h, big, tencentParams(ENTER, { sdkAppId: 999 }));
    expectFail(r, 413, ErrorCodes.BODY_TOO_LARGE);
  });

  test("a streamed body without content-length is cut off too", async () => {
    const h = start({ file: { server: { max_body_bytes: 2048 } } });
    const chunk = new TextEncoder().encode("x".repeat(1000));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(chunk);
        c.close();
      },
    });
    const req = new Request(callbackUrl(tencentParams(ENTER)), {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(req.headers.has("content-length")).toBe(false);
    const r = await answer(await h.app.handle(req));
    expectFail(r, 413, ErrorCodes.BODY_TOO_LARGE);
  });

  test("a body exactly at the limit is accepted", async () => {
    const h = start({ file: { server: { max_body_bytes: 2048 } } });
    const base = enterBody(5);
    const body = base.replace('"Type":"Enter"', `"Type":"Enter","pad":"${"y".repeat(2048 - base.length - 9)}"`);
    expect(Buffer.byteLength(body)).toBe(2048);
    expect((await send(h, body)).status).toBe(200);
  });
});

describe("SdkAppid", () => {
  test("missing: 403", async () => {
    const h = start();
    const { SdkAppid: _omit, ...rest } = tencentParams(ENTER);
    expectFail(await send(h, enterBody(1), rest), 403, ErrorCodes.SDKAPPID_MISSING);
  });

  test("not configured: 403, and not a number: 403", async () => {
    const h = start();
    expectFail(
      await send(h, enterBody(1), tencentParams(ENTER, { sdkAppId: 1400000001 })),
      403,
      ErrorCodes.SDKAPPID_UNKNOWN,
    );
    expectFail(
      await send(h, enterBody(1), tencentParams(ENTER, { sdkAppId: "14e8" })),
      403,
      ErrorCodes.SDKAPPID_UNKNOWN,
    );
    expect(readLines(journalDir(h.dataDir))).toHaveLength(0);
  });

  test("the parameter name is matched case-insensitively", async () => {
    const h = start();
    for (const [i, name] of ["sdkappid", "SDKAPPID", "SdkAppId"].entries()) {
      const { SdkAppid, ...rest } = tencentParams(ENTER);
      const r = await send(h, enterBody(10 + i), { ...rest, [name]: SdkAppid });
      expect(r.status).toBe(200);
    }
    expect(readLines(journalDir(h.dataDir))).toHaveLength(3);
  });

  test("several apps: each is accepted and recorded with its own id", async () => {
    const h = start({ file: { apps: [{ sdk_app_id: APP_ID }, { sdk_app_id: 1600000001 }] } });
    expect((await send(h, enterBody(1), tencentParams(ENTER, { sdkAppId: 1600000001 }))).status).toBe(200);
    expect(readLines(journalDir(h.dataDir))[0]!.sdkAppId).toBe(1600000001);
  });
});

describe("Sign / RequestTime", () => {
  const token = "s3cret-token-value";
  const now = 1_800_000_000_000;
  const withToken = () => start({ file: { apps: [{ sdk_app_id: APP_ID, token, sign_window_s: 60 }] }, now: () => now });

  test("a correct Sign inside the window is accepted", async () => {
    const h = withToken();
    const r = await send(h, enterBody(1), tencentParams(ENTER, { token, requestTime: now / 1000 - 59 }));
    expect(r.status).toBe(200);
  });

  test("missing, malformed, stale and wrong signatures get 401 and are not stored", async () => {
    const h = withToken();
    expectFail(await send(h, enterBody(1), tencentParams(ENTER)), 401, ErrorCodes.SIGN_MISSING);
    const p = tencentParams(ENTER, { token, requestTime: now / 1000 });
    expectFail(await send(h, enterBody(1), { ...p, RequestTime: "yesterday" }), 401, ErrorCodes.REQUEST_TIME_MALFORMED);
    expectFail(
      await send(h, enterBody(1), tencentParams(ENTER, { token, requestTime: now / 1000 - 61 })),
      401,
      ErrorCodes.REQUEST_TIME_STALE,
    );
    expectFail(
      await send(h, enterBody(1), tencentParams(ENTER, { token, requestTime: now / 1000 + 61 })),
      401,
      ErrorCodes.REQUEST_TIME_STALE,
    );
    expectFail(
      await send(h, enterBody(1), tencentParams(ENTER, { token: "other", requestTime: now / 1000 })),
      401,
      ErrorCodes.SIGN_MISMATCH,
    );
    expect(readLines(journalDir(h.dataDir))).toHaveLength(0);
    expect(readLines(quarantineDir(h.dataDir))).toHaveLength(0);
  });

  test("the token never appears in answers or logs", async () => {
    const h = withToken();
    const r = await send(h, enterBody(1), tencentParams(ENTER, { token: "other", requestTime: now / 1000 }));
    expect(JSON.stringify(r.body)).not.toContain(token);
    expect(JSON.stringify(h.logs)).not.toContain(token);
  });

  test("an app without a token does not need a Sign", async () => {
    const h = start({ file: { apps: [{ sdk_app_id: APP_ID, token }, { sdk_app_id: 1600000001 }] }, now: () => now });
    expect((await send(h, enterBody(1), tencentParams(ENTER, { sdkAppId: 1600000001 }))).status).toBe(200);
    expect((await send(h, enterBody(2), tencentParams(ENTER))).status).toBe(401);
  });
});

describe("body", () => {
  test("not JSON, invalid UTF-8, or not an object: 400, not stored", async () => {
    const h = start();
    expectFail(await send(h, "{not json"), 400, ErrorCodes.BODY_NOT_JSON);
    const invalidUtf8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expectFail(
      await answer(await h.app.handle(post(callbackUrl(tencentParams(ENTER)), invalidUtf8))),
      400,
      ErrorCodes.BODY_NOT_JSON,
    );
    expectFail(await send(h, "[1,2]"), 400, ErrorCodes.BODY_NOT_OBJECT);
    expectFail(await send(h, "null"), 400, ErrorCodes.BODY_NOT_OBJECT);
    expectFail(await send(h, ""), 400, ErrorCodes.BODY_NOT_JSON);
    expect(readLines(journalDir(h.dataDir))).toHaveLength(0);
    expect(readLines(quarantineDir(h.dataDir))).toHaveLength(0);
  });

  test("the content-type header does not matter", async () => {
    const h = start();
    const r = await answer(
      await h.app.handle(
        new Request(callbackUrl(tencentParams(ENTER)), {
          method: "POST",
          body: enterBody(1),
          headers: { "content-type": "text/plain" },
        }),
      ),
    );
    expect(r.status).toBe(200);
  });
});

describe("command consistency and schemas", () => {
  test("body command differing from the query: 400, quarantined with the reason", async () => {
    const h = start();
    const r = await send(h, EXAMPLES["Room.CallbackAfterDestroyRoom"], tencentParams(ENTER));
    expectFail(r, 400, ErrorCodes.COMMAND_MISMATCH);
    const q = readLines(quarantineDir(h.dataDir));
    expect(q).toHaveLength(1);
    expect(q[0]!.reason).toContain("differs");
    expect(q[0]!.data).toEqual(JSON.parse(EXAMPLES["Room.CallbackAfterDestroyRoom"]));
    expect(readLines(journalDir(h.dataDir))).toHaveLength(0);
  });

  test("a known command whose body breaks its schema: 422, quarantined, the path named", async () => {
    const h = start();
    const bad = EXAMPLES[ENTER].replace('"RoomId":"rid-123"', '"RoomId":123');
    const r = await send(h, bad);
    expectFail(r, 422, ErrorCodes.SCHEMA_VIOLATION);
    expect(r.body.ErrorInfo).toContain("/RoomId");
    const q = readLines(quarantineDir(h.dataDir));
    expect(q).toHaveLength(1);
    expect(q[0]!.type).toBe(ENTER);
    expect(typeof q[0]!.reason).toBe("string");
  });

  test("a body with no command anywhere: 422, quarantined", async () => {
    const h = start();
    const { CallbackCommand: _c, ...params } = tencentParams(ENTER);
    const r = await send(h, '{"RoomId":"r1","EventTime":1}', params);
    expectFail(r, 422, ErrorCodes.COMMAND_MISSING);
    expect(readLines(quarantineDir(h.dataDir))).toHaveLength(1);
  });

  test("all six official examples are accepted and journaled with their type and room", async () => {
    const h = start();
    for (const [cmd, body] of Object.entries(EXAMPLES)) {
      const r = await send(h, body, tencentParams(cmd));
      expect({ cmd, status: r.status, body: r.body }).toEqual({
        cmd,
        status: 200,
        body: { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 },
      });
    }
    const lines = readLines(journalDir(h.dataDir));
    expect(lines.map((l) => l.type)).toEqual(Object.keys(EXAMPLES));
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines[0]!.roomId).toBe("tandy-test-rest"); // from RoomInfo.RoomId
    expect(lines[3]!.roomId).toBe("rid-123");
    expect(lines[3]!.clientIp).toBe("10.1.2.3");
    expect(lines[3]!.optPlatform).toBe("Web");
    expect(lines[3]!.eventTime).toBe(1670574414123);
  });

  test("Room.CallbackUpdateRoomInfo is an alias: accepted, journaled under the canonical type", async () => {
    const h = start();
    const body = EXAMPLES["Room.CallbackAfterUpdateRoomInfo"].replace(
      "Room.CallbackAfterUpdateRoomInfo",
      "Room.CallbackUpdateRoomInfo",
    );
    expect((await send(h, body, tencentParams("Room.CallbackUpdateRoomInfo"))).status).toBe(200);
    // query and body may use different spellings of the same command
    expect(
      (await send(h, EXAMPLES["Room.CallbackAfterUpdateRoomInfo"], tencentParams("Room.CallbackUpdateRoomInfo")))
        .status,
    ).toBe(200);
    const lines = readLines(journalDir(h.dataDir));
    expect(lines.map((l) => l.type)).toEqual(["Room.CallbackAfterUpdateRoomInfo", "Room.CallbackAfterUpdateRoomInfo"]);
    expect((lines[0]!.data as { CallbackCommand: string }).CallbackCommand).toBe("Room.CallbackUpdateRoomInfo");
  });

  test("the body is stored byte for byte: an account id beyond 2^53 keeps every digit", async () => {
    const h = start();
    expect(
      (await send(h, EXAMPLES["Mic.CallbackAfterSeatInfoChanged"], tencentParams("Mic.CallbackAfterSeatInfoChanged")))
        .status,
    ).toBe(200);
    const raw = rawText(journalDir(h.dataDir));
    expect(raw).toContain(`"data":${EXAMPLES["Mic.CallbackAfterSeatInfoChanged"]}}`);
    expect(raw).toContain("144115233775727695");
  });

  test("a pretty-printed body becomes one journal line with the same tokens", async () => {
    const h = start();
    const pretty = JSON.stringify(JSON.parse(enterBody(7)), null, 2);
    expect((await send(h, pretty)).status).toBe(200);
    const raw = rawText(journalDir(h.dataDir));
    expect(raw.trimEnd().split("\n")).toHaveLength(1);
    expect(readLines(journalDir(h.dataDir))[0]!.data).toEqual(JSON.parse(pretty));
  });
});

describe("unknown commands and duplicates", () => {
  test("an unknown command is acknowledged and journaled as is", async () => {
    const h = start();
    const body = '{"CallbackCommand":"Room.CallbackAfterSomethingNew","RoomId":"r9","Whatever":[1,2,3]}';
    const r = await send(h, body, tencentParams("Room.CallbackAfterSomethingNew"));
    expect(r.status).toBe(200);
    expect(r.body.ActionStatus).toBe("OK");
    const lines = readLines(journalDir(h.dataDir));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.type).toBe("Room.CallbackAfterSomethingNew");
    expect(lines[0]!.roomId).toBe("r9");
  });

  test("a duplicate is acknowledged but stored once; the same id both times", async () => {
    const h = start();
    expect((await send(h, enterBody(1))).status).toBe(200);
    expect((await send(h, enterBody(1))).status).toBe(200);
    // concurrent duplicates while the first write is in flight
    const rs = await Promise.all([1, 2, 3].map(() => send(h, enterBody(2))));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    const lines = readLines(journalDir(h.dataDir));
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map((l) => l.id)).size).toBe(2);
  });

  test("dedupe window 0 stores every copy", async () => {
    const h = start({ file: { dedupe: { window: 0 } } });
    await send(h, enterBody(1));
    await send(h, enterBody(1));
    expect(readLines(journalDir(h.dataDir))).toHaveLength(2);
  });

  test("the window remembers at least the last `window` ids and forgets older ones", async () => {
    const h = start({ file: { dedupe: { window: 2 } } });
    for (const n of [1, 2, 3, 4, 5]) await send(h, enterBody(n));
    await send(h, enterBody(1)); // long gone: stored again
    await send(h, enterBody(4)); // among the last two: remembered
    await send(h, enterBody(5));
    expect(readLines(journalDir(h.dataDir))).toHaveLength(6);
  });
});

describe("journal failure", () => {
  function failingIo(state: { fail: boolean }): WriterIo {
    return {
      writeSync: (fd, buf, off, len) => {
        if (state.fail) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return writeSync(fd, buf, off, len);
      },
      fdatasync: (fd, cb) => fdatasync(fd, cb),
    };
  }

  test("a write error answers 503 FAIL, readyz turns unready, nothing half-written stays", async () => {
    const state = { fail: false };
    const h = start({ io: failingIo(state) });
    expect((await send(h, enterBody(1))).status).toBe(200);
    state.fail = true;
    const r = await send(h, enterBody(2));
    expectFail(r, 503, ErrorCodes.JOURNAL_UNAVAILABLE);
    const ready = await h.app.handle(new Request("http://localhost/readyz"));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { problems: string[] }).problems.join()).toContain("ENOSPC");
    // a retry of the failed event is not mistaken for a duplicate once the disk is back
    state.fail = false;
    expect((await send(h, enterBody(2))).status).toBe(200);
    expect((await h.app.handle(new Request("http://localhost/readyz"))).status).toBe(200);
    expect(readLines(journalDir(h.dataDir)).map((l) => l.seq)).toEqual([1, 2]);
  });

  test("an fdatasync error is never treated as success", async () => {
    let failSync = false;
    const io: WriterIo = {
      writeSync: (fd, buf, off, len) => writeSync(fd, buf, off, len),
      fdatasync: (fd, cb) =>
        failSync ? cb(Object.assign(new Error("EIO: i/o error"), { code: "EIO" })) : fdatasync(fd, cb),
    };
    const h = start({ io });
    failSync = true;
    expect((await send(h, enterBody(1))).status).toBe(503);
    // the unacknowledged line was cut from the journal
    expect(readLines(journalDir(h.dataDir))).toHaveLength(0);
    failSync = false;
    expect((await send(h, enterBody(1))).status).toBe(200);
    expect(readLines(journalDir(h.dataDir)).map((l) => l.seq)).toEqual([1]);
  });

  test("a quarantine write error answers 503 as well", async () => {
    const state = { fail: true };
    const h = start({ io: failingIo(state) });
    const r = await send(h, EXAMPLES["Room.CallbackAfterDestroyRoom"], tencentParams(ENTER));
    expectFail(r, 503, ErrorCodes.JOURNAL_UNAVAILABLE);
  });
});

describe("other routes", () => {
  test("GET on the callback path: 405 with a FAIL body", async () => {
    const h = start();
    const r = await answer(await h.app.handle(new Request(callbackUrl(tencentParams(ENTER)))));
    expectFail(r, 405, ErrorCodes.METHOD_NOT_ALLOWED);
  });

  test("healthz and readyz", async () => {
    const h = start();
    expect((await h.app.handle(new Request("http://localhost/healthz"))).status).toBe(200);
    const ready = await h.app.handle(new Request("http://localhost/readyz"));
    expect(ready.status).toBe(200);
    h.state.draining = true;
    expect((await h.app.handle(new Request("http://localhost/readyz"))).status).toBe(503);
  });

  test("a custom server.path is honoured", async () => {
    const h = start({ file: { server: { path: "/tencent/room" } } });
    const r = await answer(await h.app.handle(post(callbackUrl(tencentParams(ENTER), "/tencent/room"), enterBody(1))));
    expect(r.status).toBe(200);
    expect((await h.app.handle(post(callbackUrl(tencentParams(ENTER)), enterBody(2)))).status).toBe(404);
  });
});
