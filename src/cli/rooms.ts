// `roomhook rooms`: the room state offline, from a data directory (the service may be running or
// not; nothing is written). The saved snapshot brought up to date from the journal, or with
// --rebuild the journal alone; --check proves the two agree.
import { existsSync } from "node:fs";
import { journalDir } from "../journal/journal.ts";
import { listSegments } from "../journal/segments.ts";
import { readToml, resolveConfigPath } from "../config/load.ts";
import { dumpState } from "../rooms/dump.ts";
import { Projection } from "../rooms/projection.ts";
import type { RoomsQuery } from "../rooms/schema.ts";
import { type Flags, commandFlags, str, UsageError } from "./args.ts";
import { resolveDataDir } from "./data-dir.ts";

export const ROOMS_HELP = `roomhook rooms: the room state (live rooms, members, seats, attendance) from a data directory.

Usage: roomhook rooms [--data-dir DIR] [--config FILE] [--sdk-app-id N] [--status S]
       roomhook rooms --room ID [--attendance [--csv]]
       roomhook rooms --user ID
       roomhook rooms --check

  --status S       active (default), destroyed or all: the rooms listed
  --room ID        one room: summary, roomInfo, members, seats (as GET /v1/rooms/{ID})
  --attendance     with --room: its sessions and per-user totals; --csv as CSV with a header line
  --user ID        the active rooms the user is in now
  --sdk-app-id N   the app (needed only when the journal holds more than one)
  --rebuild        ignore the saved snapshot: build the state from the journal alone
  --check          build the state both ways (snapshot + journal, journal alone) and compare them;
                   exit 0 when they are equal, 1 with the first difference

Reads {data_dir}/rooms/state.jsonl and {data_dir}/journal/; writes nothing, so it is safe while the
service runs. Prints JSON (the same shapes as the admin API). Exit 1 for an unknown room.`;

function retainHours(flags: Flags, env: Record<string, string | undefined>): number {
  const path = resolveConfigPath(str(flags, "config"), env);
  if (!path || !existsSync(path)) return 24;
  const rooms = readToml(path).rooms as { retain_destroyed_hours?: unknown } | undefined;
  return typeof rooms?.retain_destroyed_hours === "number" ? rooms.retain_destroyed_hours : 24;
}

function appOf(flags: Flags, p: Projection): number | null {
  const v = str(flags, "sdk-app-id");
  if (v !== undefined) {
    if (!/^\d{1,10}$/.test(v)) throw new UsageError(`--sdk-app-id expects a number, got "${v}"`);
    return Number(v);
  }
  const apps = [...p.state.apps.keys()];
  return apps.length === 1 ? apps[0]! : null;
}

function check(dataDir: string, hours: number): number {
  const restored = new Projection({ dataDir, retainDestroyedHours: hours }).open(Infinity).catchUpAll();
  const rebuilt = new Projection({ dataDir, retainDestroyedHours: hours }).open(Infinity, true).catchUpAll();
  const first = listSegments(journalDir(dataDir))[0];
  const a = dumpState(restored.state).split("\n");
  const b = dumpState(rebuilt.state).split("\n");
  const i = a.findIndex((line, k) => line !== b[k]);
  if (i < 0 && a.length === b.length) {
    console.log(JSON.stringify({ equal: true, seq: rebuilt.state.seq, rooms: a.filter(Boolean).length }));
    return 0;
  }
  const k = i < 0 ? a.length : i;
  console.log(JSON.stringify({ equal: false, seq: rebuilt.state.seq, snapshot: a[k] ?? null, rebuild: b[k] ?? null }));
  if (first && first.firstSeq > 1)
    console.error(
      `roomhook rooms: the journal starts at seq ${first.firstSeq} (retention): a rebuild lacks what came before`,
    );
  return 1;
}

function query(flags: Flags, sdkAppId: number | null): RoomsQuery {
  const room = str(flags, "room");
  const user = str(flags, "user");
  if ((flags.attendance || flags.csv) && room === undefined) throw new UsageError("--attendance and --csv need --room");
  if (flags.csv && !flags.attendance) throw new UsageError("--csv goes with --attendance");
  if ((room !== undefined || user !== undefined) && sdkAppId === null)
    throw new UsageError("the journal holds several apps: say which with --sdk-app-id");
  if (room !== undefined) {
    if (flags.attendance) return { op: "attendance", sdkAppId: sdkAppId!, roomId: room, csv: Boolean(flags.csv) };
    return { op: "room", sdkAppId: sdkAppId!, roomId: room };
  }
  if (user !== undefined) return { op: "user", sdkAppId: sdkAppId!, userId: user };
  const status = str(flags, "status") ?? "active";
  if (status !== "active" && status !== "destroyed" && status !== "all")
    throw new UsageError(`--status expects active, destroyed or all, got "${status}"`);
  return { op: "list", sdkAppId, status, limit: Number.MAX_SAFE_INTEGER, after: null };
}

export function roomsCommand(argv: string[], env: Record<string, string | undefined>): number {
  const flags = commandFlags(
    argv,
    {
      "data-dir": "string",
      config: "string",
      "sdk-app-id": "string",
      status: "string",
      room: "string",
      user: "string",
      attendance: "boolean",
      csv: "boolean",
      rebuild: "boolean",
      check: "boolean",
    },
    ROOMS_HELP,
  );
  if (!flags) return 0;
  const dataDir = resolveDataDir(flags, env);
  if (!existsSync(journalDir(dataDir))) {
    console.error(`roomhook rooms: no journal at ${journalDir(dataDir)}`);
    return 1;
  }
  const hours = retainHours(flags, env);
  if (flags.check) return check(dataDir, hours);
  const warn = (fields: Record<string, unknown>, msg: string) =>
    console.error(`roomhook ${msg} ${JSON.stringify(fields)}`);
  const p = new Projection({ dataDir, retainDestroyedHours: hours, warn }).open(Infinity, Boolean(flags.rebuild));
  p.catchUpAll();
  const a = p.answer(query(flags, appOf(flags, p)));
  if (a.status !== 200) {
    console.error(`roomhook rooms: ${(JSON.parse(a.body) as { error: string }).error}`);
    return 1;
  }
  process.stdout.write(a.contentType.startsWith("text/csv") ? a.body : `${a.body}\n`);
  return 0;
}
