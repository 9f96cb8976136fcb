// Shared pieces of the fault suites (scripts/faults/crash-loop, scripts/faults/disk-full and the e2e tests that run
// their fast subsets): a seeded RNG, a webhook sink, a TOML config with targets, signed sends, and a
// journal reader that tolerates what a crash leaves behind. Processes are spawned with
// test/e2e/helpers.ts (the same code the e2e suite uses).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "bun";
import { APP, callbackQuery, toToml, type TomlConfig } from "../../test/e2e/helpers.ts";

export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const TOKEN = "fault-suite-token-3b8e1d";
export const OK_TEXT = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

/** mulberry32: small, fast, good enough to pick kill moments reproducibly from a printed seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function newSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export interface TargetToml {
  name: string;
  url: string;
  secret?: string;
  max_in_flight?: number;
  timeout_ms?: number;
  retry_delays_ms?: number[];
  rooms?: string[];
  types?: string[];
}

/** A roomhook TOML: loopback listeners, one app with a token (every send is signed), targets. */
export function configText(base: TomlConfig, targets: TargetToml[]): string {
  const t = targets.map((x) => {
    const lines = ["[[targets]]", `name = ${JSON.stringify(x.name)}`, `url = ${JSON.stringify(x.url)}`, `secret = ${JSON.stringify(x.secret ?? SECRET)}`];
    lines.push(`max_in_flight = ${x.max_in_flight ?? 16}`, `timeout_ms = ${x.timeout_ms ?? 2000}`, `retry_delays_ms = ${JSON.stringify(x.retry_delays_ms ?? [20, 50, 100, 200, 500, 1000])}`);
    if (x.rooms) lines.push(`rooms = ${JSON.stringify(x.rooms)}`);
    if (x.types) lines.push(`types = ${JSON.stringify(x.types)}`);
    return lines.join("\n");
  });
  const cfg: TomlConfig = {
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP, token: TOKEN, sign_window_s: 300 }],
    admin: { listen: "127.0.0.1:0" },
    log: { level: "info" }, // startRoomhook waits for the "roomhook listening" info line
    ...base,
  };
  return `${toToml(cfg)}\n${t.join("\n\n")}\n`;
}

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** POSTs a signed Tencent callback (Sign = sha256(token + RequestTime)); throws on a dead connection. */
export async function sendSigned(base: string, body: string, command = "Room.CallbackAfterMemberEnter"): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(`${base}/callback?${callbackQuery({ bodyCommand: command, token: TOKEN })}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
}

export function enterBody(room: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: "Room.CallbackAfterMemberEnter",
    Operator_Account: "user1",
    RoomId: room,
    MemberCount: 2,
    Type: "Enter",
    MemberList_Account: ["user1"],
    EventTime: Date.now(),
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------------
// The journal as a crash left it

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

// ---------------------------------------------------------------------------------------------
// A webhook sink: records every 2xx delivery by webhook-id (with the seq of the body).

export class Sink {
  /** webhook-id -> seqs received with it (one per 2xx answer). */
  readonly received = new Map<string, number[]>();
  deliveries = 0;
  refused = 0;
  onReceipt: (() => void) | null = null;
  readonly server: Server<undefined>;
  /** `answer` decides the status from the event (default 200). */
  constructor(answer: (ev: { seq: number; roomId: string | null }) => number = () => 200) {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 64 * 1024 * 1024,
      fetch: async (req) => {
        const body = await req.text();
        const id = req.headers.get("webhook-id") ?? "";
        let ev = { seq: -1, roomId: null as string | null };
        try {
          ev = JSON.parse(body) as { seq: number; roomId: string | null };
        } catch {}
        const status = answer(ev);
        if (status < 200 || status >= 300) {
          this.refused++;
          return new Response("refused", { status });
        }
        const seen = this.received.get(id);
        if (seen) seen.push(ev.seq);
        else this.received.set(id, [ev.seq]);
        this.deliveries++;
        this.onReceipt?.();
        return new Response("ok");
      },
    });
  }
  get url(): string {
    return `http://127.0.0.1:${this.server.port}/hook`;
  }
  stop(): void {
    this.server.stop(true);
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

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
