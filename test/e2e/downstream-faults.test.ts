// Downstream faults (RELIABILITY.md): one dist/roomhook with ten targets, each a local server that
// misbehaves in its own way, all while callbacks keep coming. Every event must end up delivered or
// dead-lettered (counted by webhook-id), none lost, nothing delivered that is not in the journal, and
// the ingest and the healthy target must not notice.
//
//   control       answers 200 at once
//   hang          holds every request unanswered for the first 3 s (timeout_ms 300 fires), then 200
//   blackhole     raw TCP that accepts and never answers (timeout_ms 200): dead letters, 3 attempts
//   reset         every third event: 1st attempt RST before any byte of the answer, 2nd RST in the
//                 middle of the status line, 3rd (and every other event's 1st) a 200 whose body is
//                 cut by a RST (the answer said 200: delivered)
//   slow          200 after 50..400 ms
//   flap          500 and 200 in turn
//   garbage200    200 with junk bodies (binary, 2 MiB, wrong content types, a body that trickles
//                 for seconds): a success, first attempt
//   garbage500    500 with junk bodies: retried, then dead letters with the status
//   outage        connection refused for 2.2 s, with the default 31.7 h schedule compressed 20000x
//                 (2.2 s ~ 12 h): nothing dead-lettered, everything delivered after it
//   vanish        connection refused for longer than its (short) schedule: dead letters; then it
//                 comes back and a redelivery through the admin API delivers them all
//
// The ingest load: Room.CallbackAfterMemberEnter events in 40 rooms for every target (one sender per
// room: journal order = send order) and, in parallel, a closed-loop burst of MemberLeave events that
// only "control" takes (the others filter on type), whose latency is compared with a second service
// running alongside with the same ten targets all healthy (bursts alternate between the two).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import type { Server, TCPSocketListener } from "bun";
import {
  configText,
  percentile,
  scanDeadLetters,
  scanJournal,
  sendSigned,
  type TargetToml,
} from "../support/harness.ts";
import { OK_ANSWER, cleanup, freePort, requireBinary, startRoomhook, tempDir, type Roomhook } from "./helpers.ts";
import { join } from "node:path";
import { until } from "../support/until.ts";

setDefaultTimeout(60_000);

const OK_TEXT = JSON.stringify(OK_ANSWER);
const ENTER = "Room.CallbackAfterMemberEnter";
const LEAVE = "Room.CallbackAfterMemberLeave";
const DL_ROOMS = ["dl-1", "dl-2"];
const ROOMS = 40;
const PER_ROOM = 8;
const HANG_MS = 3000;
const OUTAGE_MS = 2200;
const BURST_MS = 3000;
const BURST_SENDERS = 16;

/** The default schedule (31.7 h) compressed 20000x: 1 ms stands for 20 s. */
const COMPRESSED = [
  1000, 5000, 30000, 120000, 600000, 1800000, 3600000, 7200000, 14400000, 28800000, 28800000, 28800000,
].map((d) => Math.max(1, Math.round(d / 20000)));

/** What one target's server saw, by webhook-id. */
class Seen {
  /** 2xx answers the server completed (webhook-id -> seqs). */
  readonly delivered = new Map<string, number[]>();
  readonly attempts = new Map<string, number>();
  /** Per room, the seq of each first successful delivery, in arrival order. */
  readonly firstByRoom = new Map<string, number[]>();
  requests = 0;
  attempt(id: string): number {
    this.requests++;
    const n = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, n);
    return n;
  }
  ok(id: string, body: string): void {
    let ev = { seq: -1, roomId: "" };
    try {
      ev = JSON.parse(body) as { seq: number; roomId: string };
    } catch {}
    const d = this.delivered.get(id);
    if (d) d.push(ev.seq);
    else {
      this.delivered.set(id, [ev.seq]);
      const r = this.firstByRoom.get(ev.roomId);
      if (r) r.push(ev.seq);
      else this.firstByRoom.set(ev.roomId, [ev.seq]);
    }
  }
}

const stoppers: (() => void)[] = [];
const seen = new Map<string, Seen>();
function seenOf(name: string): Seen {
  const s = new Seen();
  seen.set(name, s);
  return s;
}

/** A handler that records the delivery and answers 200. */
function okResponse(s: Seen, id: string, body: string): Response {
  s.ok(id, body);
  return new Response("ok");
}

/** An HTTP target whose handler decides per request. */
function httpTarget(
  name: string,
  handle: (s: Seen, id: string, body: string, attempt: number) => Response | Promise<Response>,
  port = 0,
): string {
  const s = seen.get(name) ?? seenOf(name);
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port,
    idleTimeout: 30,
    fetch: async (req) => {
      const body = await req.text();
      const id = req.headers.get("webhook-id") ?? "";
      return handle(s, id, body, s.attempt(id));
    },
  });
  stoppers.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}/hook`;
}

const junk = {
  binary: crypto.getRandomValues(new Uint8Array(4096)),
  big: new Uint8Array(2 * 1024 * 1024).fill(0xff),
};
function junkResponse(status: number, k: number): Response {
  switch (k % 5) {
    case 0:
      return new Response(junk.binary, { status, headers: { "content-type": "application/octet-stream" } });
    case 1:
      return new Response(junk.big, { status, headers: { "content-type": "text/html" } });
    case 2:
      return new Response('{"ok": tru', { status, headers: { "content-type": "application/json" } });
    case 3:
      return new Response(null, { status, headers: { "content-type": "image/png", "x-junk": "\u00ff\u00fe" } });
    default: {
      // A body that trickles a byte every 50 ms for 2 s.
      let n = 0;
      const stream = new ReadableStream({
        async pull(c) {
          await Bun.sleep(50);
          if (++n > 40) c.close();
          else c.enqueue(new Uint8Array([0x21]));
        },
      });
      return new Response(stream, { status, headers: { "content-type": "text/plain" } });
    }
  }
}

/** A raw TCP server: `onRequest` gets the socket once the head (and webhook-id) has arrived. */
function tcpTarget(
  name: string,
  onRequest: (s: Seen, sock: Socket, id: string, attempt: number, readBody: () => Promise<string>) => void,
): string {
  const s = seen.get(name) ?? seenOf(name);
  const server: NetServer = createServer((sock) => {
    let buf = Buffer.alloc(0);
    let started = false;
    sock.on("error", () => {});
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (started) return;
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      started = true;
      const head = buf.subarray(0, end).toString("latin1");
      const id = /\r\nwebhook-id:\s*(\S+)/i.exec(head)?.[1] ?? "";
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      const readBody = () =>
        new Promise<string>((resolve) => {
          const check = () => {
            if (buf.length >= end + 4 + len) resolve(buf.subarray(end + 4, end + 4 + len).toString("utf8"));
            else sock.once("data", () => setImmediate(check));
          };
          check();
        });
      onRequest(s, sock, id, s.attempt(id), readBody);
    });
  });
  server.listen(0, "127.0.0.1");
  stoppers.push(() => server.close());
  const port = (server.address() as { port: number } | null)?.port;
  if (!port) throw new Error("tcp target did not bind");
  return `http://127.0.0.1:${port}/hook`;
}

/** Accepts and never answers. */
function blackhole(name: string): string {
  seenOf(name);
  const s = seen.get(name)!;
  const l: TCPSocketListener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { open: () => void s.requests++, data() {} },
  });
  stoppers.push(() => l.stop(true));
  return `http://127.0.0.1:${l.port}/hook`;
}

const enterBody = (room: string, n: number) =>
  JSON.stringify({
    CallbackCommand: ENTER,
    Operator_Account: "u1",
    RoomId: room,
    MemberCount: 2,
    Type: "Enter",
    MemberList_Account: [`u${n}`],
    EventTime: Date.now() * 1000 + n,
  });
let leaveN = 0;
const leaveBody = () =>
  JSON.stringify({
    CallbackCommand: LEAVE,
    Operator_Account: "u1",
    RoomId: `burst-${leaveN % 100}`,
    MemberCount: 1,
    Type: "Leave",
    MemberList_Account: ["u1"],
    Reason: "x",
    EventTime: Date.now() * 1000 + (leaveN++ % 1000),
  });

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A closed-loop burst of MemberLeave callbacks; returns sorted latencies, non-OK answers, CPU used. */
async function burst(
  rh: Roomhook,
  ms: number,
): Promise<{ lat: number[]; bad: string[]; cpu: { roomhook: number; tester: number } }> {
  const lat: number[] = [];
  const bad: string[] = [];
  const cpu0 = { roomhook: cpuSeconds(rh.pid), tester: cpuSeconds(process.pid) };
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: BURST_SENDERS }, async () => {
      while (performance.now() < end) {
        try {
          const a = await sendSigned(rh.base, leaveBody(), LEAVE);
          lat.push(a.ms);
          if (a.status !== 200 || a.text !== OK_TEXT) bad.push(`${a.status} ${a.text.slice(0, 80)}`);
        } catch (e) {
          bad.push(String(e));
        }
      }
    }),
  );
  const cpu = {
    roomhook: +(cpuSeconds(rh.pid) - cpu0.roomhook).toFixed(2),
    tester: +(cpuSeconds(process.pid) - cpu0.tester).toFixed(2),
  };
  return { lat: lat.sort((a, b) => a - b), bad, cpu };
}

/** Enter events in 40 rooms (one sender per room, 150..400 ms apart) plus 2 x 2 in the dl- rooms. */
async function enterLoad(rh: Roomhook, bad: string[]): Promise<void> {
  for (const room of DL_ROOMS)
    for (let i = 0; i < 2; i++) {
      const a = await sendSigned(rh.base, enterBody(room, i), ENTER);
      if (a.status !== 200) bad.push(`${a.status}`);
    }
  await Promise.all(
    Array.from({ length: ROOMS }, async (_, r) => {
      for (let i = 0; i < PER_ROOM; i++) {
        const a = await sendSigned(rh.base, enterBody(`room-${r}`, i), ENTER);
        if (a.status !== 200 || a.text !== OK_TEXT) bad.push(`${a.status} ${a.text.slice(0, 80)}`);
        await Bun.sleep(150 + ((r * 37 + i * 11) % 250));
      }
    }),
  );
}

const summary = (lat: number[]) => ({
  n: lat.length,
  p50: +percentile(lat, 50).toFixed(1),
  p99: +percentile(lat, 99).toFixed(1),
  max: +(lat.at(-1) ?? 0).toFixed(1),
});

// ---------------------------------------------------------------------------------------------

let rh: Roomhook;
let admin = "";
let dataDir = "";
const targets: TargetToml[] = [];
let baseline: ReturnType<typeof summary> & { cpu: { roomhook: number; tester: number } };
let underFaults: ReturnType<typeof summary> & { cpu: { roomhook: number; tester: number } };
const burstBad: string[] = [];
const enterBad: string[] = [];
let controlMaxLag = 0;
let controlCatchUpMs = -1;
let vanishDeadBefore = 0;
let vanishRedeliver: { status: number; json: Record<string, unknown> } = { status: 0, json: {} };
let settleMs = 0;

interface TargetStatus {
  name: string;
  cursor: number;
  lag: number;
  inFlight: number;
  deadLetters: number;
  state: string;
  lastError: { message: string } | null;
}
async function status(): Promise<{ headSeq: number; targets: TargetStatus[] }> {
  return (await (await fetch(`${admin}/v1/targets`)).json()) as { headSeq: number; targets: TargetStatus[] };
}
async function untilTargets(what: string, pred: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const targets = async () =>
    `targets: ${JSON.stringify((await status()).targets.map((t) => [t.name, t.cursor, t.lag, t.inFlight, t.deadLetters, t.state]))}`;
  await until(what, pred, { timeoutMs: ms, stepMs: 50, detail: targets });
}

beforeAll(async () => {
  requireBinary();
  let hanging = true;
  const held: (() => void)[] = [];
  const slowRand = (() => {
    let x = 7;
    return () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
  })();
  let flapN = 0;
  let junkN = 0;
  const outagePort = freePort();
  const vanishPort = freePort();
  const onlyEnter = { types: [ENTER] };
  targets.push(
    {
      name: "control",
      url: httpTarget("control", okResponse),
      max_in_flight: 32,
      retry_delays_ms: [20, 50, 100],
    },
    {
      name: "hang",
      url: httpTarget("hang", async (s, id, body) => {
        if (hanging) {
          await new Promise<void>((r) => held.push(r));
          return new Response("late", { status: 503 }); // released after the client gave up: not a delivery
        }
        s.ok(id, body);
        return new Response("ok");
      }),
      timeout_ms: 300,
      retry_delays_ms: [50, 100, 200, 400, 800, 1600, 3200, 3200, 3200],
      ...onlyEnter,
    },
    {
      name: "blackhole",
      url: blackhole("blackhole"),
      timeout_ms: 200,
      retry_delays_ms: [20, 40],
      rooms: DL_ROOMS,
      ...onlyEnter,
    },
    {
      name: "reset",
      url: tcpTarget("reset", (s, sock, id, attempt, readBody) => {
        void readBody().then((body) => {
          const seq = (JSON.parse(body) as { seq: number }).seq;
          if (seq % 3 === 0 && attempt === 1) sock.resetAndDestroy();
          else if (seq % 3 === 0 && attempt === 2) {
            sock.write("HTTP/1.1 200 O");
            setTimeout(() => sock.resetAndDestroy(), 5);
          } else {
            s.ok(id, body); // the status line and headers say 200: the receiver took it
            sock.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\nabc");
            setTimeout(() => sock.resetAndDestroy(), 5);
          }
        });
      }),
      retry_delays_ms: [10, 20, 40, 80, 160, 160, 160, 160, 160, 160],
      ...onlyEnter,
    },
    {
      name: "slow",
      url: httpTarget("slow", async (s, id, body) => {
        await Bun.sleep(50 + Math.floor(slowRand() * 350));
        s.ok(id, body);
        return new Response("ok");
      }),
      max_in_flight: 32,
      ...onlyEnter,
    },
    {
      name: "flap",
      url: httpTarget("flap", (s, id, body) => {
        if (flapN++ % 2 === 0) return new Response("down", { status: 500 });
        s.ok(id, body);
        return new Response("ok");
      }),
      // Every other request fails, whichever event it carries, so an event's attempts fail about
      // half the time: with 10 retries one of 324 events ran out of them in about 1 run in 7 (a
      // correct dead letter, but not what this row checks). 24 retries: about 1 run in 100,000.
      retry_delays_ms: [10, 20, 40, 80, ...Array<number>(20).fill(80)],
      ...onlyEnter,
    },
    {
      name: "garbage200",
      url: httpTarget("garbage200", (s, id, body) => {
        s.ok(id, body);
        return junkResponse(200, junkN++);
      }),
      max_in_flight: 32,
      timeout_ms: 5000,
      ...onlyEnter,
    },
    {
      name: "garbage500",
      url: httpTarget("garbage500", (_s, _id, _b, a) => junkResponse(500, a)),
      retry_delays_ms: [20, 40, 80],
      rooms: DL_ROOMS,
      ...onlyEnter,
    },
    { name: "outage", url: `http://127.0.0.1:${outagePort}/hook`, retry_delays_ms: COMPRESSED, ...onlyEnter },
    {
      name: "vanish",
      url: `http://127.0.0.1:${vanishPort}/hook`,
      retry_delays_ms: [10, 20, 40],
      rooms: DL_ROOMS,
      ...onlyEnter,
    },
  );
  seenOf("outage");
  seenOf("vanish");

  // Two services side by side: "base" with the same ten targets all healthy (instant 200), and the
  // one under test with the faulty ones. Both get the same enter load; the leave burst alternates
  // between them in 500 ms slices, so whatever else runs on the machine weighs on both alike.
  const healthy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
  const bd = join(tempDir("dsbase"), "data");
  const base = await startRoomhook({
    dataDir: bd,
    tomlText: configText(
      { data_dir: bd, journal: { durability: "fsync" } },
      targets.map((t) => ({ ...t, url: `http://127.0.0.1:${healthy.port}/hook` })),
    ),
  });
  dataDir = join(tempDir("downstream"), "data");
  rh = await startRoomhook({
    dataDir,
    tomlText: configText({ data_dir: dataDir, journal: { durability: "fsync" } }, targets),
  });
  admin = `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
  const t0 = Date.now();

  // The fault window: enter events (every target), a leave burst (control only), control's lag sampled.
  const timers = [
    setTimeout(() => {
      hanging = false;
      for (const r of held.splice(0)) r();
    }, HANG_MS),
    setTimeout(() => httpTarget("outage", okResponse, outagePort), OUTAGE_MS),
  ];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const c = (await status()).targets.find((t) => t.name === "control")!;
      controlMaxLag = Math.max(controlMaxLag, c.lag);
      await Bun.sleep(100);
    }
  })();
  const enters = Promise.all([enterLoad(rh, enterBad), enterLoad(base, enterBad)]);
  await Bun.sleep(300);
  const lat = { base: [] as number[], faults: [] as number[] };
  const cpu = { base: { roomhook: 0, tester: 0 }, faults: { roomhook: 0, tester: 0 } };
  for (let k = 0; k < (2 * BURST_MS) / 500; k++) {
    const which = k % 2 === 0 ? "faults" : "base";
    const b = await burst(which === "faults" ? rh : base, 500);
    lat[which].push(...b.lat);
    cpu[which].roomhook += b.cpu.roomhook;
    cpu[which].tester += b.cpu.tester;
    burstBad.push(...b.bad);
  }
  const round2 = (c: { roomhook: number; tester: number }) => ({
    roomhook: +c.roomhook.toFixed(2),
    tester: +c.tester.toFixed(2),
  });
  baseline = { ...summary(lat.base.sort((a, b) => a - b)), cpu: round2(cpu.base) };
  underFaults = { ...summary(lat.faults.sort((a, b) => a - b)), cpu: round2(cpu.faults) };
  const burstEnd = Date.now();
  await untilTargets(
    "control catches up after the burst",
    async () => {
      const st = await status();
      const c = st.targets.find((t) => t.name === "control")!;
      return c.cursor === st.headSeq;
    },
    10_000,
  )
    .then(() => (controlCatchUpMs = Date.now() - burstEnd))
    .catch(() => {});
  await enters;
  sampling = false;
  await sampler;
  expect(await base.stop()).toBe(0);
  healthy.stop(true);

  // vanish: once all its events are dead letters, it comes back and they are redelivered.
  const vanishExpected = 4;
  await untilTargets(
    "vanish dead-letters its 4 events",
    async () => (await status()).targets.find((t) => t.name === "vanish")!.deadLetters === vanishExpected,
    20_000,
  );
  vanishDeadBefore = vanishExpected;
  httpTarget("vanish", okResponse, vanishPort);
  const r = await fetch(`${admin}/v1/dead-letters/vanish/redeliver`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  vanishRedeliver = { status: r.status, json: (await r.json()) as Record<string, unknown> };

  // Everything settles: every cursor at the head, nothing in flight, vanish's dead letters gone.
  await untilTargets(
    "every target settled",
    async () => {
      const st = await status();
      return (
        st.targets.every((t) => t.cursor === st.headSeq && t.inFlight === 0) &&
        st.targets.find((t) => t.name === "vanish")!.deadLetters === 0
      );
    },
    30_000,
  );
  settleMs = Date.now() - t0;
  for (const t of timers) clearTimeout(t);
  for (const r2 of held.splice(0)) r2();
}, 90_000);

afterAll(async () => {
  try {
    if (rh?.alive) expect(await rh.stop()).toBe(0);
  } finally {
    for (const s of stoppers) s();
    await cleanup();
  }
});

/** The journal events a target's filters take. */
function expectedFor(name: string) {
  const t = targets.find((x) => x.name === name)!;
  return scanJournal(dataDir).lines.filter((l) => {
    const type = JSON.parse(l.raw).type as string;
    if (t.types && !t.types.includes(type)) return false;
    if (t.rooms && !t.rooms.includes(l.roomId ?? "")) return false;
    return true;
  });
}

function account(name: string) {
  const exp = expectedFor(name);
  const s = seen.get(name)!;
  const dl = scanDeadLetters(dataDir, name);
  const journalIds = new Set(scanJournal(dataDir).lines.map((l) => l.id));
  const lost = exp.filter((l) => !s.delivered.has(l.id) && !dl.ids.has(l.id)).map((l) => l.seq);
  const phantom = [...s.delivered.keys()].filter((id) => !journalIds.has(id));
  const delivered = exp.filter((l) => s.delivered.has(l.id)).length;
  const dead = exp.filter((l) => dl.ids.has(l.id)).length;
  console.log(
    `${name.padEnd(10)} expected ${String(exp.length).padStart(4)}  delivered ${String(delivered).padStart(4)}  dead-lettered ${String(dead).padStart(3)}  lost ${lost.length}  requests ${s.requests}  redeliveries ${[...s.delivered.values()].reduce((a, v) => a + v.length - 1, 0)}`,
  );
  return { exp, s, dl, lost, phantom, delivered, dead };
}

/** Events of one room arrive in journal order (first deliveries). */
function inRoomOrder(s: Seen): boolean {
  for (const seqs of s.firstByRoom.values())
    for (let i = 1; i < seqs.length; i++) if (seqs[i]! < seqs[i - 1]!) return false;
  return true;
}

describe("downstream faults", () => {
  test("the ingest is unaffected: every callback acknowledged, the burst's latency close to the same targets all healthy", () => {
    console.log(
      `ingest burst (${BURST_SENDERS} senders, ${BURST_MS} ms each, in alternating 500 ms slices; ms per callback; CPU s): ten healthy targets ${JSON.stringify(baseline)}; the same ten, nine faulty ${JSON.stringify(underFaults)}; settled ${settleMs} ms after start`,
    );
    expect(enterBad).toEqual([]);
    expect(burstBad).toEqual([]);
    expect(underFaults.n).toBeGreaterThan(500);
    // Loose bounds (2 shared CPUs run both services, the load and the servers): no stall, the same
    // order of magnitude as with healthy targets.
    expect(underFaults.n).toBeGreaterThan(baseline.n / 2);
    expect(underFaults.p99).toBeLessThan(Math.max(100, baseline.p99 * 3));
    expect(underFaults.max).toBeLessThan(1000);
  });

  test("the healthy target keeps up while the others fail", () => {
    const a = account("control");
    console.log(`control: max lag sampled during the faults ${controlMaxLag}`);
    expect(a.lost).toEqual([]);
    expect(a.phantom).toEqual([]);
    expect(a.delivered).toBe(a.exp.length);
    expect(a.dead).toBe(0);
    // During the burst all targets share 1,500 deliveries/s (ingest first, by design), so control
    // lags; once the burst is over it catches up at full speed, whatever the other nine do.
    console.log(`control: caught up ${controlCatchUpMs} ms after the burst ended`);
    expect(controlCatchUpMs).toBeGreaterThanOrEqual(0);
    expect(controlCatchUpMs).toBeLessThan(5000);
    expect(inRoomOrder(a.s)).toBe(true);
  });

  for (const name of ["hang", "reset", "slow", "flap", "garbage200", "outage"]) {
    test(`${name}: every event delivered, none dead-lettered, none lost, per-room order kept`, () => {
      const a = account(name);
      expect(a.exp.length).toBe(ROOMS * PER_ROOM + 4);
      expect(a.lost).toEqual([]);
      expect(a.phantom).toEqual([]);
      expect(a.dead).toBe(0);
      expect(a.delivered).toBe(a.exp.length);
      expect(inRoomOrder(a.s)).toBe(true);
    });
  }

  test("hang: the timeout fired (requests held past timeout_ms were retried)", () => {
    const s = seen.get("hang")!;
    expect(s.requests).toBeGreaterThan(s.delivered.size);
  });

  test("reset: a reset before or inside the status line is a failure (every third event: exactly 3 attempts); a 200 cut short is a delivery", () => {
    const s = seen.get("reset")!;
    const exp = expectedFor("reset");
    expect(new Set(exp.filter((l) => l.seq % 3 === 0).map((l) => s.attempts.get(l.id)))).toEqual(new Set([3]));
    expect(new Set(exp.filter((l) => l.seq % 3 !== 0).map((l) => s.attempts.get(l.id)))).toEqual(new Set([1]));
  });

  test("garbage200: a 200 with any body is a success at the first attempt", () => {
    const s = seen.get("garbage200")!;
    expect(new Set(expectedFor("garbage200").map((l) => s.attempts.get(l.id)))).toEqual(new Set([1]));
  });

  test("outage (~12 h on a compressed 31.7 h schedule): nothing reached the dead letters", () => {
    expect(scanDeadLetters(dataDir, "outage").ids.size).toBe(0);
  });

  for (const [name, status, error] of [
    ["blackhole", null, /timeout after 200 ms \(after 3 attempts\)/],
    ["garbage500", 500, /HTTP 500 \(after 4 attempts\)/],
  ] as const) {
    test(`${name}: every event dead-lettered once the schedule is spent, with its last error; none lost`, async () => {
      const a = account(name);
      expect(a.exp.length).toBe(4);
      expect(a.lost).toEqual([]);
      expect(a.delivered).toBe(0);
      expect(a.dead).toBe(4);
      const page = (await (await fetch(`${admin}/v1/dead-letters/${name}`)).json()) as {
        total: number;
        entries: { status: number | null; lastError: string; attempts: number }[];
      };
      expect(page.total).toBe(4);
      for (const e of page.entries) {
        expect(e.status).toBe(status);
        expect(e.lastError).toMatch(error);
      }
    });
  }

  test("vanish: dead letters after its schedule, then delivered by a redelivery once it is back; none lost", () => {
    expect(vanishDeadBefore).toBe(4);
    expect(vanishRedeliver.status).toBe(202);
    expect(vanishRedeliver.json.queued).toBe(4);
    const a = account("vanish");
    expect(a.lost).toEqual([]);
    expect(a.delivered).toBe(4);
    expect(scanDeadLetters(dataDir, "vanish").ids.size).toBe(0);
  });

  test("at the end every target's cursor is at the journal's head (lag 0)", async () => {
    const st = await status();
    expect(st.targets.map((t) => [t.name, t.lag])).toEqual(st.targets.map((t) => [t.name, 0]));
  });
});
