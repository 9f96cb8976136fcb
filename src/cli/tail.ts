// `roomhook tail`: journal events as JSON lines, filtered; -f keeps following across segment rolls.
import { existsSync } from "node:fs";
import { journalDir, quarantineDir } from "../journal/journal.ts";
import { JournalFollower } from "../journal/follow.ts";
import { globToRegExp } from "../journal/glob.ts";
import { nonNegativeInt, parseFlags, str, UsageError } from "./args.ts";
import { resolveDataDir } from "./data-dir.ts";

export const TAIL_HELP = `roomhook tail: print journal events as JSON lines.

Usage: roomhook tail [--data-dir DIR] [-f] [--type GLOB] [--room ID] [--from-seq N] [--limit N] [--quarantine]

  -f, --follow     keep printing new events as they arrive (Ctrl-C to stop)
  --type GLOB      only events whose type matches, e.g. "Room.*" (* any run, ? one character)
  --room ID        only events of this RoomId
  --from-seq N     start at seq N (default 1)
  --limit N        stop after N events
  --quarantine     read the quarantine (authenticated but invalid callbacks) instead`;

/** Cheap pre-filter on the envelope (which comes before "data"), so most lines are never parsed. */
function envelopeField(line: string, name: string): string | null {
  const end = line.indexOf(',"data":');
  const m = new RegExp(`"${name}":("(?:[^"\\\\]|\\\\.)*"|null)`).exec(end >= 0 ? line.slice(0, end) : line);
  if (!m || m[1] === "null") return null;
  return JSON.parse(m[1]!) as string;
}

export async function tailCommand(argv: string[], env: Record<string, string | undefined>, out = process.stdout): Promise<number> {
  const { flags, rest } = parseFlags(
    argv,
    { "data-dir": "string", config: "string", follow: "boolean", type: "string", room: "string", "from-seq": "string", limit: "string", quarantine: "boolean", help: "boolean" },
    { f: "follow", h: "help" },
  );
  if (flags.help) {
    console.log(TAIL_HELP);
    return 0;
  }
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
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
  const follower = new JournalFollower(dir, fromSeq);
  let printed = 0;
  let stop = false;
  process.once("SIGINT", () => (stop = true));
  process.once("SIGTERM", () => (stop = true));
  while (!stop && printed < limit) {
    const lines = follower.poll();
    let chunk = "";
    for (const l of lines) {
      const m = /^\{"seq":(\d+)/.exec(l.text);
      if (!m || Number(m[1]) < fromSeq) continue;
      if (typeRe && !typeRe.test(envelopeField(l.text, "type") ?? "")) continue;
      if (room !== undefined && envelopeField(l.text, "roomId") !== room) continue;
      chunk += `${l.text}\n`;
      if (++printed >= limit) break;
    }
    if (chunk && !out.write(chunk)) await new Promise((r) => out.once("drain", r));
    if (lines.length === 0) {
      if (!flags.follow) break;
      await Bun.sleep(200);
    }
  }
  return 0;
}
