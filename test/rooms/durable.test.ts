// The projection's durability around the journal: retention keeps every segment the snapshot has not
// covered; the projection in its own thread (from source) follows commits and saves on stop; the
// [rooms] configuration with its environment and flag twins.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import pino from "pino";
import { buildConfig } from "../../src/config/load.ts";
import { journalDir } from "../../src/journal/journal.ts";
import { applyRetention } from "../../src/journal/retention.ts";
import { listSegments } from "../../src/journal/segments.ts";
import { retentionFloor } from "../../src/rooms/backend.ts";
import { LocalRooms } from "../../src/rooms/local.ts";
import { Projection } from "../../src/rooms/projection.ts";
import { snapshotFile } from "../../src/rooms/snapshot.ts";
import { ThreadedRooms } from "../../src/rooms/threaded.ts";
import { APP_ID, callbackUrl, post, startApp, tencentParams } from "../support/app.ts";
import { until } from "../support/until.ts";
import { enter, leave } from "./build.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function app(file: Record<string, unknown> = {}) {
  const svc = startApp({ file });
  cleanups.push(async () => {
    await svc.close();
    svc.cleanup();
  });
  const send = async (b: Record<string, unknown>) => {
    const text = JSON.stringify(b);
    const res = await svc.app.handle(post(callbackUrl(tencentParams(String(b.CallbackCommand))), text));
    expect(res.status).toBe(200);
  };
  return { svc, send };
}

describe("retention", () => {
  test("keeps every segment after the snapshot's seq, then lets them go once a snapshot covers them", async () => {
    const { svc, send } = app({ journal: { segment_bytes: 4096 } });
    for (let i = 0; i < 60; i++) await send(enter(`r${i % 5}`, 1000 + i, [`u${i}`]));
    const dir = journalDir(svc.dataDir);
    const segments = listSegments(dir).length;
    expect(segments).toBeGreaterThan(3);
    const rooms = new LocalRooms({
      dataDir: svc.dataDir,
      retainDestroyedHours: 24,
      headSeq: svc.journal.writer.headSeq,
    });
    // Applied in memory, but never saved: a restart would need the whole journal.
    expect(rooms.stats().appliedSeq).toBe(60);
    expect(applyRetention(dir, Math.min(Infinity, retentionFloor(rooms)), 0)).toEqual([]);
    await rooms.stop(); // saves the snapshot at 60
    expect(retentionFloor(rooms)).toBe(60);
    expect(applyRetention(dir, Math.min(Infinity, retentionFloor(rooms)), 0)).toHaveLength(segments - 1);
    // What is left, with the snapshot, still gives the whole state.
    const p = new Projection({ dataDir: svc.dataDir, retainDestroyedHours: 24 }).open(60).catchUpAll(60);
    expect(p.state.apps.get(APP_ID)?.get("r0")?.members).toBe(12);
    expect(p.stats().gaps).toBe(0);
    expect(retentionFloor(null)).toBe(Infinity);
  });

  test("events removed before the state held them are counted as a gap and said once", async () => {
    const { svc, send } = app({ journal: { segment_bytes: 4096 } });
    for (let i = 0; i < 40; i++) await send(enter("r", 1000 + i, [`u${i}`]));
    const dir = journalDir(svc.dataDir);
    const first = listSegments(dir).slice(0, 2);
    expect(applyRetention(dir, first[1]!.firstSeq + 1, 0).length).toBeGreaterThan(0); // no rooms: nothing holds it
    const warnings: Record<string, unknown>[] = [];
    const p = new Projection({ dataDir: svc.dataDir, retainDestroyedHours: 24, warn: (f) => warnings.push(f) });
    p.open(40).catchUpAll(40);
    const firstLeft = listSegments(dir)[0]!.firstSeq;
    expect(p.stats().gaps).toBe(firstLeft - 1);
    expect(warnings).toEqual([{ fromSeq: 1, toSeq: firstLeft - 1 }]);
    expect(p.state.apps.get(APP_ID)?.get("r")?.members).toBe(40 - (firstLeft - 1));
  });
});

describe("the projection thread", () => {
  test("follows commits it is nudged about, answers queries, and saves its snapshot on stop", async () => {
    const { svc, send } = app();
    await send(enter("r", 1000, ["a", "b"]));
    const rooms = new ThreadedRooms({
      dataDir: svc.dataDir,
      retainDestroyedHours: 24,
      snapshotEveryMs: 60_000,
      headSeq: svc.journal.writer.headSeq,
      logger: pino({ level: "silent" }),
    });
    await until("the thread applied seq 1", () => rooms.stats().appliedSeq === 1);
    await send(leave("r", 2000, ["a"], "Kicked"));
    rooms.nudge(svc.journal.writer.headSeq);
    await until("the thread applied seq 2", () => rooms.stats().appliedSeq === 2 && rooms.stats().members === 1);
    const a = await rooms.query({ op: "room", sdkAppId: APP_ID, roomId: "r" });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).members).toEqual([{ userId: "b", enteredAt: 1000 }]);
    expect((await rooms.query({ op: "room", sdkAppId: APP_ID, roomId: "nope" })).status).toBe(404);
    expect(existsSync(snapshotFile(svc.dataDir))).toBe(false);
    await rooms.stop();
    expect(existsSync(snapshotFile(svc.dataDir))).toBe(true);
    expect(new Projection({ dataDir: svc.dataDir, retainDestroyedHours: 24 }).open(2).state.seq).toBe(2);
  });
});

describe("[rooms] configuration", () => {
  const base = { apps: [{ sdk_app_id: APP_ID }] };
  test("defaults, the file, the environment and the flag", () => {
    expect(buildConfig({ file: base }).rooms).toEqual({
      enabled: true,
      retain_destroyed_hours: 24,
      snapshot_every_s: 10,
    });
    const file = { ...base, rooms: { enabled: false, retain_destroyed_hours: 2 } };
    expect(buildConfig({ file }).rooms).toMatchObject({ enabled: false, retain_destroyed_hours: 2 });
    expect(buildConfig({ file, env: { roomsEnabled: "true" } }).rooms.enabled).toBe(true);
    expect(
      buildConfig({ file: base, env: { roomsEnabled: "true" }, flags: { roomsEnabled: "false" } }).rooms.enabled,
    ).toBe(false);
    expect(() => buildConfig({ file: base, flags: { roomsEnabled: "yes" } })).toThrow(
      /--rooms-enabled: expected "true" or "false"/,
    );
    expect(() => buildConfig({ file: { ...base, rooms: { retain_destroyed_hours: -1 } } })).toThrow(
      /rooms.retain_destroyed_hours/,
    );
    expect(() => buildConfig({ file: { ...base, rooms: { enable: true } } })).toThrow(/rooms.enable: unknown key/);
  });
});
