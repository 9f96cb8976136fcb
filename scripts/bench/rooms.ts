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
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JournalLineReader } from "../../src/journal/line-reader.ts";
import { Projection } from "../../src/rooms/projection.ts";
import { snapshotFile } from "../../src/rooms/snapshot.ts";
import { startRoomhook, type Roomhook } from "../../test/support/harness.ts";
import { APP, activeRooms, JournalMaker, lifecycles } from "./room-journal.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const WHAT = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "all";
const EVENTS = arg("events", 1_000_000);
const RUNS = arg("runs", 3);
const ROOMS = arg("rooms", 10_000);
const MEMBERS = arg("members", 50);

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
    // The machine's speed in the same sitting: reading every line and JSON.parse'ing it, nothing else.
    const floor: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const reader = JournalLineReader.fromSeq(join(dataDir, "journal"), 1);
      let n = 0;
      const parse = (text: string) => {
        JSON.parse(text);
        n++;
        return true;
      };
      while (reader.scan(Number.MAX_SAFE_INTEGER, 50_000, parse).consumed > 0) {}
      floor.push(n / ((performance.now() - t0) / 1000));
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
      `| reading + JSON.parse of every line alone (this machine's speed now) | median ${Math.round(median(floor)).toLocaleString("en")} lines/s |`,
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
  // Past the thread's first snapshot (every 10 s while the state moves) and the collection after it.
  await Bun.sleep(12_000);
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
