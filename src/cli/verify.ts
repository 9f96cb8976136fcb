// `roomhook verify`: every line parses, seq rises strictly (also across segments and against the
// segment names), no torn tail. Prints counts; exit 1 when anything is wrong.
import { existsSync, readdirSync } from "node:fs";
import { journalDir, quarantineDir } from "../journal/journal.ts";
import { listSegments } from "../journal/segments.ts";
import { readSegment } from "../journal/reader.ts";
import { parseLineSeq } from "../journal/line-codec.ts";
import { commandFlags } from "./args.ts";
import { resolveDataDir } from "./data-dir.ts";

export const VERIFY_HELP = `roomhook verify: check the journal and the quarantine.

Usage: roomhook verify [--data-dir DIR] [--config FILE] [--json]

Checks that every line is a JSON object with an integer seq, that seq rises strictly within and across
segments (and is not below its segment's name), and that no segment ends in a torn line. Prints the
counts. Exit 0 when all is well, 1 when a problem is found (each is listed).`;

export interface DirReport {
  dir: string;
  segments: number;
  events: number;
  firstSeq: number | null;
  lastSeq: number | null;
  bytes: number;
  tornFiles: number;
  problems: string[];
}

export function verifyDir(dir: string): DirReport {
  const r: DirReport = {
    dir,
    segments: 0,
    events: 0,
    firstSeq: null,
    lastSeq: null,
    bytes: 0,
    tornFiles: 0,
    problems: [],
  };
  const problem = (p: string) => {
    if (r.problems.length < 50) r.problems.push(p);
    else if (r.problems.length === 50) r.problems.push("... (more problems not shown)");
  };
  if (!existsSync(dir)) return r;
  r.tornFiles = readdirSync(dir).filter((n) => n.includes(".torn-")).length;
  let prev = 0;
  for (const seg of listSegments(dir)) {
    r.segments++;
    let first = true;
    for (const line of readSegment(seg)) {
      r.bytes += Buffer.byteLength(line.text) + (line.complete ? 1 : 0);
      const where = `${seg.path} at byte ${line.offset}`;
      if (!line.complete) {
        problem(`${where}: torn last line (${line.text.length} bytes without a newline)`);
        continue;
      }
      const parsed = parseLineSeq(line.text);
      if (!("seq" in parsed)) {
        problem(`${where}: ${parsed.problem}`);
        continue;
      }
      const seq = parsed.seq;
      if (first && seq < seg.firstSeq) problem(`${where}: seq ${seq} is below the segment's first seq ${seg.firstSeq}`);
      if (seq <= prev) problem(`${where}: seq ${seq} does not rise (previous ${prev})`);
      first = false;
      prev = seq;
      r.events++;
      r.firstSeq ??= seq;
      r.lastSeq = seq;
    }
  }
  return r;
}

export function verifyCommand(argv: string[], env: Record<string, string | undefined>): number {
  const flags = commandFlags(argv, { "data-dir": "string", config: "string", json: "boolean" }, VERIFY_HELP);
  if (!flags) return 0;
  const dataDir = resolveDataDir(flags, env);
  if (!existsSync(journalDir(dataDir))) {
    console.error(`roomhook verify: no journal at ${journalDir(dataDir)}`);
    return 1;
  }
  const reports = [verifyDir(journalDir(dataDir)), verifyDir(quarantineDir(dataDir))];
  const ok = reports.every((r) => r.problems.length === 0);
  if (flags.json) {
    console.log(JSON.stringify({ ok, journal: reports[0], quarantine: reports[1] }));
  } else {
    for (const [name, r] of [
      ["journal", reports[0]!],
      ["quarantine", reports[1]!],
    ] as const) {
      const range = r.firstSeq === null ? "no events" : `seq ${r.firstSeq}..${r.lastSeq}`;
      console.log(
        `${name}: ${r.segments} segment(s), ${r.events} event(s), ${range}, ${r.bytes} bytes${r.tornFiles ? `, ${r.tornFiles} torn tail(s) cut at start-up kept aside` : ""}`,
      );
      for (const p of r.problems) console.log(`  problem: ${p}`);
    }
    console.log(ok ? "ok" : "FAILED");
  }
  return ok ? 0 : 1;
}
