#!/usr/bin/env bun
// The room-state projection's benchmarks (issue 13; BENCHMARKS.md "Room state"):
//   rebuild   events/s of a rebuild from a journal of --events N realistic room events (default
//             1,000,000: rooms created, members entering and leaving, seats, updates, destroys),
//             in process, --runs times (median); also the snapshot's size and write/load times
//   rss       dist/roomhook's RSS idle (empty data dir) and with --rooms R active rooms of
//             --members M members each (default 10,000 x 50), once caught up from the journal and
//             once restarted from its snapshot
//   bun scripts/bench/rooms.ts [rebuild|rss|all] [--events N] [--runs N] [--rooms R] [--members M]
// Loopback only; every child is stopped after its measurement. Wrap runs in flock /work/bench.lock.
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envelopeHead, eventId } from "../../src/journal/line.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { Projection } from "../../src/rooms/projection.ts";
import { snapshotFile } from "../../src/rooms/snapshot.ts";
import { rng, startRoomhook, type Roomhook } from "../../test/support/harness.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const WHAT = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "all";
const EVENTS = arg("events", 1_000_000);
const RUNS = arg("runs", 3);
const ROOMS = arg("rooms", 10_000);
const MEMBERS = arg("members", 50);
const APP = 1400000000;
const SEGMENT_BYTES = 134_217_728;

/** Appends journal lines in the service's own format, straight to segment files. */
class JournalMaker {
  private fd = -1;
  private size = 0;
  private chunk = "";
  seq = 0;
  bytes = 0;
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  add(body: Record<string, unknown>): void {
    this.seq++;
    if (this.fd < 0 || this.size + this.chunk.length > SEGMENT_BYTES) this.roll();
    const text = JSON.stringify(body);
    const type = String(body.CallbackCommand);
    const info = body.RoomInfo as { RoomId?: string } | undefined;
    const head = envelopeHead({
      id: eventId(APP, type, Buffer.from(text)).hex,
      type,
      sdkAppId: APP,
      roomId: String(body.RoomId ?? info?.RoomId),
      eventTime: body.EventTime as number,
      receivedAt: "2026-11-30T00:00:00.000Z",
      clientIp: "127.0.0.1",
      optPlatform: "Web",
    });
    this.chunk += `{"seq":${this.seq},${head}${text}}\n`;
    if (this.chunk.length > 1 << 20) this.flush();
  }
  private flush(): void {
    if (!this.chunk) return;
    const b = Buffer.from(this.chunk);
    writeSync(this.fd, b);
    this.size += b.length;
    this.bytes += b.length;
    this.chunk = "";
  }
  private roll(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = openSync(join(this.dir, segmentName(this.seq)), "w", 0o600);
    this.size = 0;
  }
  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
  }
}

const cmd = (c: string, room: string, t: number, rest: Record<string, unknown> = {}) => ({
  CallbackCommand: c,
  Operator_Account: "admin",
  RoomId: room,
  ...rest,
  EventTime: t,
});

/** Room lifecycles, interleaved over 2,000 live rooms, until `events` lines are written. */
function lifecycles(j: JournalMaker, events: number): void {
  const rnd = rng(13);
  let t = Date.now() - 3_600_000;
  const live: { id: string; in: string[]; n: number }[] = [];
  let made = 0;
  while (j.seq < events) {
    t += 1;
    if (live.length < 2_000) {
      const id = `room-${made++}`;
      j.add({
        CallbackCommand: "Room.CallbackAfterCreateRoom",
        Operator_Account: "owner",
        RoomInfo: { RoomId: id, RoomName: id, RoomType: "Conference", Owner_Account: "owner", MaxSeatCount: 8 },
        EventTime: t,
      });
      live.push({ id, in: [], n: 0 });
      continue;
    }
    const i = Math.floor(rnd() * live.length);
    const r = live[i]!;
    const p = rnd();
    if (r.n++ > 120) {
      j.add(cmd("Room.CallbackAfterDestroyRoom", r.id, t));
      live.splice(i, 1);
    } else if (p < 0.45 || r.in.length === 0) {
      const users = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `user-${Math.floor(rnd() * 1e6)}`);
      r.in.push(...users);
      j.add(
        cmd("Room.CallbackAfterMemberEnter", r.id, t, {
          MemberCount: r.in.length,
          Type: "Enter",
          MemberList_Account: users,
        }),
      );
    } else if (p < 0.8) {
      const u = r.in.splice(Math.floor(rnd() * r.in.length), 1);
      const type = ["Leave", "Kicked", "Expired"][Math.floor(rnd() * 3)];
      j.add(
        cmd("Room.CallbackAfterMemberLeave", r.id, t, {
          MemberCount: r.in.length,
          Type: type,
          Reason: "",
          MemberList_Account: u,
        }),
      );
    } else if (p < 0.95) {
      const seat = {
        Index: Math.floor(rnd() * 8),
        Member_Account: rnd() < 0.5 ? (r.in[0] ?? "") : "",
        IsTakenDisabled: false,
        IsVideoDisabled: false,
        IsAudioDisabled: false,
      };
      j.add(cmd("Mic.CallbackAfterSeatInfoChanged", r.id, t, { SeatList: [seat] }));
    } else {
      j.add({
        CallbackCommand: "Room.CallbackAfterUpdateRoomInfo",
        Operator_Account: "owner",
        RoomInfo: { RoomId: r.id, RoomName: `${r.id}-${t}` },
        EventTime: t,
      });
    }
  }
}

/** `rooms` active rooms with `members` members each, half of them on a seat of 8. */
function activeRooms(j: JournalMaker, rooms: number, members: number): void {
  let t = Date.now() - 600_000;
  for (let r = 0; r < rooms; r++) {
    const id = `room-${r}`;
    j.add({
      CallbackCommand: "Room.CallbackAfterCreateRoom",
      Operator_Account: "owner",
      RoomInfo: { RoomId: id, RoomName: id, RoomType: "Conference", Owner_Account: "owner" },
      EventTime: ++t,
    });
    for (let m = 0; m < members; m += 5) {
      const users = Array.from({ length: Math.min(5, members - m) }, (_, k) => `user-${r}-${m + k}`);
      j.add(
        cmd("Room.CallbackAfterMemberEnter", id, ++t, {
          MemberCount: m + users.length,
          Type: "Enter",
          MemberList_Account: users,
        }),
      );
    }
    const seats = Array.from({ length: 8 }, (_, k) => ({
      Index: k,
      Member_Account: `user-${r}-${k}`,
      IsTakenDisabled: false,
      IsVideoDisabled: false,
      IsAudioDisabled: false,
    }));
    j.add(cmd("Mic.CallbackAfterSeatInfoChanged", id, ++t, { SeatList: seats }));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rebuild(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "rh-rooms-rebuild-"));
  try {
    const j = new JournalMaker(join(dataDir, "journal"));
    lifecycles(j, EVENTS);
    j.close();
    console.error(`journal: ${j.seq} events, ${(j.bytes / 1e6).toFixed(0)} MB`);
    const rates: number[] = [];
    let p: Projection | null = null;
    for (let i = 0; i < RUNS; i++) {
      Bun.gc(true);
      const t0 = performance.now();
      p = new Projection({ dataDir, retainDestroyedHours: 24 }).open(Infinity, true).catchUpAll();
      const s = (performance.now() - t0) / 1000;
      rates.push(p.state.seq / s);
      console.error(
        `run ${i + 1}: ${p.state.seq} events in ${s.toFixed(2)} s = ${Math.round(p.state.seq / s)} events/s`,
      );
    }
    const st = p!.stats();
    let t0 = performance.now();
    await p!.saveSnapshot();
    const render = performance.now() - t0;
    t0 = performance.now();
    const loaded = new Projection({ dataDir, retainDestroyedHours: 24 }).open(Infinity);
    const load = performance.now() - t0;
    console.log(
      `| rebuild of ${j.seq.toLocaleString("en")} events (${(j.bytes / 1e6).toFixed(0)} MB) | median ${Math.round(median(rates)).toLocaleString("en")} events/s (runs: ${rates.map((r) => Math.round(r).toLocaleString("en")).join(", ")}) |`,
    );
    console.log(
      `| state at the end | ${st.activeRooms} active rooms, ${st.members} members, ${p!.state.apps.get(APP)?.size} rooms kept |`,
    );
    console.log(
      `| snapshot | ${(statSync(snapshotFile(dataDir)).size / 1e6).toFixed(1)} MB, written in ${render.toFixed(0)} ms, loaded in ${load.toFixed(0)} ms (seq ${loaded.state.seq}) |`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

async function settledRss(rh: Roomhook, want: number): Promise<{ rss: number; ms: number }> {
  const admin = `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")?.admin)}`;
  const t0 = performance.now();
  for (;;) {
    const m = await (await fetch(`${admin}/metrics`)).text();
    const applied = Number(/^roomhook_rooms_applied_seq (\S+)$/m.exec(m)?.[1]);
    if (applied >= want) break;
    await Bun.sleep(50);
  }
  const ms = performance.now() - t0;
  await Bun.sleep(3_000); // let the GC settle (the thread's snapshot timer included)
  return { rss: rssMb(rh.pid), ms };
}

async function rss(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), "rh-rooms-rss-"));
  try {
    const empty = join(base, "empty");
    const full = join(base, "full");
    const j = new JournalMaker(join(full, "journal"));
    activeRooms(j, ROOMS, MEMBERS);
    j.close();
    console.error(`journal: ${j.seq} events, ${(j.bytes / 1e6).toFixed(0)} MB`);
    const idle: number[] = [];
    const caught: number[] = [];
    const restored: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let rh = await startRoomhook({ dataDir: empty });
      idle.push((await settledRss(rh, 0)).rss);
      await rh.stop();
      rmSync(join(full, "rooms"), { recursive: true, force: true });
      rh = await startRoomhook({ dataDir: full });
      const c = await settledRss(rh, j.seq);
      caught.push(c.rss);
      await rh.stop(); // writes the snapshot
      rh = await startRoomhook({ dataDir: full });
      restored.push((await settledRss(rh, j.seq)).rss);
      await rh.stop();
      console.error(
        `run ${i + 1}: idle ${idle.at(-1)!.toFixed(0)} MB, caught up ${caught.at(-1)!.toFixed(0)} MB (in ${c.ms.toFixed(0)} ms), from snapshot ${restored.at(-1)!.toFixed(0)} MB`,
      );
    }
    const f = (xs: number[]) => `${median(xs).toFixed(0)} MB (${xs.map((x) => x.toFixed(0)).join(", ")})`;
    console.log(`| RSS idle (empty data dir) | ${f(idle)} |`);
    console.log(
      `| RSS with ${ROOMS.toLocaleString("en")} rooms x ${MEMBERS} members, built from the journal | ${f(caught)}: +${(median(caught) - median(idle)).toFixed(0)} MB |`,
    );
    console.log(
      `| the same, restarted from the snapshot | ${f(restored)}: +${(median(restored) - median(idle)).toFixed(0)} MB |`,
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (WHAT === "rebuild" || WHAT === "all") await rebuild();
if (WHAT === "rss" || WHAT === "all") await rss();
process.exit(0);
