// systemd socket activation, without systemd: this process holds a listening socket (as
// roomhook.socket does) and spawns dist/roomhook with it as fd 3, LISTEN_FDS=1 and LISTEN_PID set
// to the child's pid. Callbacks over HTTP and HTTPS go through the inherited socket, allow_from
// sees the real peer, a restart refuses nothing, and a socket that cannot be used is fatal.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  callbackQuery,
  cleanup,
  holdSocket,
  memberEnter,
  rawConnect,
  readJournal,
  selfSignedCert,
  servedFingerprint,
  certFingerprint,
  installCert,
  liveCert,
  sendCallback,
  spawnActivated,
  startActivated,
  startRoomhook,
  tempDir,
  type HeldSocket,
  type Roomhook,
} from "./helpers.ts";

setDefaultTimeout(30_000);
const held: HeldSocket[] = [];
afterAll(async () => {
  await cleanup();
  for (const s of held.splice(0)) s.close();
});

function hold(): HeldSocket {
  const s = holdSocket();
  held.push(s);
  return s;
}

const ADOPTED = "adopted the listening socket systemd passed (socket activation); server.listen is not bound";

function roomsIn(dataDir: string): string[] {
  return readJournal(dataDir).map((l) => String(l.entry.roomId));
}

describe("socket activation over HTTP", () => {
  test("callbacks through the inherited socket are acknowledged and journaled; allow_from sees the peer", async () => {
    const sock = hold();
    // server.listen names another port: the socket unit wins, with a warning.
    const rh = await startActivated({
      fd: sock.fd,
      config: { server: { listen: "127.0.0.1:9", allow_from: ["127.0.0.1/32"] } },
    });
    try {
      expect(rh.port).toBe(sock.port);
      const adopted = await rh.waitForLog((l) => l.msg === ADOPTED);
      expect(adopted).toMatchObject({ fd: 3, fds: 1, chosen: "only", bound: `127.0.0.1:${sock.port}` });
      await rh.waitForLog((l) => typeof l.msg === "string" && l.msg.includes("disagree on the port"));
      const r = await sendCallback(rh, { body: memberEnter("act-http") });
      expect(r.status).toBe(200);
      expect(r.json.ActionStatus).toBe("OK");
      // Any other method on the path gets Tencent's 405; other paths the app's answers.
      expect((await fetch(`${rh.callbackUrl}?${callbackQuery({})}`)).status).toBe(405);
      expect((await fetch(`${rh.base}/readyz`)).status).toBe(200);
      expect((await fetch(`${rh.base}/nope`)).status).toBe(404);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
    expect(roomsIn(rh.dataDir)).toEqual(["act-http"]);
    expect(rh.logs.some((l) => l.msg === "stopped cleanly")).toBe(true);
  });

  test("allow_from judges the real TCP peer: 127.0.0.1 is refused by 10.0.0.0/8 and named in the log", async () => {
    const sock = hold();
    const rh = await startActivated({ fd: sock.fd, config: { server: { allow_from: ["10.0.0.0/8"] } } });
    try {
      const r = await sendCallback(rh, { body: memberEnter("act-denied") });
      expect(r.status).toBe(403);
      const line = await rh.waitForLog((l) => l.msg === "callback rejected");
      expect(line.remote).toBe("127.0.0.1");
    } finally {
      expect(await rh.stop()).toBe(0);
    }
    expect(readJournal(rh.dataDir).length).toBe(0);
  });

  test("a restart refuses nothing: a request sent while no process runs is answered by the next", async () => {
    const sock = hold();
    const dataDir = join(tempDir("act-restart"), "data");
    const first = await startActivated({ fd: sock.fd, dataDir });
    expect((await sendCallback(first, { body: memberEnter("before") })).status).toBe(200);
    expect(await first.stop()).toBe(0);
    // Nobody accepts now; the kernel queues the connection on the socket this process holds.
    const pending = sendCallback(`http://127.0.0.1:${sock.port}`, { body: memberEnter("between") });
    await Bun.sleep(200);
    const second = await startActivated({ fd: sock.fd, dataDir });
    try {
      const r = await pending;
      expect(r.status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(roomsIn(dataDir)).toEqual(["before", "between"]);
  });

  test("the inner loopback server answers only what came through the inherited socket", async () => {
    const sock = hold();
    const rh = await startActivated({ fd: sock.fd });
    try {
      const inner = String((await rh.waitForLog((l) => l.msg === ADOPTED)).inner);
      expect(inner).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(inner).not.toBe(`127.0.0.1:${sock.port}`);
      const direct = await sendCallback(`http://${inner}`, { body: memberEnter("act-direct") });
      expect(direct.status).toBe(403);
      expect((await sendCallback(rh, { body: memberEnter("act-relayed") })).status).toBe(200);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
    expect(roomsIn(rh.dataDir)).toEqual(["act-relayed"]);
  });

  test("LISTEN_PID of another process: the socket is not ours, server.listen is bound", async () => {
    const sock = hold();
    const rh = await startActivated({ fd: sock.fd, listenPid: 1 });
    try {
      expect(rh.port).not.toBe(sock.port);
      expect(rh.logs.some((l) => l.msg === ADOPTED)).toBe(false);
      expect((await sendCallback(rh, { body: memberEnter("own-socket") })).status).toBe(200);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });

  test("several sockets: the one named roomhook is served", async () => {
    const other = hold();
    const sock = hold();
    const rh = await startActivated({ fd: other.fd, moreFds: [sock.fd], listenFds: "2", fdNames: "admin:roomhook" });
    try {
      expect(rh.port).toBe(sock.port);
      expect(await rh.waitForLog((l) => l.msg === ADOPTED)).toMatchObject({
        fd: 4,
        fdName: "roomhook",
        chosen: "named",
      });
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });
});

describe("a socket that cannot be used is fatal, never a silent fallback", () => {
  test("fd 3 is a regular file: exit 1 with a clear fatal line", async () => {
    const file = join(tempDir("act-bad"), "not-a-socket");
    writeFileSync(file, "x");
    const rh = spawnActivated({ fd: openSync(file, "r") });
    expect(await rh.exited()).toBe(1);
    const fatal = rh.logs.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/cannot serve on the socket systemd passed.*not listening elsewhere/);
    expect(fatal?.fd).toBe(3);
    expect(rh.logs.some((l) => l.msg === "roomhook listening")).toBe(false);
  });

  test("LISTEN_FDS that is not a number: exit 1", async () => {
    const sock = hold();
    const rh = spawnActivated({ fd: sock.fd, listenFds: "many" });
    expect(await rh.exited()).toBe(1);
    expect(rh.logs.find((l) => l.level === 60)?.err).toMatch(/LISTEN_FDS/);
  });
});

/** Sends half a request on a keep-alive connection, SIGTERMs, sends the rest: its answer. */
async function requestAcrossSigterm(rh: Roomhook, room: string) {
  const body = memberEnter(room);
  const conn = await rawConnect(rh.port);
  const query = callbackQuery({ bodyCommand: "Room.CallbackAfterMemberEnter" });
  conn.write(`POST /callback?${query} HTTP/1.1\r\nHost: x\r\n`);
  await Bun.sleep(100);
  rh.proc.kill("SIGTERM");
  await rh.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("draining"));
  await Bun.sleep(100);
  conn.write(`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return await conn.response;
}

describe("drain", () => {
  test("inherited socket: a request on its way at SIGTERM is answered with Connection: close; exit 0", async () => {
    const sock = hold();
    const rh = await startActivated({ fd: sock.fd });
    const res = await requestAcrossSigterm(rh, "mid-request");
    expect(res.status).toBe(200);
    expect(res.headers).toMatch(/\r\nconnection: close/i);
    expect(await rh.exited()).toBe(0);
    expect(roomsIn(rh.dataDir)).toEqual(["mid-request"]);
  });

  test("own socket: the same (test/e2e/cli.test.ts checks that new connections are refused at once)", async () => {
    const rh = await startRoomhook({});
    const res = await requestAcrossSigterm(rh, "own-mid-request");
    expect(res.status).toBe(200);
    expect(res.headers).toMatch(/\r\nconnection: close/i);
    expect(await rh.exited()).toBe(0);
    expect(roomsIn(rh.dataDir)).toEqual(["own-mid-request"]);
  });
});

describe("socket activation over HTTPS", () => {
  test("HTTPS through the inherited socket; SIGHUP swaps the certificate in place", async () => {
    const dir = tempDir("act-tls");
    const a = selfSignedCert(dir, "a");
    const b = selfSignedCert(dir, "b");
    const live = liveCert(dir, a);
    const sock = hold();
    const rh = await startActivated({
      fd: sock.fd,
      https: true,
      config: { server: { tls_cert: live.cert, tls_key: live.key, allow_from: ["127.0.0.1/32"] } },
    });
    const url = (room: string) =>
      `https://127.0.0.1:${rh.port}/callback?${callbackQuery({ bodyCommand: "Room.CallbackAfterMemberEnter" })}#${room}`;
    const post = async (room: string, ca: string) => {
      const r = await fetch(url(room), { method: "POST", body: memberEnter(room), tls: { ca } });
      return { status: r.status, text: await r.text() };
    };
    try {
      expect(rh.logs.find((l) => l.msg === "roomhook listening")?.tls).toBe(true);
      expect(await servedFingerprint(rh.port)).toBe(certFingerprint(a.cert));
      expect((await post("tls-a", readFileSync(a.cert, "utf8"))).status).toBe(200);
      installCert(live, b);
      const from = rh.logs.length;
      rh.proc.kill("SIGHUP");
      await rh.waitForLog((l) => l.msg === "configuration reloaded", 5000, from);
      expect(await servedFingerprint(rh.port)).toBe(certFingerprint(b.cert));
      expect((await post("tls-b", readFileSync(b.cert, "utf8"))).status).toBe(200);
      // Plain HTTP on the TLS socket is not answered.
      const plain = await fetch(`http://127.0.0.1:${rh.port}/healthz`).then(
        (r) => r.status,
        () => "refused",
      );
      expect(plain).not.toBe(200);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
    expect(roomsIn(rh.dataDir)).toEqual(["tls-a", "tls-b"]);
  });

  test("SIGHUP rotation under keep-alive HTTPS load drops nothing", async () => {
    const dir = tempDir("act-tls-load");
    const a = selfSignedCert(dir, "a");
    const b = selfSignedCert(dir, "b");
    const live = liveCert(dir, a);
    const ca = [readFileSync(a.cert, "utf8"), readFileSync(b.cert, "utf8")];
    const sock = hold();
    const rh = await startActivated({
      fd: sock.fd,
      https: true,
      config: { server: { tls_cert: live.cert, tls_key: live.key } },
    });
    const query = callbackQuery({ bodyCommand: "Room.CallbackAfterMemberEnter" });
    let running = true;
    const acked: string[] = [];
    const failures: string[] = [];
    const client = async (c: number) => {
      for (let i = 0; running; i++) {
        const room = `rot-${c}-${i}`;
        try {
          const r = await fetch(`https://127.0.0.1:${rh.port}/callback?${query}`, {
            method: "POST",
            body: memberEnter(room),
            tls: { ca },
          });
          await r.text();
          if (r.status === 200) acked.push(room);
          else failures.push(`${room}: ${r.status}`);
        } catch (e) {
          failures.push(`${room}: ${(e as Error).message}`);
        }
      }
    };
    try {
      const clients = Array.from({ length: 6 }, (_, c) => client(c));
      await Bun.sleep(300);
      installCert(live, b);
      const from = rh.logs.length;
      rh.proc.kill("SIGHUP");
      await rh.waitForLog((l) => l.msg === "configuration reloaded", 5000, from);
      // The old inner server retires after 3 s: the load runs through it.
      await Bun.sleep(3500);
      expect(await servedFingerprint(rh.port)).toBe(certFingerprint(b.cert));
      running = false;
      await Promise.all(clients);
    } finally {
      running = false;
      expect(await rh.stop()).toBe(0);
    }
    expect(failures).toEqual([]);
    expect(acked.length).toBeGreaterThan(50);
    const journaled = new Set(roomsIn(rh.dataDir));
    expect(acked.filter((r) => !journaled.has(r))).toEqual([]);
  });
});
