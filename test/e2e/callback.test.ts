// The callback endpoint against the compiled binary: every check of README "The callback endpoint", the answer shapes,
// the log line of every rejection, and a real disk failure (a full tmpfs) for the 503 row.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  APP,
  OFFICIAL_EXAMPLES,
  OK_ANSWER,
  cleanup,
  isFailAnswer,
  journalText,
  memberEnter,
  rawConnect,
  readJournal,
  runCli,
  sendCallback,
  startRoomhook,
  tempDir,
  type Roomhook,
  type SendOptions,
  type SendResult,
} from "./helpers.ts";

// bunfig.toml's [test] timeout is not applied by bun 1.4.5 (the default stays 5 s): set it here.
setDefaultTimeout(30_000);

const APP2 = 1400000001;
const APP_TOKEN = 1400000002;
const TOKEN = "e2e-Tok3n-never-echo-9c1f";
const MAX_BODY = 4096;

let rh: Roomhook;

beforeAll(async () => {
  rh = await startRoomhook({
    config: {
      server: { max_body_bytes: MAX_BODY, allow_from: ["127.0.0.0/8"] },
      apps: [{ sdk_app_id: APP }, { sdk_app_id: APP2 }, { sdk_app_id: APP_TOKEN, token: TOKEN, sign_window_s: 60 }],
    },
  });
});

afterAll(async () => {
  try {
    if (rh) {
      // Secrets never reach the log, whatever was sent.
      expect(rh.rawStdout.join("\n")).not.toContain(TOKEN);
      expect(await rh.stop()).toBe(0);
    }
  } finally {
    await cleanup();
  }
});

const counts = () => ({
  journal: readJournal(rh.dataDir).length,
  quarantine: readJournal(rh.dataDir, "quarantine").length,
});

/** Sends, expects a Tencent FAIL answer with this status/code and exactly one log line with a reason. */
async function expectRejected(
  o: SendOptions,
  status: number,
  code: number,
  target: Roomhook = rh,
): Promise<SendResult> {
  const from = target.logs.length;
  const r = await sendCallback(target, o);
  expect(r.status).toBe(status);
  expect(isFailAnswer(r)).toBe(true);
  expect(r.json.ErrorCode).toBe(code);
  expect(r.json.ErrorInfo).not.toContain(TOKEN);
  await target.waitForLog((l) => l.status === status && l.code === code, 3000, from);
  await Bun.sleep(30);
  const lines = target.rejectionLines(from);
  expect(lines.length).toBe(1);
  expect(typeof lines[0]!.reason).toBe("string");
  expect((lines[0]!.reason as string).length).toBeGreaterThan(0);
  return r;
}

/** Sends a request that must not reach the journal or the quarantine. */
async function expectUnstored(o: SendOptions, status: number, code: number): Promise<SendResult> {
  const before = counts();
  const r = await expectRejected(o, status, code);
  expect(counts()).toEqual(before);
  return r;
}

async function expectOk(o: SendOptions, target: Roomhook = rh): Promise<SendResult> {
  const r = await sendCallback(target, o);
  expect({ status: r.status, text: r.text }).toEqual({ status: 200, text: JSON.stringify(OK_ANSWER) });
  return r;
}

function journaledByRoom(roomId: string, dataDir = rh.dataDir) {
  return readJournal(dataDir).filter((l) => l.entry.roomId === roomId);
}

describe("health", () => {
  test("GET /healthz is 200 and GET /readyz is 200 with a fresh journal", async () => {
    const h = await fetch(`${rh.base}/healthz`);
    expect(h.status).toBe(200);
    const r = await fetch(`${rh.base}/readyz`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { status: string }).status).toBe("ready");
  });
});

describe("allow_from", () => {
  test("a source inside allow_from (127.0.0.0/8) is accepted and journaled", async () => {
    const body = memberEnter("allow-in");
    await expectOk({ body });
    expect(journaledByRoom("allow-in").length).toBe(1);
  });

  test("a source outside allow_from (10.0.0.0/8) gets 403 and nothing is stored", async () => {
    const other = await startRoomhook({ config: { server: { allow_from: ["10.0.0.0/8"], max_body_bytes: MAX_BODY } } });
    try {
      const r = await expectRejected({ body: memberEnter("allow-out") }, 403, 40301, other);
      expect(r.json.ErrorInfo).toMatch(/source|address|allow/i);
      // allow_from is checked first: an oversized body from there is a 403 too, not a 413.
      await expectRejected(
        { body: memberEnter("allow-out-big", { Pad: "a".repeat(2 * MAX_BODY) }) },
        403,
        40301,
        other,
      );
      // A 403 never writes: the journal stays empty and the quarantine too.
      expect(readJournal(other.dataDir).length).toBe(0);
      expect(readJournal(other.dataDir, "quarantine").length).toBe(0);
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });
});

describe("body size (max_body_bytes = 4096)", () => {
  test("a body over the limit with content-length gets 413 and is not stored", async () => {
    const body = memberEnter("too-big", { Pad: "x".repeat(MAX_BODY) });
    expect(body.length).toBeGreaterThan(MAX_BODY);
    await expectUnstored({ body }, 413, 41301);
    expect(journaledByRoom("too-big").length).toBe(0);
  });

  test("a body of exactly max_body_bytes is accepted", async () => {
    const base = memberEnter("exact-limit", { Pad: "" });
    const body = base.replace('"Pad":""', `"Pad":"${"y".repeat(MAX_BODY - base.length)}"`);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY);
    await expectOk({ body });
    expect(journaledByRoom("exact-limit").length).toBe(1);
  });

  test("a streamed (chunked, no content-length) body over the limit gets 413 and is not stored", async () => {
    const before = counts();
    const from = rh.logs.length;
    const body = memberEnter("too-big-chunked", { Pad: "z".repeat(3 * MAX_BODY) });
    const conn = await rawConnect(rh.port);
    conn.write(
      `POST /callback?SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    for (let i = 0; i < body.length; i += 1000) {
      const piece = body.slice(i, i + 1000);
      conn.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
    }
    conn.write("0\r\n\r\n");
    const res = await conn.response;
    conn.close();
    expect(res.status).toBe(413);
    const json = JSON.parse(res.body);
    expect(json.ActionStatus).toBe("FAIL");
    expect(json.ErrorCode).toBe(41301);
    expect(json.ErrorInfo.length).toBeGreaterThan(0);
    await rh.waitForLog((l) => l.status === 413, 3000, from);
    expect(rh.rejectionLines(from).length).toBe(1);
    expect(counts()).toEqual(before);
  });

  test("a small chunked body is accepted like any other", async () => {
    const body = memberEnter("small-chunked");
    const conn = await rawConnect(rh.port);
    conn.write(
      `POST /callback?SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const half = Math.floor(body.length / 2);
    for (const piece of [body.slice(0, half), body.slice(half)])
      conn.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
    conn.write("0\r\n\r\n");
    const res = await conn.response;
    conn.close();
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(OK_ANSWER);
    const stored = journaledByRoom("small-chunked");
    expect(stored.length).toBe(1);
    expect(stored[0]!.raw).toContain(body);
  });

  // Bun's own body limit must never answer first: its 413 is empty and unlogged.
  test("a body far over the limit (content-length 100 KiB) still gets a Tencent FAIL answer and a log line", async () => {
    const body = memberEnter("way-too-big", { Pad: "w".repeat(100 * 1024) });
    await expectUnstored({ body }, 413, 41301);
  });
});

describe("SdkAppid", () => {
  test("missing SdkAppid: 403, not stored", async () => {
    const r = await expectUnstored({ body: memberEnter("no-app"), sdkAppId: null }, 403, 40302);
    expect(r.json.ErrorInfo).toMatch(/SdkAppid/i);
  });

  test("an unknown SdkAppid: 403, not stored", async () => {
    await expectUnstored({ body: memberEnter("unknown-app"), sdkAppId: 1400009999 }, 403, 40303);
    await expectUnstored({ body: memberEnter("garbage-app"), sdkAppId: "14000abc" }, 403, 40303);
    await expectUnstored({ body: memberEnter("empty-app"), sdkAppId: "" }, 403, 40302);
    expect(journaledByRoom("unknown-app").length).toBe(0);
  });

  for (const param of ["sdkappid", "SDKAPPID", "SdkAppId", "SdkAppid"]) {
    test(`the parameter name is case-insensitive: ${param}`, async () => {
      const room = `case-${param}`;
      await expectOk({ body: memberEnter(room), sdkAppIdParam: param });
      const stored = journaledByRoom(room);
      expect(stored.length).toBe(1);
      expect(stored[0]!.entry.sdkAppId).toBe(APP);
    });
  }

  test("a second configured app is accepted and recorded under its own id", async () => {
    await expectOk({ body: memberEnter("second-app"), sdkAppId: APP2 });
    const stored = journaledByRoom("second-app");
    expect(stored.length).toBe(1);
    expect(stored[0]!.entry.sdkAppId).toBe(APP2);
  });
});

describe("Sign and RequestTime (the app has a token)", () => {
  const now = () => Math.floor(Date.now() / 1000);

  test("missing Sign/RequestTime: 401, not stored", async () => {
    await expectUnstored({ body: memberEnter("sign-missing"), sdkAppId: APP_TOKEN }, 401, 40101);
    // RequestTime alone is not enough.
    await expectUnstored({ body: memberEnter("sign-missing2"), sdkAppId: APP_TOKEN, requestTime: now() }, 401, 40101);
  });

  test("a wrong Sign: 401 and the token is not echoed", async () => {
    const r = await expectUnstored(
      { body: memberEnter("sign-wrong"), sdkAppId: APP_TOKEN, token: "not-the-token" },
      401,
      40104,
    );
    expect(r.text).not.toContain(TOKEN);
    await expectUnstored(
      { body: memberEnter("sign-garbage"), sdkAppId: APP_TOKEN, sign: "abc", requestTime: now() },
      401,
      40104,
    );
  });

  test("a correct Sign with RequestTime 120 s old (or 120 s ahead): 401", async () => {
    await expectUnstored(
      { body: memberEnter("sign-stale"), sdkAppId: APP_TOKEN, token: TOKEN, requestTime: now() - 120 },
      401,
      40103,
    );
    await expectUnstored(
      { body: memberEnter("sign-future"), sdkAppId: APP_TOKEN, token: TOKEN, requestTime: now() + 120 },
      401,
      40103,
    );
  });

  test("a correct Sign within the window: 200 and journaled", async () => {
    await expectOk({ body: memberEnter("sign-ok"), sdkAppId: APP_TOKEN, token: TOKEN });
    await expectOk({ body: memberEnter("sign-ok-30s"), sdkAppId: APP_TOKEN, token: TOKEN, requestTime: now() - 30 });
    expect(journaledByRoom("sign-ok").length).toBe(1);
    expect(journaledByRoom("sign-ok-30s").length).toBe(1);
  });

  test("a signed request to an app without a token is accepted too (Sign is ignored there)", async () => {
    await expectOk({ body: memberEnter("sign-untokened"), sdkAppId: APP, token: "whatever" });
  });
});

describe("body checks", () => {
  test("a body that is not JSON: 400, not stored", async () => {
    await expectUnstored({ body: "this is not json", command: "Room.CallbackAfterMemberEnter" }, 400, 40001);
    await expectUnstored(
      { body: '{"CallbackCommand":"Room.CallbackAfterMemberEnter",', command: "Room.CallbackAfterMemberEnter" },
      400,
      40001,
    );
    await expectUnstored({ body: "", command: "Room.CallbackAfterMemberEnter" }, 400, 40001);
  });

  test("a JSON value that is not an object (array, string, null, number): 400, not stored", async () => {
    await expectUnstored(
      { body: `[${memberEnter("in-array")}]`, command: "Room.CallbackAfterMemberEnter" },
      400,
      40002,
    );
    for (const body of ['"Room.CallbackAfterMemberEnter"', "null", "42"]) {
      await expectUnstored({ body, command: "Room.CallbackAfterMemberEnter" }, 400, 40002);
    }
  });

  test("CallbackCommand in the body differs from the query: 400 and quarantined with a reason", async () => {
    const before = counts();
    const body = memberEnter("mismatch-room");
    await expectRejected({ body, command: "Room.CallbackAfterMemberLeave" }, 400, 40003);
    expect(counts()).toEqual({ journal: before.journal, quarantine: before.quarantine + 1 });
    const t = await runCli(["tail", "--quarantine", "--data-dir", rh.dataDir]);
    expect(t.code).toBe(0);
    const hits = t.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((e) => e.roomId === "mismatch-room");
    expect(hits.length).toBe(1);
    expect(typeof hits[0].reason).toBe("string");
    expect(hits[0].reason.length).toBeGreaterThan(0);
    expect(JSON.stringify(hits[0].data)).toBe(body);
    // The journal proper does not have it.
    expect(journaledByRoom("mismatch-room").length).toBe(0);
  });

  test("a known command whose body breaks its schema: 422 and quarantined with a reason", async () => {
    const before = counts();
    // MemberList_Account must be an array of accounts; RoomId is required.
    const bad = JSON.stringify({
      CallbackCommand: "Room.CallbackAfterMemberEnter",
      RoomId: "schema-bad",
      MemberList_Account: "user1",
      EventTime: 1670574414123,
    });
    const r = await expectRejected({ body: bad }, 422, 42201);
    expect(r.json.ErrorInfo).toContain("MemberList_Account");
    const noRoom = JSON.stringify({
      CallbackCommand: "Mic.CallbackAfterSeatInfoChanged",
      SeatList: [],
      EventTime: 1670574414124,
    });
    await expectRejected({ body: noRoom }, 422, 42201);
    expect(counts()).toEqual({ journal: before.journal, quarantine: before.quarantine + 2 });
    const t = await runCli(["tail", "--quarantine", "--data-dir", rh.dataDir, "--room", "schema-bad"]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split("\n");
    expect(lines.length).toBe(1);
    const e = JSON.parse(lines[0]!);
    expect(e.reason).toContain("MemberList_Account");
    expect(e.type).toBe("Room.CallbackAfterMemberEnter");
  });

  test("an unknown command: 200 and journaled under its own type", async () => {
    const body = JSON.stringify({
      CallbackCommand: "Room.CallbackAfterSomethingNew",
      RoomId: "unknown-cmd",
      Whatever: [1, 2, 3],
      EventTime: 1670574414125,
    });
    await expectOk({ body });
    const stored = journaledByRoom("unknown-cmd");
    expect(stored.length).toBe(1);
    expect(stored[0]!.entry.type).toBe("Room.CallbackAfterSomethingNew");
    expect(stored[0]!.raw).toContain(body);
  });

  test("a duplicate: 200 both times, journaled once", async () => {
    const body = memberEnter("dup-room");
    await expectOk({ body });
    await expectOk({ body });
    await expectOk({ body, sdkAppIdParam: "sdkappid", clientIp: "10.1.2.3" }); // same app, command, bytes
    const stored = journaledByRoom("dup-room");
    expect(stored.length).toBe(1);
    // The same bytes to another app are another event.
    await expectOk({ body, sdkAppId: APP2 });
    expect(journaledByRoom("dup-room").length).toBe(2);
  });

  test("with dedupe.window = 0 a duplicate is journaled again", async () => {
    const nodedupe = await startRoomhook({ config: { dedupe: { window: 0 } } });
    try {
      const body = memberEnter("no-dedupe");
      await expectOk({ body }, nodedupe);
      await expectOk({ body }, nodedupe);
      expect(journaledByRoom("no-dedupe", nodedupe.dataDir).length).toBe(2);
    } finally {
      expect(await nodedupe.stop()).toBe(0);
    }
  });

  test("concurrent copies of one callback: all 200, journaled once", async () => {
    const body = memberEnter("dup-concurrent");
    const answers = await Promise.all(Array.from({ length: 20 }, () => sendCallback(rh, { body })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(journaledByRoom("dup-concurrent").length).toBe(1);
  });

  test("GET on the callback path is refused with a Tencent FAIL answer", async () => {
    const res = await fetch(`${rh.callbackUrl}?SdkAppid=${APP}`);
    expect(res.status).toBe(405);
    const j = (await res.json()) as SendResult["json"];
    expect(j.ActionStatus).toBe("FAIL");
    expect(j.ErrorCode).not.toBe(0);
    expect((j.ErrorInfo ?? "").length).toBeGreaterThan(0);
  });
});

describe("the checks run in the table's order; the first failure decides", () => {
  test("size before SdkAppid, SdkAppid before Sign, Sign before JSON, mismatch before schema", async () => {
    const big = memberEnter("order-big", { Pad: "o".repeat(MAX_BODY) });
    await expectUnstored({ body: big, sdkAppId: 1400009999 }, 413, 41301);
    await expectUnstored({ body: "not json", sdkAppId: 1400009999 }, 403, 40303);
    await expectUnstored(
      { body: "not json", sdkAppId: APP_TOKEN, command: "Room.CallbackAfterMemberEnter" },
      401,
      40101,
    );
    await expectUnstored(
      { body: "[1]", sdkAppId: APP_TOKEN, token: TOKEN, command: "Room.CallbackAfterMemberEnter" },
      400,
      40002,
    );
    // A body that both names another command and breaks its schema: the mismatch is reported.
    const before = counts();
    await expectRejected(
      {
        body: JSON.stringify({ CallbackCommand: "Room.CallbackAfterMemberLeave", RoomId: 5 }),
        command: "Room.CallbackAfterMemberEnter",
      },
      400,
      40003,
    );
    expect(counts()).toEqual({ journal: before.journal, quarantine: before.quarantine + 1 });
  });
});

describe("the official examples", () => {
  for (const [command, body] of Object.entries(OFFICIAL_EXAMPLES)) {
    test(`${command}: 200 and journaled with its type, the body kept`, async () => {
      const before = readJournal(rh.dataDir).length;
      await expectOk({ body });
      const all = readJournal(rh.dataDir);
      expect(all.length).toBe(before + 1);
      const last = all[all.length - 1]!;
      expect(last.entry.type).toBe(command);
      expect(last.entry.sdkAppId).toBe(APP);
      expect(last.entry.clientIp).toBe("127.0.0.1");
      expect(last.entry.optPlatform).toBe("RESTAPI");
      // Stored as received: a one-line body verbatim; a multi-line one with only its line breaks blanked.
      expect(last.raw.endsWith(`"data":${body.replace(/[\r\n]/g, " ")}}`)).toBe(true);
    });
  }

  test("Room.CallbackUpdateRoomInfo is accepted as an alias (query and body, and mixed)", async () => {
    const upd = (room: string, cmd: string) =>
      JSON.stringify({
        CallbackCommand: cmd,
        Operator_Account: "bob",
        RoomInfo: { RoomId: room, RoomName: "n", IsCloudRecordingDisabled: "false" },
        EventTime: 1670574414126,
      });
    await expectOk({ body: upd("alias-both", "Room.CallbackUpdateRoomInfo") });
    await expectOk({
      body: upd("alias-mixed", "Room.CallbackUpdateRoomInfo"),
      command: "Room.CallbackAfterUpdateRoomInfo",
    });
    for (const room of ["alias-both", "alias-mixed"]) {
      const stored = journaledByRoom(room);
      expect(stored.length).toBe(1);
      expect(["Room.CallbackAfterUpdateRoomInfo", "Room.CallbackUpdateRoomInfo"]).toContain(stored[0]!.entry.type);
    }
    // The alias is validated like the canonical command.
    await expectRejected(
      {
        body: JSON.stringify({
          CallbackCommand: "Room.CallbackUpdateRoomInfo",
          RoomInfo: { RoomName: "no id" },
          EventTime: 1,
        }),
      },
      422,
      42201,
    );
  });

  test("an 18-digit Member_Account (beyond 2^53) survives digit for digit in the journal file", async () => {
    const big = "144115233775727699"; // Number() would round it to ...700
    expect(String(Number(big))).not.toBe(big);
    const body = `{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","Operator_Account":"user1","RoomId":"big-account","SeatList":[{"Index":1,"Member_Account":${big},"IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false}],"EventTime":1670574414127}`;
    await expectOk({ body });
    const text = journalText(rh.dataDir);
    expect(text).toContain(`"Member_Account":${big}`);
    expect(text).toContain(body);
    const t = await runCli(["tail", "--data-dir", rh.dataDir, "--room", "big-account"]);
    expect(t.stdout).toContain(`"Member_Account":${big}`);
  });
});

describe("journal envelope", () => {
  test("seq rises strictly by one and every line carries the envelope that README's journal section describes", () => {
    const all = readJournal(rh.dataDir);
    expect(all.length).toBeGreaterThan(10);
    all.forEach((l, i) => {
      expect(l.entry.seq).toBe(i + 1);
      expect(typeof l.entry.id).toBe("string");
      expect(l.entry.id.length).toBeGreaterThan(0);
      expect(typeof l.entry.receivedAt).toBe("string");
      expect(Number.isNaN(Date.parse(l.entry.receivedAt as string))).toBe(false);
      expect(l.raw.startsWith(`{"seq":${i + 1},`)).toBe(true);
    });
    expect(new Set(all.map((l) => l.entry.id)).size).toBe(all.length);
  });
});

// ------------------------------------------------------------------------------------------------
// A real disk failure: data_dir on a 512 KiB tmpfs that we fill up.

function tryMountTmpfs(dir: string): boolean {
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir], { encoding: "utf8" });
  return r.status === 0;
}

function unmount(dir: string): void {
  let r = spawnSync("umount", [dir]);
  if (r.status !== 0) r = spawnSync("umount", ["-l", dir]);
}

describe("disk failure -> 503", () => {
  let mountDir = "";
  let mounted = false;
  let disk: Roomhook | undefined;

  afterAll(async () => {
    if (disk?.alive) await disk.stop().catch(() => disk?.kill9());
    if (mounted) unmount(mountDir);
  });

  test("a full disk answers 503 FAIL, /readyz turns 503, and both recover by themselves once space is freed", async () => {
    mountDir = tempDir("tmpfs");
    // E2E_DISK_FAILURE=prlimit forces the fallback (to test it where mount works).
    mounted = process.env.E2E_DISK_FAILURE !== "prlimit" && tryMountTmpfs(mountDir);
    // Fallback when mount(2) is not permitted: a per-process file-size limit (EFBIG) set with prlimit.
    const usePrlimit = !mounted;
    if (usePrlimit) {
      console.warn(
        "disk failure test: no tmpfs mount (not permitted, or E2E_DISK_FAILURE=prlimit); using RLIMIT_FSIZE via prlimit instead",
      );
      expect(spawnSync("prlimit", ["--version"]).status).toBe(0);
    }
    const dataDir = join(mountDir, "data");
    disk = await startRoomhook({ dataDir, config: { data_dir: dataDir, journal: { durability: "fsync" } } });
    expect((await fetch(`${disk.base}/readyz`)).status).toBe(200);
    await expectOk({ body: memberEnter("disk-baseline") }, disk);

    const filler = join(mountDir, "filler.bin");
    if (mounted) {
      writeFileSync(filler, Buffer.alloc(400 * 1024, 1));
    } else {
      expect(spawnSync("prlimit", ["--pid", String(disk.pid), "--fsize=16384:unlimited"]).status).toBe(0);
    }

    const acked: string[] = [];
    let failed: SendResult | undefined;
    const from = disk.logs.length;
    for (let i = 0; i < 60 && !failed; i++) {
      const room = `disk-${i}`;
      const r = await sendCallback(disk, { body: memberEnter(room, { Pad: "p".repeat(30 * 1024) }) });
      if (r.status === 200) acked.push(room);
      else failed = r;
    }
    expect(failed).toBeDefined();
    expect(failed!.status).toBe(503);
    expect(isFailAnswer(failed!)).toBe(true);
    expect(failed!.json.ErrorCode).toBe(50301);
    const line = await disk.waitForLog((l) => l.status === 503, 3000, from);
    expect(typeof line.reason).toBe("string");

    const ready = await fetch(`${disk.base}/readyz`);
    expect(ready.status).toBe(503);
    // Still full: another large body is refused as well.
    const again = await sendCallback(disk, { body: memberEnter("disk-again", { Pad: "q".repeat(30 * 1024) }) });
    expect(again.status).toBe(503);

    // Free the space; readiness must come back with no callback arriving to try.
    if (mounted) rmSync(filler);
    else expect(spawnSync("prlimit", ["--pid", String(disk.pid), "--fsize=unlimited:unlimited"]).status).toBe(0);
    const deadline = Date.now() + 6000;
    let readyAgain = false;
    while (Date.now() < deadline) {
      if ((await fetch(`${disk.base}/readyz`)).status === 200) {
        readyAgain = true;
        break;
      }
      await Bun.sleep(100);
    }
    expect(readyAgain).toBe(true);
    await expectOk({ body: memberEnter("disk-after") }, disk);
    acked.push("disk-after");

    // Nothing half-written stayed behind: the journal verifies and holds every acknowledged event once.
    expect(await disk.stop()).toBe(0);
    const v = await runCli(["verify", "--data-dir", dataDir]);
    expect(v.code).toBe(0);
    const rooms = readJournal(dataDir).map((l) => l.entry.roomId);
    for (const room of ["disk-baseline", ...acked]) expect(rooms.filter((r) => r === room).length).toBe(1);
    expect(rooms).not.toContain("disk-again");
    expect(existsSync(join(dataDir, "journal"))).toBe(true);
  });
});
