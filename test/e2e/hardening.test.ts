// Promises SECURITY.md makes that no other test covered, checked on dist/roomhook: what the service
// writes is private to its user whatever the umask; the binary takes no configuration or code from
// its working directory (.env files, bunfig.toml preloads); an oversized request line never reaches
// the journal (the query's ClientIP and OptPlatform are stored, and max_body_bytes does not bound them);
// the fan-out never follows a redirect (a target cannot bounce deliveries to another address).
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  APP,
  cleanup,
  memberEnter,
  rawConnect,
  readJournal,
  runCli,
  sendCallback,
  startRoomhook,
  tempDir,
  toToml,
} from "./helpers.ts";
import { until } from "../support/until.ts";

// bunfig.toml's [test] timeout is not applied by bun 1.4.5 (the default stays 5 s): set it here.
setDefaultTimeout(30_000);

afterAll(cleanup);

function walk(dir: string): { path: string; dir: boolean; mode: number }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    const me = { path, dir: st.isDirectory(), mode: st.mode & 0o777 };
    return st.isDirectory() ? [me, ...walk(path)] : [me];
  });
}

describe("file permissions", () => {
  test("data_dir and everything roomhook writes in it are private (directories 0700, files 0600), even under umask 000", async () => {
    // A target that refuses every event, so dead letters and a cursor get written too.
    const target = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("no", { status: 400 }) });
    const dataDir = join(tempDir("perm"), "data");
    const toml =
      toToml({
        data_dir: dataDir,
        server: { listen: "127.0.0.1:0" },
        apps: [{ sdk_app_id: APP }],
        admin: { listen: "127.0.0.1:0" },
        log: { level: "info" },
      }) +
      `\n[[targets]]\nname = "refuser"\nurl = "http://127.0.0.1:${target.port}/hook"\nsecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"\nretry_delays_ms = [50]\n`;
    // The child inherits the umask: with 000, any file created without an explicit mode shows 0666.
    const old = process.umask(0);
    let rh: Awaited<ReturnType<typeof startRoomhook>>;
    try {
      rh = await startRoomhook({ dataDir, tomlText: toml });
    } finally {
      process.umask(old);
    }
    try {
      for (let i = 0; i < 3; i++) expect((await sendCallback(rh, { body: memberEnter(`perm-${i}`) })).status).toBe(200);
      expect(
        (await sendCallback(rh, { body: { CallbackCommand: "Room.CallbackAfterMemberEnter", EventTime: 1 } })).status,
      ).toBe(422);
      await until(
        "dead letters and a cursor",
        () => existsSync(join(dataDir, "dead-letters")) && existsSync(join(dataDir, "cursors")),
      );
      const running = walk(dataDir);
      expect(running.some((e) => e.path.endsWith("roomhook.pid"))).toBe(true);
      expect(await rh.stop()).toBe(0); // writes the dedupe snapshot and the final cursor
      const all = [{ path: dataDir, dir: true, mode: statSync(dataDir).mode & 0o777 }, ...walk(dataDir), ...running];
      expect(readJournal(dataDir).length).toBe(3);
      expect(
        all.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`),
      ).toEqual([]);
      // What was checked: the journal, the quarantine, dead letters, cursors, the pid file, the snapshot.
      const names = all.map((e) => e.path.slice(dataDir.length));
      for (const part of ["/journal/", "/quarantine/", "/dead-letters/", "/cursors/", "roomhook.pid"])
        expect(names.some((n) => n.includes(part))).toBe(true);
    } finally {
      target.stop(true);
    }
  });
});

describe("working directory", () => {
  test("the binary reads no .env file and no bunfig.toml (no preload) from its working directory", async () => {
    const cwd = tempDir("cwd");
    const marker = join(cwd, "preloaded");
    const env = "ROOMHOOK_LOG_LEVEL=trace\nROOMHOOK_SDK_APP_ID=1400000999\nROOMHOOK_ADMIN_LISTEN=0.0.0.0:9\n";
    for (const f of [".env", ".env.local", ".env.production", ".env.production.local"])
      writeFileSync(join(cwd, f), env);
    writeFileSync(join(cwd, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    writeFileSync(
      join(cwd, "bunfig.toml"),
      `preload = ["./preload.ts"]\n[run]\npreload = ["./preload.ts"]\n[test]\npreload = ["./preload.ts"]\n`,
    );
    mkdirSync(join(cwd, "data"));
    for (const envName of ["production", "development"]) {
      const r = await runCli(["check-config", "--sdk-app-id", String(APP), "--data-dir", join(cwd, "data")], {
        cwd,
        env: { NODE_ENV: envName },
      });
      expect(r.code).toBe(0);
      const c = JSON.parse(r.stdout) as {
        log: { level: string };
        apps: { sdk_app_id: number }[];
        admin: { listen: string };
      };
      expect({ level: c.log.level, apps: c.apps.map((a) => a.sdk_app_id), admin: c.admin.listen }).toEqual({
        level: "info",
        apps: [APP],
        admin: "127.0.0.1:8081",
      });
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe("request line", () => {
  test("a query string over Bun's ~16 KiB header limit is refused (431) before roomhook sees it; 8 KiB still passes", async () => {
    const rh = await startRoomhook({});
    const send = async (n: number) => {
      const c = await rawConnect(rh.port);
      const body = memberEnter(`query-${n}`);
      c.write(
        `POST /callback?SdkAppid=${APP}&ClientIP=${"9".repeat(n)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      const r = await Promise.race([c.response, Bun.sleep(5000).then(() => ({ status: 0 }))]);
      c.close();
      return r.status;
    };
    expect(await send(8 * 1024)).toBe(200);
    expect(await send(64 * 1024)).toBe(431);
    expect(await send(1024 * 1024)).toBe(431);
    expect(readJournal(rh.dataDir).map((l) => String(l.entry.clientIp).length)).toEqual([8 * 1024]);
    expect(await rh.stop()).toBe(0);
  });
});

describe("fan-out and redirects", () => {
  test("a target's 302 is never followed: the address it points to gets nothing, the target gets its retries", async () => {
    let elsewhere = 0;
    let asked = 0;
    const other = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        elsewhere++;
        return new Response("ok");
      },
    });
    const target = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        asked++;
        return new Response(null, {
          status: 302,
          headers: { location: `http://127.0.0.1:${other.port}/internal-only` },
        });
      },
    });
    const dataDir = join(tempDir("redirect"), "data");
    const toml =
      toToml({
        data_dir: dataDir,
        server: { listen: "127.0.0.1:0" },
        apps: [{ sdk_app_id: APP }],
        admin: { listen: "127.0.0.1:0" },
        log: { level: "info" },
      }) +
      `\n[[targets]]\nname = "bouncer"\nurl = "http://127.0.0.1:${target.port}/hook"\nsecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"\nretry_delays_ms = [50, 50]\n`;
    const rh = await startRoomhook({ dataDir, tomlText: toml });
    try {
      expect((await sendCallback(rh, { body: memberEnter("bounced") })).status).toBe(200);
      await until("the first attempt and both retries", () => asked >= 3);
      await Bun.sleep(300);
      expect({ asked, elsewhere }).toEqual({ asked: 3, elsewhere: 0 });
      expect(await rh.stop()).toBe(0);
    } finally {
      target.stop(true);
      other.stop(true);
    }
  });
});
