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
import { saveCursorSync } from "../../src/delivery/cursor-store.ts";
import { Fanout } from "../../src/delivery/fanout.ts";
import { freePort } from "../../test/support/harness.ts";
import { targetConfig } from "../../test/support/target.ts";
import { writeBacklog } from "./backlog.ts";

const ROOT = resolve(import.meta.dir, "../..");
const EVENTS = Number(process.env.EVENTS ?? 50_000);
const ROOMS = Number(process.env.ROOMS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

async function round(work: string, url: string, n: number): Promise<{ usPerDelivery: number; rate: number }> {
  const dataDir = join(work, `r${n}`);
  const journalDir = join(dataDir, "journal");
  await writeBacklog(journalDir, EVENTS, ROOMS);
  const logger = pino({ level: "silent" });
  // A new target starts at the head; cursor 0 makes it deliver the whole journal.
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
