// The soak's settings, from the environment (documented in scripts/soak/soak --help), and the
// output directory they name. A bad setting ends the run with exit 3 (a setup problem).
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { APP } from "../../test/support/harness.ts";
import { cleanup } from "./procs.ts";

export const ROOT = resolve(import.meta.dir, "../..");
const env = process.env;
const num = (k: string, d: number): number => {
  const v = env[k];
  if (v === undefined || v === "") return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) setupFail(`${k} must be a non-negative number (got '${v}')`);
  return n;
};
export function setupFail(msg: string): never {
  console.error(`soak: ${msg}`);
  cleanup();
  process.exit(3);
}

export const BIN = resolve(env.ROOMHOOK ?? join(ROOT, "dist/roomhook"));
export const DURATION = num("DURATION", 600);
export const SAMPLE = num("SAMPLE", 5);
export const RATE_ENV = num("RATE", 0);
export const RATE_FRACTION = num("RATE_FRACTION", 0.6);
export const PROBE_SECONDS = num("PROBE_SECONDS", 5);
export const CONNECTIONS = num("CONNECTIONS", 64);
export const ROOMS = num("ROOMS", 1000);
export const SEGMENT_BYTES = num("SEGMENT_BYTES", 8 << 20);
export const RETENTION_HOURS = num("RETENTION_HOURS", 0.01);
export const MAX_IN_FLIGHT = num("MAX_IN_FLIGHT", 64);
/**
 * Room state off by default: the load has every request a new member of one of 1,000 rooms and no one
 * ever leaves, so the state grows by design (millions of members in 10 minutes) and would hide
 * whether the rest of the service keeps its memory flat. ROOM_STATE=1 turns it on.
 */
export const ROOM_STATE = env.ROOM_STATE === "1";
export const DRAIN_MAX = num("DRAIN_MAX", 600);
export const KEEP_DATA = env.KEEP_DATA === "1";
export const PIN = env.PIN === "1";
export const OUT = resolve(env.OUT || mkdtempSync(join(env.TMPDIR || tmpdir(), "roomhook-soak-")));
export const PLOT = resolve(env.PLOT || join(OUT, "soak.png"));
export const QUERY = `SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
if (DURATION < 3 * SAMPLE) setupFail(`DURATION (${DURATION}) must be at least 3 x SAMPLE (${SAMPLE})`);
if (SAMPLE < 1) setupFail("SAMPLE must be at least 1 s");

mkdirSync(OUT, { recursive: true });
export const DATA = join(OUT, "data");
if (existsSync(DATA)) setupFail(`${DATA} exists: give an OUT without a previous run's data`);
export const log = (m: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);
export const CSV = join(OUT, "soak.csv");
