// The data_dir's files read directly, as an operator's tool would: journal segments (whole, or as a
// crash left them, torn tail included), cursor files and dead letters.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface JournalLine {
  file: string;
  raw: string;
  entry: Record<string, unknown> & { seq: number; id: string; type: string; data: Record<string, unknown> };
}

export function segmentFiles(dataDir: string, sub: "journal" | "quarantine" = "journal"): string[] {
  const dir = join(dataDir, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d{20}\.jsonl$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Every complete line of every segment, in file order. Unparseable lines throw. */
export function readJournal(dataDir: string, sub: "journal" | "quarantine" = "journal"): JournalLine[] {
  const out: JournalLine[] = [];
  for (const file of segmentFiles(dataDir, sub)) {
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n");
    lines.pop(); // after the last newline: "" or a torn tail
    for (const raw of lines) out.push({ file, raw, entry: JSON.parse(raw) });
  }
  return out;
}

export function journalText(dataDir: string, sub: "journal" | "quarantine" = "journal"): string {
  return segmentFiles(dataDir, sub)
    .map((f) => readFileSync(f, "utf8"))
    .join("");
}

export interface RawLine {
  file: string;
  seq: number;
  id: string;
  roomId: string | null;
  raw: string;
}

export interface JournalScan {
  lines: RawLine[];
  segments: { name: string; firstSeq: number; bytes: number; lines: number }[];
  /** Bytes after the last newline of each segment that has any (a torn tail). */
  torn: { file: string; bytes: number }[];
  /** Complete lines that do not parse as an event (never acceptable). */
  bad: string[];
  tornFilesKept: number;
}

export function scanJournal(dataDir: string): JournalScan {
  const dir = join(dataDir, "journal");
  const out: JournalScan = { lines: [], segments: [], torn: [], bad: [], tornFilesKept: 0 };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  out.tornFilesKept = names.filter((n) => n.includes(".torn-")).length;
  for (const name of names.filter((n) => /^\d{20}\.jsonl$/.test(n)).sort()) {
    const file = join(dir, name);
    const text = readFileSync(file, "utf8");
    const parts = text.split("\n");
    const tail = parts.pop()!;
    if (tail.length > 0) out.torn.push({ file, bytes: Buffer.byteLength(tail) });
    for (const raw of parts) {
      try {
        const v = JSON.parse(raw) as { seq: number; id: string; roomId: string | null };
        if (!Number.isInteger(v.seq) || typeof v.id !== "string") throw new Error("shape");
        out.lines.push({ file, seq: v.seq, id: v.id, roomId: v.roomId, raw });
      } catch {
        out.bad.push(`${file}: ${raw.slice(0, 80)}`);
      }
    }
    out.segments.push({ name, firstSeq: Number(name.slice(0, 20)), bytes: statSync(file).size, lines: parts.length });
  }
  return out;
}

/**
 * The journal's layout after a fault: seq runs 1..N without a gap, and each segment is named after
 * its first line and is not empty (the fan-out reader and --from-seq lookups rely on it: a newer
 * segment means the older one is final).
 */
export function checkJournalLayout(j: JournalScan, dataDir: string, violation: (s: string) => void): void {
  for (let i = 0; i < j.lines.length; i++) {
    if (j.lines[i]!.seq !== i + 1) {
      violation(`seq not continuous at line ${i}: expected ${i + 1}, got ${j.lines[i]!.seq}`);
      break;
    }
  }
  const firstInFile = new Map<string, number>();
  for (const l of j.lines) if (!firstInFile.has(l.file)) firstInFile.set(l.file, l.seq);
  for (const seg of j.segments) {
    const first = firstInFile.get(join(dataDir, "journal", seg.name));
    if (first === undefined) violation(`segment ${seg.name} is empty (left by a failed roll?)`);
    else if (first !== seg.firstSeq) violation(`segment ${seg.name} starts with seq ${first}`);
  }
}

export function readCursor(dataDir: string, target: string): { seq: number } | { error: string } | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, "cursors", `${target}.json`), "utf8");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? null : { error: String(e) };
  }
  try {
    const v = JSON.parse(text) as { seq?: unknown };
    if (typeof v.seq !== "number" || !Number.isInteger(v.seq)) return { error: `no integer seq in ${text}` };
    return { seq: v.seq };
  } catch {
    return { error: `unparseable cursor file: ${JSON.stringify(text)}` };
  }
}

export interface DeadLetterScan {
  /** event id -> how many parseable dead-letter lines name it */
  ids: Map<string, number>;
  /** complete lines that do not parse as a dead letter (e.g. glued to a torn line) */
  bad: string[];
  tornTail: number;
}

/** Reads {data_dir}/dead-letters/<target>.jsonl the way an operator's tool would. */
export function scanDeadLetters(dataDir: string, target: string): DeadLetterScan {
  const out: DeadLetterScan = { ids: new Map(), bad: [], tornTail: 0 };
  let text: string;
  try {
    text = readFileSync(join(dataDir, "dead-letters", `${target}.jsonl`), "utf8");
  } catch {
    return out;
  }
  const parts = text.split("\n");
  out.tornTail = Buffer.byteLength(parts.pop()!);
  for (const line of parts) {
    try {
      const v = JSON.parse(line) as { id?: unknown; event?: { id?: unknown } };
      if (typeof v.id !== "string" || v.event?.id !== v.id) throw new Error("shape");
      out.ids.set(v.id, (out.ids.get(v.id) ?? 0) + 1);
    } catch {
      out.bad.push(line.slice(0, 160));
    }
  }
  return out;
}
