// Rate-limited HTTP/1.1 load generator for scripts/soak/soak (wrk has no rate limit and Debian has
// no wrk2). Loopback only, bounded in time, self-stopping.
//
//   bun scripts/soak/load.ts --url URL --rate R --duration S [--connections N] [--sample S]
//                            [--rooms N] [--timeout-ms MS]
//
// Open model, as wrk2 does it: request i is *intended* at start + i/R, whatever happened before.
// A 1 ms ticker moves every request that has come due into a FIFO; any idle keep-alive connection
// (of N, raw sockets, one request in flight each) takes the next. Latency is measured from the
// intended time, not from when a connection got free, so a stall shows up as the latency every
// request queued behind it saw (coordinated omission corrected). `service` latency (from the
// actual write) is given too.
//
// Bodies are unique valid Room.CallbackAfterMemberEnter callbacks, the same shape as
// scripts/bench/post.lua (random prefix + counter in Operator_Account, MemberList_Account and
// EventTime; RoomId cycles over --rooms), so roomhook's dedupe never hides a write.
//
// stdout: one JSON line per window of --sample seconds ({"type":"window",...}), then one
// {"type":"done",...} with the totals. After --duration nothing new is sent (requests the schedule
// wanted but could not send yet are counted as `unsent`); those in flight get --timeout-ms to
// finish. Exit 0 (even with errors: they are counted).
// Caveats: the ticker's 1 ms granularity adds up to ~1 ms to each latency; if this process itself is
// starved of CPU its ticks come late and that lateness counts as latency too: `gen_stall_ms` (the
// longest gap between two ticks in the window) tells such windows apart.

import type { Socket } from "bun";
import { Histo, pct, Window } from "./latency.ts";

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) {
    console.error(`soak-load: --${name} is required`);
    process.exit(2);
  }
  return v;
}
const url = new URL(arg("url"));
const RATE = Number(arg("rate"));
const DURATION = Number(arg("duration"));
const CONNECTIONS = Number(arg("connections", "64"));
const SAMPLE_S = Number(arg("sample", "5"));
const ROOMS = Number(arg("rooms", "1000"));
const TIMEOUT_MS = Number(arg("timeout-ms", "5000"));
for (const [k, v] of Object.entries({ RATE, DURATION, CONNECTIONS, SAMPLE_S, ROOMS, TIMEOUT_MS })) {
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`soak-load: ${k} must be a positive number`);
    process.exit(2);
  }
}
if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost" && url.hostname !== "[::1]") {
  console.error("soak-load: loopback targets only");
  process.exit(2);
}
const HOST = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
const PORT = Number(url.port || 80);
const PATH = url.pathname + url.search;

// ------------------------------------------------------------------ requests
const prefix = `soak-${process.pid}-${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
const baseMs = Date.now();
const head = `POST ${PATH} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`;
function request(n: number): string {
  const acct = `${prefix}-${n}`;
  const body =
    `{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"${acct}","RoomId":"rid-soak-${n % ROOMS}",` +
    `"MemberCount":${(n % 50) + 1},"Type":"Enter","MemberList_Account":["${acct}"],"EventTime":${baseMs + n}}`;
  return `${head}Content-Length: ${body.length}\r\n\r\n${body}`; // ASCII: length = bytes
}

// ------------------------------------------------------------------ latency bookkeeping (latency.ts)
let win = new Window();
const all = new Histo();
const allSvc = new Histo();
const totals = {
  scheduled: 0,
  sent: 0,
  ok: 0,
  non2xx: 0,
  readErr: 0,
  connectErr: 0,
  timeouts: 0,
  statuses: {} as Record<string, number>,
};

// ------------------------------------------------------------------ connections
interface Conn {
  id: number;
  sock: Socket<Conn> | null;
  connecting: boolean;
  busy: boolean;
  intended: number; // of the request in flight
  sentAt: number;
  buf: Buffer;
  pending: string; // unwritten tail of the request
}
const conns: Conn[] = [];
const idle: Conn[] = [];
// FIFO of intended send times (ms, performance.now() clock)
let queue: number[] = [];
let qHead = 0;
let counter = 0;
let stopping = false; // no reconnects
let ended = false; // no new sends: DURATION is over

function finish(c: Conn, status: number) {
  const now = performance.now();
  const lat = now - c.intended;
  const svc = now - c.sentAt;
  c.busy = false;
  totals.statuses[String(status)] = (totals.statuses[String(status)] ?? 0) + 1;
  if (status >= 200 && status < 300) {
    totals.ok++;
    win.ok++;
  } else {
    totals.non2xx++;
    win.non2xx++;
  }
  win.lat.push(lat);
  win.svc.push(svc);
  all.add(lat);
  allSvc.add(svc);
  dispatch(c);
}

function fail(c: Conn, kind: "read" | "timeout") {
  if (c.busy) {
    c.busy = false;
    if (kind === "timeout") totals.timeouts++;
    else totals.readErr++;
    win.errors++;
  }
  c.buf = Buffer.alloc(0);
  c.pending = "";
  const s = c.sock;
  c.sock = null;
  s?.end();
  if (!stopping) connect(c);
}

/** Parses as many complete responses as the buffer holds (one is expected). */
function parse(c: Conn) {
  for (;;) {
    const end = c.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const headText = c.buf.subarray(0, end).toString("latin1");
    const status = Number(headText.slice(9, 12));
    const lower = headText.toLowerCase();
    const m = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    let total: number;
    if (m) {
      total = end + 4 + Number(m[1]);
      if (c.buf.length < total) return;
    } else if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
      const z = c.buf.indexOf("\r\n0\r\n\r\n", end);
      const z0 = c.buf.indexOf("0\r\n\r\n", end + 4);
      if (z0 === end + 4) total = end + 4 + 5;
      else if (z >= 0) total = z + 7;
      else return;
    } else {
      total = end + 4; // no body
    }
    c.buf = c.buf.subarray(total);
    const closing = /\r\nconnection:\s*close/.test(lower);
    if (!c.busy) {
      // an answer nobody asked for: count it and reset the connection
      fail(c, "read");
      return;
    }
    finish(c, status);
    if (closing) {
      fail(c, "read");
      return;
    }
  }
}

function write(c: Conn) {
  if (!c.sock || !c.pending) return;
  const n = c.sock.write(c.pending);
  c.pending = n >= c.pending.length ? "" : c.pending.slice(Math.max(0, n));
}

function dispatch(c: Conn) {
  if (c.busy || !c.sock || c.connecting) return;
  if (qHead < queue.length && !ended) {
    const intended = queue[qHead++]!;
    if (qHead > 65536 && qHead * 2 > queue.length) {
      queue = queue.slice(qHead);
      qHead = 0;
    }
    c.busy = true;
    c.intended = intended;
    c.sentAt = performance.now();
    c.pending = request(++counter);
    totals.sent++;
    win.sent++;
    write(c);
  } else {
    idle.push(c);
  }
}

function connect(c: Conn) {
  c.connecting = true;
  Bun.connect<Conn>({
    hostname: HOST,
    port: PORT,
    data: c,
    socket: {
      open(s) {
        c.sock = s;
        c.connecting = false;
        c.buf = Buffer.alloc(0);
        s.setNoDelay(true);
        dispatch(c);
      },
      data(_s, chunk) {
        c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : Buffer.from(chunk);
        parse(c);
      },
      drain() {
        write(c);
      },
      close(s) {
        if (c.sock === s) fail(c, "read");
      },
      error(s) {
        if (c.sock === s) fail(c, "read");
      },
    },
  }).catch(() => {
    totals.connectErr++;
    win.errors++;
    c.connecting = false;
    if (!stopping) setTimeout(() => connect(c), 100);
  });
}

// ------------------------------------------------------------------ schedule
const start = performance.now();
const endAt = start + DURATION * 1000;
const intervalMs = 1000 / RATE;
for (let i = 0; i < CONNECTIONS; i++) {
  const c: Conn = {
    id: i,
    sock: null,
    connecting: false,
    busy: false,
    intended: 0,
    sentAt: 0,
    buf: Buffer.alloc(0),
    pending: "",
  };
  conns.push(c);
  connect(c);
}

let lastTick = performance.now();
function tick() {
  const now = performance.now();
  if (now - lastTick > win.stall) win.stall = now - lastTick;
  lastTick = now;
  const until = Math.min(now, endAt);
  let due = Math.floor((until - start) / intervalMs);
  if (now >= endAt) due = Math.round(DURATION * RATE);
  while (totals.scheduled < due) {
    queue.push(start + totals.scheduled * intervalMs);
    totals.scheduled++;
    win.scheduled++;
  }
  while (idle.length && qHead < queue.length && !ended) dispatch(idle.pop()!);
  // timeouts
  for (const c of conns) if (c.busy && now - c.sentAt > TIMEOUT_MS) fail(c, "timeout");
}
const ticker = setInterval(tick, 1);

let windowStart = start;
function emitWindow(final = false) {
  const now = performance.now();
  const w = win;
  win = new Window();
  const lat = Float64Array.from(w.lat).sort();
  const svc = Float64Array.from(w.svc).sort();
  const secs = (now - windowStart) / 1000;
  windowStart = now;
  const line = {
    type: "window",
    t: +((now - start) / 1000).toFixed(3),
    window_s: +secs.toFixed(3),
    scheduled: w.scheduled,
    sent: w.sent,
    completed: lat.length,
    ok: w.ok,
    non2xx: w.non2xx,
    errors: w.errors,
    rps: +(lat.length / secs).toFixed(1),
    p50_ms: +pct(lat, 50).toFixed(3),
    p90_ms: +pct(lat, 90).toFixed(3),
    p99_ms: +pct(lat, 99).toFixed(3),
    max_ms: +(lat.length ? lat[lat.length - 1]! : NaN).toFixed(3),
    svc_p99_ms: +pct(svc, 99).toFixed(3),
    backlog: queue.length - qHead,
    gen_stall_ms: +w.stall.toFixed(1),
    in_flight: conns.filter((c) => c.busy).length,
    final,
  };
  console.log(JSON.stringify(line));
}
const sampler = setInterval(() => emitWindow(), SAMPLE_S * 1000);

async function main() {
  while (performance.now() < endAt) await Bun.sleep(Math.max(1, endAt - performance.now()));
  tick();
  // DURATION is over: nothing new is sent (what the schedule wanted but could not send yet is
  // `unsent`, a sign the server fell behind); requests in flight get their TIMEOUT_MS.
  ended = true;
  const unsent = queue.length - qHead;
  const drainUntil = performance.now() + TIMEOUT_MS + 1000;
  while (performance.now() < drainUntil && conns.some((c) => c.busy)) await Bun.sleep(5);
  stopping = true;
  clearInterval(ticker);
  clearInterval(sampler);
  for (const c of conns) if (c.busy) fail(c, "timeout");
  emitWindow(true);
  for (const c of conns) c.sock?.end();
  console.log(
    JSON.stringify({
      type: "done",
      rate: RATE,
      duration_s: DURATION,
      connections: CONNECTIONS,
      elapsed_s: +((performance.now() - start) / 1000).toFixed(3),
      scheduled: totals.scheduled,
      sent: totals.sent,
      unsent,
      ok: totals.ok,
      non2xx: totals.non2xx,
      read_err: totals.readErr,
      connect_err: totals.connectErr,
      timeouts: totals.timeouts,
      statuses: totals.statuses,
      p50_ms: +all.pct(50).toFixed(3),
      p99_ms: +all.pct(99).toFixed(3),
      p999_ms: +all.pct(99.9).toFixed(3),
      max_ms: +all.max.toFixed(3),
      svc_p99_ms: +allSvc.pct(99).toFixed(3),
    }),
  );
  process.exit(0);
}
void main();
