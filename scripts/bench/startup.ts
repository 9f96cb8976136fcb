#!/usr/bin/env bun
// Start-up of dist/roomhook to its first acknowledged callback, with an empty journal and with a
// journal of EVENTS events (default 1,000,000), so "flat as the journal grows" is measured, not assumed.
//   bun scripts/bench/startup.ts [--events N] [--runs N]
// Loopback only; every child is killed after its measurement.
import { mkdtempSync, mkdirSync, rmSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envelopeHead, eventId } from "../../src/journal/line.ts";
import { segmentName } from "../../src/journal/segments.ts";
import { callbackUrl, exampleBody } from "../../src/cli/send.ts";
import { freePort } from "../../test/support/harness.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg("events", 1_000_000);
const RUNS = arg("runs", 7);
const BIN = join(import.meta.dir, "../..", "dist", "roomhook");
const APP = 1400000000;
const SEGMENT_BYTES = 134_217_728;

/** Writes a journal in the service's own format directly (much faster than posting a million). */
function makeJournal(dataDir: string, events: number): number {
  const dir = join(dataDir, "journal");
  mkdirSync(dir, { recursive: true });
  let fd = -1;
  let size = 0;
  let total = 0;
  let chunk = "";
  const flush = () => {
    if (chunk) {
      const b = Buffer.from(chunk);
      writeSync(fd, b);
      size += b.length;
      total += b.length;
      chunk = "";
    }
  };
  for (let seq = 1; seq <= events; seq++) {
    if (fd < 0 || size + chunk.length > SEGMENT_BYTES) {
      flush();
      if (fd >= 0) closeSync(fd);
      fd = openSync(join(dir, segmentName(seq)), "w", 0o600);
      size = 0;
    }
    const body = exampleBody("Room.CallbackAfterMemberEnter", 1_700_000_000_000 + seq);
    const id = eventId(APP, "Room.CallbackAfterMemberEnter", Buffer.from(body)).hex;
    const head = envelopeHead({
      id,
      type: "Room.CallbackAfterMemberEnter",
      sdkAppId: APP,
      roomId: "rid-123",
      eventTime: 1_700_000_000_000 + seq,
      receivedAt: new Date().toISOString(),
      clientIp: "127.0.0.1",
      optPlatform: "Web",
    });
    chunk += `{"seq":${seq},${head}${body}}\n`;
    if (chunk.length > 1 << 20) flush();
  }
  flush();
  closeSync(fd);
  return total;
}

async function once(dataDir: string): Promise<number> {
  const port = freePort();
  const url = callbackUrl(`http://127.0.0.1:${port}/callback`, {
    sdkAppId: String(APP),
    command: "Room.CallbackAfterMemberEnter",
    clientIp: "127.0.0.1",
    optPlatform: "Web",
    requestTime: 0,
  });
  const body = exampleBody("Room.CallbackAfterMemberEnter", Date.now() + Math.floor(Math.random() * 1e6));
  const t0 = performance.now();
  const child = Bun.spawn(
    [BIN, "--listen", `127.0.0.1:${port}`, "--sdk-app-id", String(APP), "--data-dir", dataDir, "--log-level", "warn"],
    { stdout: "ignore", stderr: "inherit" },
  );
  try {
    for (;;) {
      if (performance.now() - t0 > 10_000) throw new Error("no acknowledgement within 10 s");
      try {
        const r = await fetch(url, { method: "POST", body });
        if (r.status === 200) return performance.now() - t0;
      } catch {}
      await Bun.sleep(1);
    }
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const empty = mkdtempSync(join(tmpdir(), "rh-start-empty-"));
const big = mkdtempSync(join(tmpdir(), "rh-start-big-"));
try {
  const t = performance.now();
  const bytes = makeJournal(big, EVENTS);
  console.error(
    `made a journal of ${EVENTS} events, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const snapshot = join(big, "journal", "dedupe.snapshot");
  // interleaved, so drift of the machine hits all alike
  for (let i = 0; i < RUNS; i++) {
    rmSync(join(empty, "journal"), { recursive: true, force: true });
    a.push(await once(empty));
    // after a crash there is no fresh dedupe snapshot: the window is read from the journal's tail
    rmSync(snapshot, { force: true });
    c.push(await once(big));
    // the previous run stopped cleanly and left a snapshot
    b.push(await once(big));
  }
  const fmt = (xs: number[]) =>
    `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  console.log(`| journal | start-up to first 200 over ${RUNS} runs |`);
  console.log(`|---|---|`);
  console.log(`| empty | ${fmt(a)} |`);
  const big_ = `${EVENTS.toLocaleString("en")} events (${(bytes / 1e6).toFixed(0)} MB, ${Math.ceil(bytes / SEGMENT_BYTES)} segments)`;
  console.log(`| ${big_}, after a clean stop (dedupe snapshot) | ${fmt(b)} |`);
  console.log(`| ${big_}, after a crash (no snapshot: tail scan of 100,000 lines) | ${fmt(c)} |`);
  console.log(
    `ratio big/empty: clean ${(median(b) / median(a)).toFixed(2)}, crash ${(median(c) / median(a)).toFixed(2)}`,
  );
} finally {
  rmSync(empty, { recursive: true, force: true });
  rmSync(big, { recursive: true, force: true });
}
