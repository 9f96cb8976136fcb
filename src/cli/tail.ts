// `roomhook tail`: journal events as JSON lines, filtered; -f keeps following across segment rolls.
import { existsSync } from "node:fs";
import { journalDir, quarantineDir } from "../journal/journal.ts";
import { JournalLineReader } from "../journal/line-reader.ts";
import { readEnvelope } from "../journal/line-codec.ts";
import { globToRegExp } from "../journal/glob.ts";
import { commandFlags, nonNegativeInt, str } from "./args.ts";
import { resolveDataDir } from "./data-dir.ts";

export const TAIL_HELP = `roomhook tail: print journal events as JSON lines.

Usage: roomhook tail [--data-dir DIR] [-f] [--type GLOB] [--room ID] [--from-seq N] [--limit N] [--quarantine]

  -f, --follow     keep printing new events as they arrive (Ctrl-C to stop)
  --type GLOB      only events whose type matches, e.g. "Room.*" (* any run, ? one character)
  --room ID        only events of this RoomId
  --from-seq N     start at seq N (default 1)
  --limit N        stop after N events
  --quarantine     read the quarantine (authenticated but invalid callbacks) instead`;

const BATCH = 10_000;

export async function tailCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  out = process.stdout,
): Promise<number> {
  const flags = commandFlags(
    argv,
    {
      "data-dir": "string",
      config: "string",
      follow: "boolean",
      type: "string",
      room: "string",
      "from-seq": "string",
      limit: "string",
      quarantine: "boolean",
    },
    TAIL_HELP,
    { f: "follow" },
  );
  if (!flags) return 0;
  const fromSeq = nonNegativeInt(flags, "from-seq") ?? 1;
  const limit = nonNegativeInt(flags, "limit") ?? Infinity;
  const dataDir = resolveDataDir(flags, env);
  const dir = flags.quarantine ? quarantineDir(dataDir) : journalDir(dataDir);
  if (!existsSync(dir) && !flags.follow) {
    console.error(`roomhook tail: no journal at ${dir}`);
    return 1;
  }
  const typeRe = str(flags, "type") ? globToRegExp(str(flags, "type")!) : null;
  const room = str(flags, "room");
  // Lines without a seq are not events: starting at seq 1 at the lowest skips them.
  const reader = JournalLineReader.fromSeq(dir, Math.max(1, fromSeq));
  let printed = 0;
  let stop = false;
  process.once("SIGINT", () => (stop = true));
  process.once("SIGTERM", () => (stop = true));
  while (!stop && printed < limit) {
    let chunk = "";
    const r = reader.scan(Infinity, BATCH, (text) => {
      if (printed >= limit) return false;
      if (typeRe || room !== undefined) {
        const env = readEnvelope(text);
        if (typeRe && !typeRe.test(env?.type ?? "")) return true;
        if (room !== undefined && (env?.roomId ?? null) !== room) return true;
      }
      chunk += `${text}\n`;
      printed++;
      return true;
    });
    if (chunk && !out.write(chunk)) await new Promise((r) => out.once("drain", r));
    if (r.consumed === 0) {
      if (!flags.follow) break;
      await Bun.sleep(200);
    }
  }
  return 0;
}
