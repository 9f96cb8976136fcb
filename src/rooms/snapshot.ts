// The projection's snapshot: `{data_dir}/rooms/state.jsonl`, a header line with the seq it reflects,
// then one line per room. Replaced atomically (src/io/files.ts), so a crash leaves the old or the
// new one, never a torn one; start-up loads it and reads the journal from seq + 1. A snapshot that
// cannot be read is ignored: the state is then rebuilt from the journal, which it only abbreviates.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceFile } from "../io/files.ts";
import { ensureDir } from "../journal/segments.ts";
import { account } from "./event.ts";
import { ABSENT, type EventKey, emptyState, newRoom, type Room, type RoomsState } from "./model.ts";

export const SNAPSHOT_FORMAT = "roomhook-rooms/1";

export function roomsDir(dataDir: string): string {
  return join(dataDir, "rooms");
}
export function snapshotFile(dataDir: string): string {
  return join(roomsDir(dataDir), "state.jsonl");
}

type K = [number, number] | null;
const k = (x: EventKey | null): K => (x ? [x.t, x.seq] : null);
const unk = (x: K): EventKey | null => (x ? { t: x[0], seq: x[1] } : null);

function roomLine(r: Room): string {
  return JSON.stringify({
    a: r.sdkAppId,
    r: r.roomId,
    c: k(r.created),
    d: k(r.destroyed),
    e: k(r.entered),
    i: r.info,
    ik: Object.fromEntries(Object.entries(r.infoKeys).map(([f, x]) => [f, k(x)])),
    p: [...r.presence].map(([id, p]) => [id, p.t, p.seq, p.enteredAt, p.since]),
    s: [...r.seats.values()].map((s) => [
      s.index,
      s.t,
      s.seq,
      s.userId,
      s.isTakenDisabled ? 1 : 0,
      s.isVideoDisabled ? 1 : 0,
      s.isAudioDisabled ? 1 : 0,
    ]),
    x: r.sessions.map((s) => [s.userId, s.enteredAt, s.leftAt, s.leaveType, s.reason]),
    m: r.tencentCount ? [r.tencentCount.t, r.tencentCount.seq, r.tencentCount.n] : null,
    u: r.updatedAt,
    l: r.lastSeq,
  });
}

/** The snapshot's text: the header, then every room. */
export function renderSnapshot(state: RoomsState, savedAt: number): string {
  const lines = [JSON.stringify({ format: SNAPSHOT_FORMAT, seq: state.seq, savedAt })];
  for (const rooms of state.apps.values()) for (const r of rooms.values()) lines.push(roomLine(r));
  return `${lines.join("\n")}\n`;
}

type Row = Record<string, unknown>;

function parseRoom(v: Row): Room {
  const r = newRoom(v.a as number, account(v.r));
  r.created = unk(v.c as K);
  r.destroyed = unk(v.d as K);
  r.entered = unk(v.e as K);
  r.info = (v.i as Record<string, unknown> | null) ?? null;
  for (const [f, x] of Object.entries((v.ik as Record<string, K>) ?? {})) r.infoKeys[f] = unk(x)!;
  for (const [id, t, seq, enteredAt, since] of v.p as [string, number, number, number, number][]) {
    r.presence.set(id, { t, seq, enteredAt, since });
    if (since !== ABSENT) r.members++;
  }
  for (const [index, t, seq, userId, tk, vd, ad] of v.s as [
    number,
    number,
    number,
    string | null,
    number,
    number,
    number,
  ][])
    r.seats.set(index, {
      index,
      t,
      seq,
      userId,
      isTakenDisabled: tk === 1,
      isVideoDisabled: vd === 1,
      isAudioDisabled: ad === 1,
    });
  type Closed = [string, number, number, string, string | null];
  for (const [userId, enteredAt, leftAt, leaveType, reason] of v.x as Closed[])
    r.sessions.push({ userId, enteredAt, leftAt, leaveType, reason });
  const m = v.m as [number, number, number] | null;
  r.tencentCount = m ? { t: m[0], seq: m[1], n: m[2] } : null;
  r.updatedAt = (v.u as number | null) ?? null;
  r.lastSeq = v.l as number;
  return r;
}

/** Parses a snapshot's text; throws on anything that is not one. */
export function parseSnapshot(text: string): { state: RoomsState; savedAt: number } {
  const lines = text.split("\n");
  const head = JSON.parse(lines[0] ?? "") as Row;
  if (head.format !== SNAPSHOT_FORMAT || !Number.isSafeInteger(head.seq)) throw new Error("not a rooms snapshot");
  if (!text.endsWith("\n")) throw new Error("the snapshot is cut short");
  const state = emptyState();
  state.seq = head.seq as number;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const r = parseRoom(JSON.parse(lines[i]!) as Row);
    const app = state.apps.get(r.sdkAppId) ?? new Map<string, Room>();
    state.apps.set(r.sdkAppId, app);
    app.set(r.roomId, r);
  }
  return { state, savedAt: head.savedAt as number };
}

/** The saved state, null when there is none; throws (with the reason) when one exists but is unusable. */
export function readSnapshot(dataDir: string): { state: RoomsState; savedAt: number } | null {
  const file = snapshotFile(dataDir);
  if (!existsSync(file)) return null;
  return parseSnapshot(readFileSync(file, "utf8"));
}

export async function writeSnapshot(dataDir: string, state: RoomsState, savedAt: number): Promise<void> {
  ensureDir(roomsDir(dataDir)); // 0700, like the journal's: room state names users
  await replaceFile(snapshotFile(dataDir), renderSnapshot(state, savedAt));
}
