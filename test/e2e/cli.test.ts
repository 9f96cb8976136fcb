// The command line and the configuration sources (README "Command line", "Configuration"), run against the compiled binary.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import {
  APP,
  OK_ANSWER,
  cleanup,
  freePort,
  memberEnter,
  rawConnect,
  readJournal,
  runCli,
  segmentFiles,
  sendCallback,
  spawnCli,
  spawnRoomhook,
  startRoomhook,
  tempDir,
  toToml,
} from "./helpers.ts";

// bunfig.toml's [test] timeout is not applied by bun 1.4.5 (the default stays 5 s): set it here.
setDefaultTimeout(30_000);

afterAll(cleanup);

const TOKEN = "cli-S3cret-token-do-not-print";
const WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function writeConfig(text: string): string {
  const p = join(tempDir("cfg"), "roomhook.toml");
  writeFileSync(p, text);
  return p;
}

describe("help and version", () => {
  test("--version prints the package version and exits 0", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test("--help and -h print the usage and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage");
      for (const cmd of ["serve", "check-config", "verify", "tail", "send"]) expect(r.stdout).toContain(cmd);
    }
  });

  for (const cmd of ["serve", "check-config", "verify", "tail", "send"]) {
    test(`${cmd} --help prints its usage and exits 0`, async () => {
      const r = await runCli([cmd, "--help"], { timeoutMs: 5000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`roomhook ${cmd}`);
      expect(r.stdout).toContain("Usage");
    });
  }
});

describe("usage errors exit 2", () => {
  test("an unknown command", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("frobnicate");
  });

  test("an unknown flag, for the default command and for each command", async () => {
    for (const args of [
      ["--bogus"],
      ["serve", "--bogus"],
      ["check-config", "--bogus"],
      ["verify", "--bogus"],
      ["tail", "--bogus"],
      ["send", "--bogus"],
    ]) {
      const r = await runCli(args, { timeoutMs: 5000 });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain("bogus");
    }
  });

  test("a flag without its value, a bad number, a missing required flag", async () => {
    const dir = tempDir("usage"); // holds a journal/, so only the flag itself is wrong
    mkdirSync(join(dir, "journal"));
    for (const args of [
      ["verify", "--data-dir"],
      ["tail", "--data-dir", dir, "--from-seq", "abc"],
      ["tail", "--data-dir", dir, "--limit", "-3"],
      ["tail", "--data-dir", dir, "unexpected-positional"],
      ["send", "--sdk-app-id", String(APP)],
      ["send", "--url", "http://127.0.0.1:1/callback"],
      ["send", "--url", "not a url", "--sdk-app-id", String(APP)],
    ]) {
      const r = await runCli(args, { timeoutMs: 5000 });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
  });
});

describe("check-config", () => {
  test("prints the effective config as JSON with tokens and secrets masked", async () => {
    const path = writeConfig(
      `data_dir = "/tmp/somewhere"\n[server]\nlisten = "127.0.0.1:9999"\n[admin]\nlisten = "127.0.0.1:9998"\ntoken = "${TOKEN}-admin"\n[[apps]]\nsdk_app_id = ${APP}\ntoken = "${TOKEN}"\n[[targets]]\nname = "sync"\nurl = "http://127.0.0.1:9000/x"\nsecret = "${WHSEC}"\n`,
    );
    const r = await runCli(["check-config", "--config", path]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.stdout).not.toContain(WHSEC);
    expect(r.stdout).not.toContain(WHSEC.slice(6));
    const c = JSON.parse(r.stdout);
    expect(c.server.listen).toBe("127.0.0.1:9999");
    expect(c.data_dir).toBe("/tmp/somewhere");
    expect(c.apps[0].sdk_app_id).toBe(APP);
    expect(typeof c.apps[0].token).toBe("string");
    expect(c.apps[0].token.length).toBeGreaterThan(0);
    // Defaults are filled in and shown.
    expect(c.server.max_body_bytes).toBe(1048576);
    expect(c.journal.durability).toBe("fsync");
    expect(c.dedupe.window).toBe(100000);
  });

  test("a token given by flag or environment is masked too", async () => {
    const r = await runCli(["check-config", "--sdk-app-id", String(APP), "--token", TOKEN], {
      env: { ROOMHOOK_TOKEN: `${TOKEN}-env` },
    });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(JSON.parse(r.stdout).apps[0].token).not.toContain(TOKEN);
  });

  test("a bad file exits 1 and names the key", async () => {
    const cases: [string, string][] = [
      [`[server]\nlisten = "nope"\n[[apps]]\nsdk_app_id = ${APP}\n`, "server.listen"],
      [`[server]\nmax_body_bytes = "big"\n[[apps]]\nsdk_app_id = ${APP}\n`, "server.max_body_bytes"],
      [`[server]\nlisen = "127.0.0.1:1"\n[[apps]]\nsdk_app_id = ${APP}\n`, "server.lisen"],
      [`[journal]\ndurability = "sometimes"\n[[apps]]\nsdk_app_id = ${APP}\n`, "journal.durability"],
      [`[[apps]]\nsdk_app_id = ${APP}\ntoken = "${TOKEN}"\n[[apps]]\nsdk_app_id = ${APP}\n`, "apps[1].sdk_app_id"],
      [`data_dir = "/tmp/x"\n`, "apps"],
      [`this is = not [toml\n`, "TOML"],
    ];
    for (const [text, key] of cases) {
      const r = await runCli(["check-config", "--config", writeConfig(text)]);
      expect({ key, code: r.code }).toEqual({ key, code: 1 });
      expect(r.stderr).toContain(key);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    }
    const missing = await runCli(["check-config", "--config", "/nonexistent/roomhook.toml"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("/nonexistent/roomhook.toml");
  });

  test("an invalid environment value exits 1 naming the variable", async () => {
    const r = await runCli(["check-config"], { env: { ROOMHOOK_SDK_APP_ID: "abc" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ROOMHOOK_SDK_APP_ID");
  });
});

describe("serve refuses an invalid config", () => {
  test("exits 1 naming the key, before binding the port or touching data_dir", async () => {
    const port = freePort();
    const dataDir = join(tempDir("never"), "data");
    const path = writeConfig(
      toToml({
        data_dir: dataDir,
        server: { listen: `127.0.0.1:${port}` },
        apps: [{ sdk_app_id: APP }],
        journal: { durability: "sometimes" },
      }),
    );
    const rh = spawnRoomhook({ noConfig: true, args: ["--config", path] });
    const code = await Promise.race([rh.exited(), Bun.sleep(8000).then(() => -1)]);
    expect(code).toBe(1);
    expect(rh.stderr).toContain("journal.durability");
    expect(rh.logs.some((l) => l.msg === "roomhook listening")).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    // The port is still free.
    const s = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.stop(true);
  });

  test("an invalid flag value exits 1 too", async () => {
    const rh = spawnRoomhook({
      noConfig: true,
      args: ["--sdk-app-id", String(APP), "--data-dir", join(tempDir("never"), "d"), "--listen", "nope"],
    });
    expect(await Promise.race([rh.exited(), Bun.sleep(8000).then(() => -1)])).toBe(1);
    // Names the key (server.listen) or the flag, and the bad value.
    expect(rh.stderr).toMatch(/listen/);
    expect(rh.stderr).toContain("nope");
    expect(rh.logs.some((l) => l.msg === "roomhook listening")).toBe(false);
  });
});

/** Starts a server on a fresh data dir, sends the given bodies, stops it; returns the data dir. */
async function journalWith(bodies: string[], config: Parameters<typeof startRoomhook>[0] = {}): Promise<string> {
  const rh = await startRoomhook(config);
  for (const body of bodies) {
    const r = await sendCallback(rh, { body });
    expect(r.status).toBe(200);
  }
  expect(await rh.stop()).toBe(0);
  return rh.dataDir;
}

describe("verify", () => {
  test("exits 0 on a good journal and prints the counts", async () => {
    const dir = await journalWith([
      memberEnter("v1"),
      memberEnter("v2"),
      memberEnter("v3"),
      memberEnter("v4"),
      memberEnter("v5"),
    ]);
    const r = await runCli(["verify", "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("5 event(s)");
    const j = await runCli(["verify", "--data-dir", dir, "--json"]);
    expect(j.code).toBe(0);
    const rep = JSON.parse(j.stdout);
    expect(rep.ok).toBe(true);
    expect(rep.journal.events).toBe(5);
    expect(rep.journal.lastSeq).toBe(5);
  });

  test("exits 1 when garbage sits in the middle of a segment, a seq goes back, or the tail is torn", async () => {
    const dir = await journalWith([memberEnter("c1"), memberEnter("c2"), memberEnter("c3"), memberEnter("c4")]);
    const [seg] = segmentFiles(dir);
    const original = readFileSync(seg!, "utf8");
    const lines = original.split("\n");

    // Garbage between line 2 and line 3.
    writeFileSync(seg!, [...lines.slice(0, 2), "garbage that is not json", ...lines.slice(2)].join("\n"));
    let r = await runCli(["verify", "--data-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("problem");
    expect(r.stdout).toContain("not valid JSON");

    // seq 3 written as seq 1.
    writeFileSync(seg!, original.replace('{"seq":3,', '{"seq":1,'));
    r = await runCli(["verify", "--data-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("does not rise");

    // A torn last line.
    writeFileSync(seg!, original);
    appendFileSync(seg!, '{"seq":5,"id":"abc","type":"Room.Callb');
    r = await runCli(["verify", "--data-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("torn");

    writeFileSync(seg!, original);
    expect((await runCli(["verify", "--data-dir", dir])).code).toBe(0);
  });

  test("exits 1 when there is no journal", async () => {
    const r = await runCli(["verify", "--data-dir", join(tempDir("empty"), "nothing")]);
    expect(r.code).toBe(1);
  });
});

describe("tail", () => {
  let dir = "";
  const ev = (cmd: string, room: string, n: number) => {
    const base: Record<string, unknown> = {
      CallbackCommand: cmd,
      Operator_Account: "u",
      RoomId: room,
      EventTime: 1700000000000 + n,
    };
    if (cmd.startsWith("Room.CallbackAfterMember")) Object.assign(base, { MemberList_Account: [`u${n}`] });
    if (cmd.startsWith("Mic.")) Object.assign(base, { SeatList: [{ Index: n, Member_Account: `u${n}` }] });
    return JSON.stringify(base);
  };
  const plan: [string, string][] = [
    ["Room.CallbackAfterMemberEnter", "tail-A"],
    ["Room.CallbackAfterMemberEnter", "tail-A"],
    ["Mic.CallbackAfterSeatInfoChanged", "tail-B"],
    ["Room.CallbackAfterMemberLeave", "tail-A"],
    ["Room.CallbackAfterMemberEnter", "tail-B"],
    ["Mic.CallbackAfterSeatInfoChanged", "tail-B"],
    ["Room.CallbackAfterDestroyRoom", "tail-B"],
    ["Room.CallbackAfterMemberLeave", "tail-A"],
  ];
  const tail = async (...args: string[]) => {
    const r = await runCli(["tail", "--data-dir", dir, ...args]);
    expect(r.code).toBe(0);
    return r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { seq: number; type: string; roomId: string });
  };

  test("prints every event as a JSON line, identical to the journal", async () => {
    dir = await journalWith(plan.map(([c, r], i) => ev(c, r, i)));
    const r = await runCli(["tail", "--data-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      readJournal(dir)
        .map((l) => `${l.raw}\n`)
        .join(""),
    );
    expect((await tail()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test("--type filters by glob", async () => {
    expect((await tail("--type", "Mic.*")).map((e) => e.seq)).toEqual([3, 6]);
    expect((await tail("--type", "Room.*")).map((e) => e.seq)).toEqual([1, 2, 4, 5, 7, 8]);
    expect((await tail("--type", "Room.CallbackAfterMemberLeave")).map((e) => e.seq)).toEqual([4, 8]);
    expect((await tail("--type", "Room.CallbackAfterMember?????")).map((e) => e.seq)).toEqual([1, 2, 4, 5, 8]);
    expect(await tail("--type", "Nothing.*")).toEqual([]);
  });

  test("--room filters by RoomId", async () => {
    expect((await tail("--room", "tail-A")).map((e) => e.seq)).toEqual([1, 2, 4, 8]);
    expect((await tail("--room", "tail-B", "--type", "Mic.*")).map((e) => e.seq)).toEqual([3, 6]);
    expect(await tail("--room", "tail-C")).toEqual([]);
  });

  test("--from-seq and --limit", async () => {
    expect((await tail("--from-seq", "5")).map((e) => e.seq)).toEqual([5, 6, 7, 8]);
    expect((await tail("--limit", "3")).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await tail("--from-seq", "3", "--limit", "2")).map((e) => e.seq)).toEqual([3, 4]);
    expect((await tail("--from-seq", "2", "--room", "tail-B", "--limit", "2")).map((e) => e.seq)).toEqual([3, 5]);
    expect(await tail("--from-seq", "9")).toEqual([]);
  });

  test("-f prints an event sent after it started and keeps following across segment rolls", async () => {
    const rh = await startRoomhook({ config: { journal: { segment_bytes: 4096 } } });
    const follower = spawnCli(["tail", "-f", "--data-dir", rh.dataDir]);
    await Bun.sleep(300); // it is running and found nothing yet
    expect(follower.lines.length).toBe(0);
    const first = memberEnter("follow-first");
    expect((await sendCallback(rh, { body: first })).status).toBe(200);
    await follower.waitFor((l) => l.length >= 1);
    expect(JSON.parse(follower.lines[0]!).roomId).toBe("follow-first");

    const N = 40;
    for (let i = 0; i < N; i++)
      expect((await sendCallback(rh, { body: memberEnter(`follow-${i}`, { Pad: "f".repeat(200) }) })).status).toBe(200);
    expect(segmentFiles(rh.dataDir).length).toBeGreaterThanOrEqual(3);
    await follower.waitFor((l) => l.length >= N + 1, 10_000);
    const seen = follower.lines.map((l) => JSON.parse(l) as { seq: number; roomId: string });
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: N + 1 }, (_, i) => i + 1));
    expect(seen.slice(1).map((e) => e.roomId)).toEqual(Array.from({ length: N }, (_, i) => `follow-${i}`));
    expect(await follower.stop()).toBe(0);
    expect(await rh.stop()).toBe(0);
  });
});

describe("send", () => {
  test("without --body posts a realistic example and exits 0", async () => {
    const rh = await startRoomhook({ config: { apps: [{ sdk_app_id: APP }, { sdk_app_id: APP + 7, token: TOKEN }] } });
    try {
      const r = await runCli(["send", "--url", rh.callbackUrl, "--sdk-app-id", String(APP)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("200");
      const m = await runCli([
        "send",
        "--url",
        rh.callbackUrl,
        "--sdk-app-id",
        String(APP),
        "--command",
        "Mic.CallbackAfterSeatInfoChanged",
      ]);
      expect(m.code).toBe(0);
      // With a token it signs; without, the token app refuses and send exits 1.
      const signed = await runCli([
        "send",
        "--url",
        rh.callbackUrl,
        "--sdk-app-id",
        String(APP + 7),
        "--token",
        TOKEN,
        "--command",
        "Room.CallbackAfterDestroyRoom",
      ]);
      expect(signed.code).toBe(0);
      const unsigned = await runCli(["send", "--url", rh.callbackUrl, "--sdk-app-id", String(APP + 7)]);
      expect(unsigned.code).toBe(1);
      expect(unsigned.stdout).toContain("401");
      // --body - reads stdin.
      const body = memberEnter("from-stdin");
      const piped = await runCli(["send", "--url", rh.callbackUrl, "--sdk-app-id", String(APP), "--body", "-"], {
        stdin: body,
      });
      expect(piped.code).toBe(0);

      const all = readJournal(rh.dataDir);
      expect(all.map((l) => l.entry.type)).toEqual([
        "Room.CallbackAfterMemberEnter",
        "Mic.CallbackAfterSeatInfoChanged",
        "Room.CallbackAfterDestroyRoom",
        "Room.CallbackAfterMemberEnter",
      ]);
      expect(all[0]!.entry.data.MemberList_Account).toBeDefined();
      expect(all[2]!.entry.sdkAppId).toBe(APP + 7);
      expect(all[3]!.raw).toContain(body);
      // A realistic example: EventTime is now, in milliseconds.
      expect(Math.abs((all[0]!.entry.eventTime as number) - Date.now())).toBeLessThan(60_000);
      // Unreachable URL: exit 1.
      const down = await runCli([
        "send",
        "--url",
        `http://127.0.0.1:${freePort()}/callback`,
        "--sdk-app-id",
        String(APP),
        "--timeout-ms",
        "3000",
      ]);
      expect(down.code).toBe(1);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });
});

describe("signals and restarts", () => {
  test("SIGTERM exits 0, and a request in flight when it arrives still gets its 200", async () => {
    const rh = await startRoomhook();
    const body = memberEnter("in-flight");
    const conn = await rawConnect(rh.port);
    const len = Buffer.byteLength(body);
    conn.write(
      `POST /callback?SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`,
    );
    conn.write(body.slice(0, 40));
    await Bun.sleep(200); // the request has started; its body is not complete
    const from = rh.logs.length;
    rh.proc.kill("SIGTERM");
    await rh.waitForLog((l) => /draining/.test(String(l.msg)), 5000, from);
    // The listener is closed: a new connection is refused.
    await expect(rawConnect(rh.port)).rejects.toThrow();
    await Bun.sleep(200);
    expect(rh.alive).toBe(true); // still waiting for our request
    conn.write(body.slice(40));
    const res = await conn.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(OK_ANSWER);
    conn.close();
    expect(await rh.stop()).toBe(0);
    expect(rh.logs.some((l) => l.msg === "stopped cleanly")).toBe(true);
    const stored = readJournal(rh.dataDir).filter((l) => l.entry.roomId === "in-flight");
    expect(stored.length).toBe(1);
  });

  // A request answered without reading its body (413 by content-length, 403 by allow_from) must not
  // hold its connection, and so a graceful shutdown, until Bun's idle timeout.
  test("SIGTERM exits promptly after a large body was refused with 413 unread", async () => {
    const rh = await startRoomhook();
    const r = await sendCallback(rh, { body: memberEnter("big-unread", { Pad: "u".repeat(1536 * 1024) }) });
    expect(r.status).toBe(413);
    rh.proc.kill("SIGTERM");
    const exited = await Promise.race([rh.proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
    if (!exited) await rh.kill9();
    expect(exited).toBe(true);
  });

  test("SIGINT exits 0 as well", async () => {
    const rh = await startRoomhook();
    expect((await sendCallback(rh, { body: memberEnter("sigint") })).status).toBe(200);
    expect(await rh.stop("SIGINT")).toBe(0);
  });

  test("a restart continues the seq (last + 1)", async () => {
    const first = await startRoomhook();
    for (let i = 0; i < 3; i++)
      expect((await sendCallback(first, { body: memberEnter(`restart-${i}`) })).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const lastSeq = readJournal(first.dataDir).at(-1)!.entry.seq;
    expect(lastSeq).toBe(3);

    const second = await startRoomhook({ dataDir: first.dataDir, config: { data_dir: first.dataDir } });
    const listening = second.logs.find((l) => l.msg === "roomhook listening")!;
    expect(listening.nextSeq).toBe(lastSeq + 1);
    expect((await sendCallback(second, { body: memberEnter("restart-after") })).status).toBe(200);
    const all = readJournal(first.dataDir);
    expect(all.at(-1)!.entry.seq).toBe(lastSeq + 1);
    expect(all.at(-1)!.entry.roomId).toBe("restart-after");
    // The public /readyz does not disclose the event count; the admin listener does.
    const ready = (await (await fetch(`${second.base}/readyz`)).json()) as { status: string; headSeq?: number };
    expect(ready).toEqual({ status: "ready" });
    expect(await second.stop()).toBe(0);
  });
});

describe("SIGHUP", () => {
  test("re-reads the file: a new token applies at once, an invalid file is logged and the running config stays", async () => {
    const rh = await startRoomhook();
    expect((await sendCallback(rh, { body: memberEnter("hup-0") })).status).toBe(200);
    const withToken = toToml({
      data_dir: rh.dataDir,
      server: { listen: "127.0.0.1:0" },
      apps: [{ sdk_app_id: APP, token: TOKEN }],
      admin: { listen: "127.0.0.1:0" },
    });
    writeFileSync(rh.configPath!, withToken);
    let from = rh.logs.length;
    rh.proc.kill("SIGHUP");
    await rh.waitForLog((l) => l.msg === "configuration reloaded", 5000, from);
    expect((await sendCallback(rh, { body: memberEnter("hup-1") })).status).toBe(401);
    expect((await sendCallback(rh, { body: memberEnter("hup-2"), token: TOKEN })).status).toBe(200);

    writeFileSync(rh.configPath!, "this is = not [toml");
    from = rh.logs.length;
    rh.proc.kill("SIGHUP");
    await rh.waitForLog((l) => (l.level as number) >= 50, 5000, from);
    expect(rh.alive).toBe(true);
    expect((await sendCallback(rh, { body: memberEnter("hup-3") })).status).toBe(401);
    expect((await sendCallback(rh, { body: memberEnter("hup-4"), token: TOKEN })).status).toBe(200);
    expect(rh.rawStdout.join("\n")).not.toContain(TOKEN);
    expect(await rh.stop()).toBe(0);
    expect(readJournal(rh.dataDir).map((l) => l.entry.roomId)).toEqual(["hup-0", "hup-2", "hup-4"]);
  });
});

describe("environment and flags", () => {
  test("ROOMHOOK_LISTEN, ROOMHOOK_SDK_APP_ID (a list) and ROOMHOOK_DATA_DIR configure the service", async () => {
    const dataDir = join(tempDir("env"), "data");
    const rh = await startRoomhook({
      noConfig: true,
      dataDir,
      env: {
        ROOMHOOK_LISTEN: "127.0.0.1:0",
        ROOMHOOK_SDK_APP_ID: "1400000123, 1400000124",
        ROOMHOOK_DATA_DIR: dataDir,
        ROOMHOOK_ADMIN_LISTEN: "127.0.0.1:0",
      },
    });
    try {
      const line = rh.logs.find((l) => l.msg === "roomhook listening")!;
      expect(line.dataDir).toBe(dataDir);
      expect(String(line.listen).startsWith("127.0.0.1:")).toBe(true);
      expect((await sendCallback(rh, { body: memberEnter("env-1"), sdkAppId: 1400000123 })).status).toBe(200);
      expect((await sendCallback(rh, { body: memberEnter("env-2"), sdkAppId: 1400000124 })).status).toBe(200);
      expect((await sendCallback(rh, { body: memberEnter("env-3"), sdkAppId: APP })).status).toBe(403);
      expect(readJournal(dataDir).map((l) => l.entry.roomId)).toEqual(["env-1", "env-2"]);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });

  test("flags override the environment, and the environment overrides the file", async () => {
    const envDir = join(tempDir("env"), "data");
    const flagDir = join(tempDir("flag"), "data");
    const fileDir = join(tempDir("file"), "data");
    const path = writeConfig(
      toToml({
        data_dir: fileDir,
        server: { listen: "127.0.0.1:1" },
        apps: [{ sdk_app_id: 333 }],
        admin: { listen: "127.0.0.1:0" },
      }),
    );
    const rh = await startRoomhook({
      noConfig: true,
      dataDir: flagDir,
      env: { ROOMHOOK_LISTEN: "127.0.0.1:2", ROOMHOOK_SDK_APP_ID: "111", ROOMHOOK_DATA_DIR: envDir },
      args: ["--config", path, "--listen", "127.0.0.1:0", "--sdk-app-id", "222", "--data-dir", flagDir],
    });
    try {
      expect(rh.logs.find((l) => l.msg === "roomhook listening")!.dataDir).toBe(flagDir);
      expect((await sendCallback(rh, { body: memberEnter("flag-222"), sdkAppId: 222 })).status).toBe(200);
      expect((await sendCallback(rh, { body: memberEnter("flag-111"), sdkAppId: 111 })).status).toBe(403);
      expect((await sendCallback(rh, { body: memberEnter("flag-333"), sdkAppId: 333 })).status).toBe(403);
      expect(readJournal(flagDir).map((l) => l.entry.roomId)).toEqual(["flag-222"]);
      expect(existsSync(envDir)).toBe(false);
      expect(existsSync(fileDir)).toBe(false);
    } finally {
      expect(await rh.stop()).toBe(0);
    }

    // The same precedence as check-config shows it: file < env < flags.
    const env = { ROOMHOOK_LISTEN: "127.0.0.1:2", ROOMHOOK_DATA_DIR: envDir, ROOMHOOK_LOG_LEVEL: "warn" };
    let c = JSON.parse((await runCli(["check-config", "--config", path], { env })).stdout);
    expect([c.server.listen, c.data_dir, c.log.level, c.apps[0].sdk_app_id]).toEqual([
      "127.0.0.1:2",
      envDir,
      "warn",
      333,
    ]);
    c = JSON.parse(
      (
        await runCli(
          ["check-config", "--config", path, "--listen", "127.0.0.1:3", "--log-level", "error", "--sdk-app-id", "444"],
          { env },
        )
      ).stdout,
    );
    expect([c.server.listen, c.data_dir, c.log.level, c.apps[0].sdk_app_id]).toEqual([
      "127.0.0.1:3",
      envDir,
      "error",
      444,
    ]);
    c = JSON.parse((await runCli(["check-config", "--config", path])).stdout);
    expect([c.server.listen, c.data_dir]).toEqual(["127.0.0.1:1", fileDir]);
    // ROOMHOOK_CONFIG names the file when --config is absent.
    c = JSON.parse((await runCli(["check-config"], { env: { ROOMHOOK_CONFIG: path } })).stdout);
    expect(c.data_dir).toBe(fileDir);
  });
});
