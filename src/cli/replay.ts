// `roomhook replay`: move a target's cursor while the service is stopped (the admin API does the same
// on a running service). Refuses while a roomhook serves the same data_dir.
import { existsSync } from "node:fs";
import { journalDir } from "../journal/journal.ts";
import { listSegments } from "../journal/segments.ts";
import { readJournal } from "../journal/reader.ts";
import { loadCursor, saveCursorSync } from "../delivery/cursor-store.ts";
import { seqForTime } from "../delivery/replay-point.ts";
import { peekSeqId } from "../journal/line.ts";
import { runningServer, pidPath } from "../ops/pidfile.ts";
import { nonNegativeInt, commandFlags, str, UsageError } from "./args.ts";
import { resolveDataDir } from "./data-dir.ts";

export const REPLAY_HELP = `roomhook replay: move a target's cursor, so its events are delivered again from a point.

Usage: roomhook replay --target NAME (--from-seq N | --from-time ISO) [--data-dir DIR] [--config FILE]

  --target NAME     the [[targets]] name (its cursor is data_dir/cursors/NAME.json)
  --from-seq N      deliver again from seq N (N >= 1)
  --from-time ISO   deliver again from the first event received at or after this time,
                    e.g. 2026-11-25T17:00:00Z

Run it while the service is stopped (it refuses while roomhook serves this data_dir; on a running
service use POST /v1/targets/NAME/replay). The next start delivers from the new point.
Exit codes: 0 moved, 1 failure (service running, no such target or time), 2 usage error.`;

function lastSeq(dir: string): number {
  const segs = listSegments(dir);
  let last = 0;
  const newest = segs.at(-1);
  if (!newest) return 0;
  for (const l of readJournal(dir, newest.firstSeq)) if (l.complete) last = peekSeqId(l.text)?.seq ?? last;
  return last;
}

export function replayCommand(argv: string[], env: Record<string, string | undefined>): number {
  const flags = commandFlags(
    argv,
    {
      target: "string",
      "from-seq": "string",
      "from-time": "string",
      "data-dir": "string",
      config: "string",
    },
    REPLAY_HELP,
  );
  if (!flags) return 0;
  const name = str(flags, "target");
  if (!name) throw new UsageError("--target NAME is required (see roomhook replay --help)");
  const fromSeq = nonNegativeInt(flags, "from-seq");
  const fromTime = str(flags, "from-time");
  if ((fromSeq === undefined) === (fromTime === undefined))
    throw new UsageError("give exactly one of --from-seq N or --from-time ISO");
  if (fromSeq === 0) throw new UsageError("--from-seq starts at 1");
  let timeMs = NaN;
  if (fromTime !== undefined) {
    timeMs = Date.parse(fromTime);
    if (Number.isNaN(timeMs)) throw new UsageError(`--from-time: not a date: "${fromTime}"`);
  }

  const dataDir = resolveDataDir(flags, env);
  const pid = runningServer(dataDir);
  if (pid !== null) {
    console.error(
      `roomhook replay: roomhook (pid ${pid}) is serving ${dataDir}; stop it first, or use the admin API: POST /v1/targets/${name}/replay (a stale ${pidPath(dataDir)} can be removed by hand)`,
    );
    return 1;
  }
  const dir = journalDir(dataDir);
  if (!existsSync(dir)) {
    console.error(`roomhook replay: no journal at ${dir}`);
    return 1;
  }
  let before: ReturnType<typeof loadCursor>;
  try {
    before = loadCursor(dataDir, name);
  } catch (e) {
    console.error(`roomhook replay: ${(e as Error).message}`);
    return 1;
  }
  if (!before) {
    console.error(
      `roomhook replay: target "${name}" has no cursor in ${dataDir}/cursors (has it ever run? check the name)`,
    );
    return 1;
  }
  const head = lastSeq(dir);
  let from: number;
  if (fromSeq !== undefined) {
    from = fromSeq;
  } else {
    const s = seqForTime(dir, timeMs);
    if (s === null) {
      console.error(`roomhook replay: no event was received at or after ${fromTime} (last seq ${head})`);
      return 1;
    }
    from = s;
  }
  if (from > head + 1) {
    console.error(`roomhook replay: --from-seq ${from} is beyond the journal's last seq (${head})`);
    return 1;
  }
  saveCursorSync(dataDir, name, { seq: from - 1, paused: before.paused });
  console.log(
    `target ${name}: cursor ${before.seq} -> ${from - 1}; the next start delivers from seq ${from} (journal ends at ${head})`,
  );
  return 0;
}
