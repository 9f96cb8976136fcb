// scripts/bench/deliver-cpu.ts: CPU per delivery, in process, with the fan-out on this thread so
// `bun --cpu-prof-md` sees it. A journal of EVENTS events over ROOMS rooms is written, one target
// (max_in_flight 64) delivers it to scripts/bench/constant-server.ts (its own process, not counted),
// and this process's CPU time (all its threads: JS and Bun's HTTP client) is divided by the
// deliveries. CPU time drifts far less than wall time on a shared machine; still, compare A/B in
// one sitting.
//
//   bun scripts/bench/deliver-cpu.ts            (EVENTS=50000 ROOMS=1000 ROUNDS=3)
//   bun --cpu-prof-md --cpu-prof-dir=/tmp/prof scripts/bench/deliver-cpu.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pino from "pino";
import { Fanout } from "../../src/delivery/fanout.ts";
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { freePort } from "../../test/support/harness.ts";
import { targetConfig } from "../../test/support/target.ts";

const ROOT = resolve(import.meta.dir, "../..");
const EVENTS = Number(process.env.EVENTS ?? 50_000);
const ROOMS = Number(process.env.ROOMS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const APP = 1400000000;

async function writeJournal(dir: string): Promise<void> {
  const writer = new SegmentWriter({ dir, durability: "write", segmentBytes: 128 << 20 }).open();
  for (let i = 0; i < EVENTS; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(EVENTS, i + 5000); j++) {
      const room = `rid-bench-${j % ROOMS}`;
      const body = `{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"u${j}","RoomId":"${room}","MemberCount":2,"Type":"Enter","MemberList_Account":["u${j}"],"EventTime":${1700000000000 + j}}`;
      const head = envelopeHead({
        id: j.toString(16).padStart(32, "0"),
        type: "Room.CallbackAfterMemberEnter",
        sdkAppId: APP,
        roomId: room,
        eventTime: 1700000000000 + j,
        receivedAt: new Date().toISOString(),
        clientIp: "127.0.0.1",
        optPlatform: "Web",
      });
      batch.push(writer.append(head, body));
    }
    await Promise.all(batch);
  }
  await writer.close();
}

async function round(work: string, url: string, n: number): Promise<{ usPerDelivery: number; rate: number }> {
  const dataDir = join(work, `r${n}`);
  const journalDir = join(dataDir, "journal");
  await writeJournal(journalDir);
  const logger = pino({ level: "silent" });
  // A new target starts at the head; cursor 0 makes it deliver the whole journal.
  const { saveCursorSync } = await import("../../src/delivery/cursor-store.ts");
  saveCursorSync(dataDir, "t", { seq: 0, paused: null });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const fanout = new Fanout([targetConfig({ name: "t", url, max_in_flight: 64 })], {
    dataDir,
    journalDir,
    headSeq: () => EVENTS,
    logger,
  }).start();
  const w = fanout.get("t")!;
  while (w.status().cursor < EVENTS) await Bun.sleep(5);
  const cpu = process.cpuUsage(cpu0);
  const s = (performance.now() - t0) / 1000;
  await fanout.stop(1000);
  return { usPerDelivery: (cpu.user + cpu.system) / EVENTS, rate: EVENTS / s };
}

const work = mkdtempSync(join(tmpdir(), "roomhook-deliver-cpu-"));
const port = freePort();
const sink = Bun.spawn([process.execPath, join(ROOT, "scripts/bench/constant-server.ts"), String(port), "300"], {
  stdout: "ignore",
  stderr: "inherit",
});
try {
  const url = `http://127.0.0.1:${port}/hook`;
  for (let i = 0; i < 100; i++)
    if (
      await fetch(url, { method: "POST", body: "{}" }).then(
        () => true,
        () => false,
      )
    )
      break;
    else await Bun.sleep(50);
  const results = [];
  for (let n = 0; n < ROUNDS; n++) {
    const r = await round(work, url, n);
    results.push(r);
    console.log(
      `round ${n + 1}: ${r.usPerDelivery.toFixed(1)} us CPU per delivery, ${Math.round(r.rate)} deliveries/s`,
    );
  }
  const us = results.map((r) => r.usPerDelivery).sort((a, b) => a - b);
  console.log(
    `median ${us[Math.floor(us.length / 2)]!.toFixed(1)} us CPU per delivery (${EVENTS} events, ${ROOMS} rooms)`,
  );
} finally {
  sink.kill();
  rmSync(work, { recursive: true, force: true });
}
