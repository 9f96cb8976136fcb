// Slow and idle clients against dist/roomhook (issue 5, item 4): up to 10,000 connections at once
// that send nothing, drip their headers, or drip their body one byte a second (and reconnect
// whenever the server cuts them off, as a slowloris does), while legitimate signed callbacks keep
// arriving on keep-alive and on fresh connections. Loopback only; every load is bounded.
//
// The count is SLOW_CLIENTS (default 10,000), lowered to what the open-file limits of this process
// and of the server allow (each connection costs one descriptor on each side); the chosen count and
// the reason are printed. The sandbox this was written in allows 20,000 on both sides.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Socket } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket as NetSocket } from "node:net";
import {
  callbackQuery,
  cleanup,
  memberEnter,
  rawConnect,
  readJournal,
  sendCallback,
  startRoomhook,
  type Roomhook,
} from "./helpers.ts";

// bunfig.toml's [test] timeout is not applied by bun 1.4.5 (the default stays 5 s): set it here.
setDefaultTimeout(30_000);

const TOKEN = "slow-clients-Tok3n-4b1d";
const WANTED = Number(process.env.SLOW_CLIENTS ?? 10_000);
/** Bun's idleTimeout in src/ops/listener.ts; headers have their own, shorter limit inside Bun. */
const IDLE_TIMEOUT_S = 30;
/** The attack lasts past the idle timeout, so the first slow bodies are seen being cut off. */
const ATTACK_MS = (IDLE_TIMEOUT_S + 6) * 1000;
const DRIP_EVERY_MS = 1000;
/**
 * A cut-off attacker reconnects after a random 0..RECONNECT_JITTER_MS. With 0, the ~6,700 idle and
 * slow-header connections cut in the same second all reconnect at once: Bun listens with a backlog
 * of 512 (`ss -ltn`), so the burst overflows the accept queue and a legitimate *new* connection
 * arriving in that instant loses its SYN and waits one retransmission (~1 s; measured 0.7-1.3 s,
 * under Tencent's 2 s timeout but close). That is a SYN-burst effect, not a slow-client one; the
 * default spreads the reconnects over a second, which still keeps ~10,000 connections open.
 */
const RECONNECT_JITTER_MS = Number(process.env.SLOW_CLIENTS_RECONNECT_JITTER_MS ?? 1000);

type Kind = "idle" | "slow-headers" | "slow-body";
const KINDS: Kind[] = ["idle", "slow-headers", "slow-body"];

interface Attacker {
  kind: Kind;
  gen: number;
  openedAt: number;
  closedAt?: number;
  answered: boolean;
  sock?: Socket<undefined>;
}

const openFiles = (pid: number | "self") => {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"))!;
  return Number(line.split(/\s+/)[3]);
};
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

function signedQuery(command = "Room.CallbackAfterMemberEnter") {
  return callbackQuery({ token: TOKEN, bodyCommand: command });
}

let rh: Roomhook;
let count = 0;
let countNote = "";
const attackers: Attacker[] = [];
let running = false;
let reconnects = 0;
let connectErrors = 0;
let reconnectErrors = 0;
let maxServerFds = 0;
let baselineFds = 0;
let fdsAfter = 0;
let rssDuring = 0;
let rssBefore = 0;
const legit: { ms: number; status: number; via: "keep-alive" | "new-connection"; room: string; at: number }[] = [];
let attackStarted = 0;
const before: number[] = [];
let stopCode: number | null = null;
let stopMs = 0;

function payload(kind: Kind): string {
  if (kind === "idle") return "";
  if (kind === "slow-headers") return `POST /callback?${signedQuery()} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `;
  return `POST /callback?${signedQuery()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`;
}

async function openAttacker(kind: Kind, gen: number): Promise<void> {
  const a: Attacker = { kind, gen, openedAt: performance.now(), answered: false };
  attackers.push(a);
  try {
    a.sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: rh.port,
      socket: {
        data() {
          a.answered = true;
        },
        close() {
          a.closedAt = performance.now();
          if (running) {
            reconnects++;
            setTimeout(() => running && void openAttacker(kind, gen + 1), Math.random() * RECONNECT_JITTER_MS);
          }
        },
        error() {},
      },
    });
    if (!running && gen > 0) {
      a.sock.terminate(); // a reconnect that completed after the crowd was sent home
      return;
    }
    const p = payload(kind);
    if (p) a.sock.write(p);
  } catch {
    if (gen === 0) connectErrors++;
    else reconnectErrors++;
    a.closedAt = performance.now();
  }
}

/** One byte a second on every dripping connection, spread over the second. */
function startDrip(): () => void {
  let slice = 0;
  const SLICES = 20;
  const t = setInterval(() => {
    for (let i = slice; i < attackers.length; i += SLICES) {
      const a = attackers[i]!;
      if (a.kind !== "idle" && a.sock && a.closedAt === undefined) a.sock.write(a.kind === "slow-body" ? " " : "a");
    }
    slice = (slice + 1) % SLICES;
  }, DRIP_EVERY_MS / SLICES);
  return () => clearInterval(t);
}

async function legitCallback(via: "keep-alive" | "new-connection"): Promise<void> {
  const room = `legit-${legit.length}-${via}`;
  const body = memberEnter(room);
  const t0 = performance.now();
  let status = 0;
  if (via === "keep-alive") {
    status = (await sendCallback(rh, { body, token: TOKEN })).status;
  } else {
    const c = await rawConnect(rh.port);
    c.write(
      `POST /callback?${signedQuery()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    const r = await Promise.race([c.response, Bun.sleep(5000).then(() => ({ status: 0 }))]);
    status = r.status;
    c.close();
  }
  legit.push({ ms: performance.now() - t0, status, via, room, at: (t0 - attackStarted) / 1000 });
}

async function runTheCrowd(): Promise<void> {
  rh = await startRoomhook({ config: { apps: [{ sdk_app_id: 1400000000, token: TOKEN }] } });
  const limit = Math.min(openFiles("self"), openFiles(rh.pid));
  count = Math.min(WANTED, limit - 300);
  countNote =
    count < WANTED
      ? `${count} connections, not ${WANTED}: the open-file limit (min of this process and the server) is ${limit}`
      : `${count} connections (open-file limit ${limit} on both sides)`;
  console.log(`slow clients: ${countNote}`);

  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    expect((await sendCallback(rh, { body: memberEnter(), token: TOKEN })).status).toBe(200);
    before.push(performance.now() - t0);
  }
  baselineFds = fds(rh.pid);
  rssBefore = rssMb(rh.pid);

  // Open the crowd in batches (the accept backlog is finite), a third of each kind.
  running = true;
  const started = performance.now();
  attackStarted = started;
  for (let i = 0; i < count; i += 500) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + 500); j++) batch.push(openAttacker(KINDS[j % 3]!, 0));
    await Promise.all(batch);
  }
  const stopDrip = startDrip();
  console.log(
    `slow clients: ${count} opened in ${Math.round(performance.now() - started)} ms (${connectErrors} connect errors)`,
  );

  // Legitimate traffic all along: one callback every 50 ms, alternating keep-alive and new connections.
  let n = 0;
  while (performance.now() - started < ATTACK_MS) {
    await legitCallback(n++ % 2 === 0 ? "keep-alive" : "new-connection");
    if (n % 20 === 0) {
      maxServerFds = Math.max(maxServerFds, fds(rh.pid));
      rssDuring = Math.max(rssDuring, rssMb(rh.pid));
    }
    await Bun.sleep(50);
  }

  running = false;
  stopDrip();
  const end = performance.now() + 10_000;
  do {
    for (const a of attackers) if (a.closedAt === undefined) a.sock?.terminate();
    await Bun.sleep(100);
  } while (fds(rh.pid) > baselineFds + 20 && performance.now() < end);
  fdsAfter = fds(rh.pid);

  // The service is still fine afterwards, and stops at once: no request is stuck on a dead body.
  expect((await sendCallback(rh, { body: memberEnter("after-the-crowd"), token: TOKEN })).status).toBe(200);
  const t0 = performance.now();
  stopCode = await rh.stop("SIGTERM", 8000);
  stopMs = performance.now() - t0;

  const ms = legit.map((l) => l.ms);
  console.log(
    `slow clients: server fds max ${maxServerFds} (baseline ${baselineFds}, after ${fdsAfter}); rss ${Math.round(rssBefore)} -> ${Math.round(rssDuring)} MB; ` +
      `${reconnects} reconnects after cut-offs (${reconnectErrors} failed); legit callbacks ${legit.length}: p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms, ` +
      `max ${Math.max(...ms).toFixed(1)} ms (before the crowd: p50 ${pct(before, 50).toFixed(1)} ms); SIGTERM exit ${stopCode} in ${Math.round(stopMs)} ms`,
  );
  const slowest = [...legit].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(
    `slow clients: slowest legit callbacks: ${slowest.map((l) => `${l.ms.toFixed(0)} ms (${l.via}, at ${l.at.toFixed(1)} s)`).join(", ")}`,
  );
  for (const kind of KINDS) {
    const first = attackers.filter((a) => a.kind === kind && a.gen === 0 && a.closedAt !== undefined && a.sock);
    const lived = first.map((a) => (a.closedAt! - a.openedAt) / 1000);
    if (lived.length)
      console.log(
        `slow clients: ${kind}: ${lived.length} first-generation connections cut after ${Math.min(...lived).toFixed(1)}..${Math.max(...lived).toFixed(1)} s`,
      );
  }
}

afterAll(async () => {
  running = false;
  for (const a of attackers) a.sock?.terminate();
  await cleanup();
});

/** First-generation connections of a kind that the server closed while the attack ran. */
function cut(kind: Kind) {
  return attackers.filter((a) => a.kind === kind && a.gen === 0 && a.sock);
}

describe(`slow clients (${WANTED} wanted; see the printed count)`, () => {
  beforeAll(runTheCrowd, ATTACK_MS + 60_000);

  test("the server held the whole crowd of idle, slow-header and slow-body connections at once", () => {
    expect(connectErrors).toBe(0);
    expect(maxServerFds).toBeGreaterThanOrEqual(count);
  });

  // The latency is measured in this process, which also runs the 10,000 attackers: an upper bound.
  // The slowest ones (a few hundred ms) fall on the seconds when a wave of ~6,700 connections is cut
  // by the server and reconnects (every ~12 s), or when the 3,333 slow bodies are cut (~32 s).
  test("legitimate callbacks are acknowledged promptly while the crowd is open: every one 200 and journaled, p99 under 500 ms", () => {
    expect(legit.length).toBeGreaterThan(300);
    expect(legit.filter((l) => l.status !== 200)).toEqual([]);
    const ms = legit.map((l) => l.ms);
    expect(pct(ms, 99)).toBeLessThan(500);
    expect(Math.max(...ms)).toBeLessThan(2000); // Tencent gives up after 2 s
    const journaled = new Set(readJournal(rh.dataDir).map((l) => l.entry.roomId));
    expect(legit.filter((l) => !journaled.has(l.room))).toEqual([]);
  });

  test("a slow-drip body is cut off by the idle timeout (~30 s) however steady the drip; slow headers and idle connections after ~10 s; none gets an answer", () => {
    const body = cut("slow-body");
    expect(body.every((a) => a.closedAt !== undefined)).toBe(true);
    for (const a of body) {
      const lived = (a.closedAt! - a.openedAt) / 1000;
      expect(lived).toBeGreaterThan(IDLE_TIMEOUT_S - 5);
      expect(lived).toBeLessThan(IDLE_TIMEOUT_S + 6);
    }
    for (const kind of ["idle", "slow-headers"] as const) {
      const conns = cut(kind);
      expect(conns.every((a) => a.closedAt !== undefined && (a.closedAt - a.openedAt) / 1000 < 20)).toBe(true);
    }
    // Cut, not answered: a 408 would be kinder, but nothing is stored and nothing leaks either.
    expect(attackers.filter((a) => a.gen === 0 && a.answered).length).toBe(0);
    expect(reconnects).toBeGreaterThanOrEqual(count);
  });

  test("cut-off and abandoned connections leave nothing behind: descriptors back to the baseline, SIGTERM exits 0 at once", () => {
    expect(fdsAfter).toBeLessThanOrEqual(baselineFds + 20);
    expect(stopCode).toBe(0);
    expect(stopMs).toBeLessThan(3000);
    // The crowd never reached the disk: only the legitimate callbacks (and the ones before and after).
    expect(readJournal(rh.dataDir).length).toBe(legit.length + 21);
    expect(readJournal(rh.dataDir, "quarantine").length).toBe(0);
  });
});

describe("bodies of unauthenticated requests", () => {
  // Found by this test: src/callback/ingest.ts used to read the whole body (up to max_body_bytes,
  // 1 MiB by default) before it looked at SdkAppid and Sign, although both are in the query string.
  // Any client could make the server hold max_body_bytes per connection until the body completed or
  // the 30 s idle timeout cut it, with the number of connections bounded only by the open-file
  // limit (LimitNOFILE=65536 in the unit). Measured on dist/roomhook before the fix: 200 such
  // connections grew the server's RSS by ~230 MB (300: ~350 MB); 10,000 would ask for ~12 GB.
  // Fixed in 8dbd808 (authenticate from the query before reading the body).
  test("an unknown SdkAppid cannot make the server hold its body: 200 unfinished 1 MiB bodies grow RSS by less than 64 MB", async () => {
    const server = await startRoomhook({});
    const socks: NetSocket[] = [];
    let grown = 0;
    try {
      const rss0 = rssMb(server.pid);
      const chunk = Buffer.alloc(1024 * 1024 - 1, "x");
      let flushed = 0;
      for (let i = 0; i < 200; i++) {
        // node:net buffers what the kernel does not take at once, so every byte does go out.
        const s = connect({ host: "127.0.0.1", port: server.port });
        s.on("error", () => {});
        s.write(
          `POST /callback?SdkAppid=1&CallbackCommand=Room.CallbackAfterMemberEnter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${1024 * 1024}\r\n\r\n`,
        );
        s.write(chunk, () => void flushed++);
        socks.push(s);
      }
      const until = performance.now() + 10_000;
      while (flushed < socks.length && performance.now() < until) await Bun.sleep(50);
      await Bun.sleep(500);
      grown = rssMb(server.pid) - rss0;
      console.log(`unauthenticated bodies: 200 x (1 MiB - 1) in flight, server RSS grew by ${Math.round(grown)} MB`);
    } finally {
      for (const s of socks) s.destroy();
      await server.stop();
    }
    expect(grown).toBeLessThan(64);
  });
});
