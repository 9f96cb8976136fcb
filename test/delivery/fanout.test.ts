// The set of workers across a SIGHUP: a changed target is stopped and started again from its saved
// cursor, and all the while its cursor keeps holding journal retention back.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { saveCursorSync } from "../../src/delivery/cursor-store.ts";
import { Fanout } from "../../src/delivery/fanout.ts";
import { envelopeHead } from "../../src/journal/line.ts";
import { SegmentWriter } from "../../src/journal/writer.ts";
import { targetConfig } from "../support/target.ts";
import { until } from "../support/until.ts";

const dirs: string[] = [];
const servers: { stop(force?: boolean): unknown }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const s of servers.splice(0)) s.stop(true);
});

const head = (i: number) =>
  envelopeHead({
    id: `${i}`.padStart(32, "0"),
    type: "Room.Enter",
    sdkAppId: 1,
    roomId: "a",
    eventTime: i,
    receivedAt: new Date().toISOString(),
    clientIp: null,
    optPlatform: null,
  });

describe("fan-out reconcile", () => {
  test("while a changed target restarts, minCursor() still counts its cursor (retention never passes it)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "roomhook-fanout-"));
    dirs.push(dataDir);
    const journalDir = join(dataDir, "journal");
    const writer = new SegmentWriter({ dir: journalDir, durability: "write", segmentBytes: 1 << 20 }).open();
    for (let i = 0; i < 9; i++) await writer.append(head(i), `{"i":${i}}`);
    await writer.close();
    saveCursorSync(dataDir, "t", { seq: 5, paused: null });
    // A target that never answers: the old worker's stop waits out its grace with seq 6 in flight.
    const hang = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
    servers.push(hang);
    const url = `http://127.0.0.1:${hang.port}/hook`;
    const deps = { dataDir, journalDir, headSeq: () => 9, logger: pino({ level: "silent" }) };
    const fanout = new Fanout([targetConfig({ url, timeout_ms: 10_000 })], deps).start();
    await until("a delivery in flight", () => fanout.get("t")!.status().inFlight > 0);
    expect(fanout.minCursor()).toBe(5);
    const seen: number[] = [];
    let done = false;
    const reconciled = fanout.reconcile([targetConfig({ url, timeout_ms: 20_000 })]);
    void reconciled.then(() => (done = true));
    while (!done) {
      seen.push(fanout.minCursor());
      await Bun.sleep(10);
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.filter((m) => m !== 5)).toEqual([]);
    expect(fanout.get("t")!.config.timeout_ms).toBe(20_000);
    expect(fanout.minCursor()).toBe(5);
    await fanout.stop(0);
  }, 15_000);
});
