// What both phases of scripts/faults/disk-full share: the settings, the ledger of answers, the
// load, /readyz polling, and the end-of-phase checks on the data_dir (listed in disk-full.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkJournalLayout,
  enterBody,
  OK_TEXT,
  runCli,
  scanDeadLetters,
  scanJournal,
  sendSigned,
  type Roomhook,
  type Sink,
  type TargetToml,
} from "../../test/support/harness.ts";

export interface DiskFaultOptions {
  cycles: number;
  seed: number;
  sizeMb?: number;
  fullMs?: number;
  senders?: number;
  strict?: boolean;
  /** Phase B (strace injection). Default: when strace is installed. */
  eio?: boolean;
  /** Which phase B steps (default all: B1, B2, B3). */
  eioSteps?: string[];
  /** Phase A (tmpfs). Default true; fails when mount is not permitted. */
  tmpfs?: boolean;
  log?: (line: string) => void;
}

export interface DiskFaultResult {
  seed: number;
  violations: string[];
  notes: string[];
  totals: Record<string, number>;
}

/** The options with every default filled in. */
export type DiskFaultSettings = Required<Omit<DiskFaultOptions, "log">>;

export const strictRefuses = (roomId: string | null) => roomId !== null && /0$/.test(roomId);
const FAIL_503 = /^\{"ActionStatus":"FAIL","ErrorInfo":"[^"]+","ErrorCode":50301\}$/;

/** The answers of one run of load, by room. */
export class Ledger {
  readonly acked = new Map<string, string>();
  readonly failed = new Set<string>();
  readonly violations: string[] = [];
  answers = { ok: 0, unavailable: 0 };
  latencies: number[] = [];
  record(room: string, body: string, status: number, text: string, ms: number): void {
    this.latencies.push(ms);
    if (status === 200 && text === OK_TEXT) {
      this.acked.set(room, body);
      this.answers.ok++;
    } else if (status === 503 && FAIL_503.test(text)) {
      this.failed.add(room);
      this.answers.unavailable++;
    } else if (this.violations.length < 20)
      this.violations.push(`answer ${status} ${text.slice(0, 120)} (only 200 OK or 503 FAIL 50301 are allowed)`);
  }
}

export interface Load {
  stop(): void;
  done: Promise<void>;
  firstFailAt: () => number;
}

/** SENDERS loops of unique signed callbacks (1..16 KiB of padding) until stopped. */
export function load(
  rh: Roomhook,
  ledger: Ledger,
  tag: string,
  senders: number,
  rand: () => number,
  expectDeath = false,
  shaped = 0,
): Load {
  let stopped = false;
  let firstFail = 0;
  const done = Promise.all(
    Array.from({ length: senders + shaped }, async (_, s) => {
      for (let i = 0; !stopped; i++) {
        const room = `${tag}-s${s}-n${i}`;
        // The first `senders` pad 1..16 KiB at random; a "shaped" sender goes 12 KiB, then three
        // without padding: the big one needs a segment roll, the small ones still fit the old
        // segment (the case where a failed roll matters).
        const pad = s < senders ? 1024 + Math.floor(rand() * 15 * 1024) : i % 4 === 0 ? 12 * 1024 : 0;
        const body = enterBody(room, { Pad: "d".repeat(pad) });
        try {
          const a = await sendSigned(rh.base, body);
          ledger.record(room, body, a.status, a.text, a.ms);
          if (a.status === 503) {
            firstFail ||= performance.now();
            await Bun.sleep(5); // Tencent would not hammer either
          }
        } catch (e) {
          if (!expectDeath && rh.alive && ledger.violations.length < 20)
            ledger.violations.push(
              `connection failed while the process was alive: ${(e as Error).message.slice(0, 100)}`,
            );
          if (!rh.alive || expectDeath) return;
        }
      }
    }),
  ).then(() => {});
  return {
    stop: () => {
      stopped = true;
    },
    done,
    firstFailAt: () => firstFail,
  };
}

export async function readyz(rh: Roomhook): Promise<number> {
  try {
    return (await fetch(`${rh.base}/readyz`)).status;
  } catch {
    return 0;
  }
}

/** Polls /readyz (no callbacks) until it answers 200; returns the ms it took, or -1. */
export async function readyAgain(rh: Roomhook, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await readyz(rh)) === 200) return Math.round(performance.now() - t0);
    await Bun.sleep(50);
  }
  return -1;
}

function adminOf(rh: Roomhook): string {
  return `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
}

async function caughtUp(rh: Roomhook, timeoutMs: number): Promise<string | null> {
  const admin = adminOf(rh);
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    try {
      const st = (await (await fetch(`${admin}/v1/targets`)).json()) as {
        headSeq: number;
        targets: { name: string; cursor: number; inFlight: number; lag: number }[];
      };
      if (st.targets.every((t) => t.cursor === st.headSeq && t.inFlight === 0)) return null;
      last = `head ${st.headSeq}, ${st.targets.map((t) => `${t.name} cursor ${t.cursor}`).join(", ")}`;
    } catch (e) {
      last = String(e);
    }
    await Bun.sleep(50);
  }
  return `delivery did not catch up within ${timeoutMs} ms: ${last}`;
}

/** The end-of-phase checks on a stopped service's data_dir. */
async function checkData(
  dataDir: string,
  ledger: Ledger,
  sink: Sink,
  strict: Sink | null,
  violation: (s: string) => void,
): Promise<{ events: number; deadLetters: number }> {
  const ver = await runCli(["verify", "--data-dir", dataDir]);
  if (ver.code !== 0) violation(`roomhook verify exit ${ver.code}: ${ver.stdout.slice(0, 400)}`);
  const j = scanJournal(dataDir);
  if (j.bad.length || j.torn.length) violation(`journal: ${j.bad.length} bad line(s), ${j.torn.length} torn tail(s)`);
  checkJournalLayout(j, dataDir, violation);
  const byRoom = new Map<string, string[]>();
  const ids = new Set<string>();
  for (const l of j.lines) {
    if (ids.has(l.id)) violation(`event id ${l.id} stored twice`);
    ids.add(l.id);
    const r = byRoom.get(l.roomId ?? "");
    if (r) r.push(l.raw);
    else byRoom.set(l.roomId ?? "", [l.raw]);
  }
  let missing = 0;
  for (const [room, body] of ledger.acked) {
    const raws = byRoom.get(room);
    if (raws?.length !== 1 || !raws[0]!.endsWith(`"data":${body}}`)) missing++;
  }
  if (missing)
    violation(
      `${missing} of ${ledger.acked.size} acknowledged event(s) not in the journal exactly once, byte for byte`,
    );
  const leaked = [...ledger.failed].filter((r) => byRoom.has(r));
  if (leaked.length) violation(`${leaked.length} event(s) answered 503 are in the journal, e.g. ${leaked[0]}`);
  const undelivered = j.lines.filter((l) => !sink.received.has(l.id));
  if (undelivered.length) {
    const dl = scanDeadLetters(dataDir, "sink");
    const dead = undelivered.filter((l) => dl.ids.has(l.id)).length;
    let why = "";
    try {
      const first = readFileSync(join(dataDir, "dead-letters", "sink.jsonl"), "utf8").split("\n")[0]!;
      why = `; first dead letter: ${JSON.stringify(first.slice(0, first.indexOf(',"event":')))}`;
    } catch {}
    violation(
      `${undelivered.length} journal event(s) never delivered to "sink" (seq ${undelivered
        .slice(0, 8)
        .map((l) => l.seq)
        .join(", ")}), ${dead} of them dead-lettered${why}`,
    );
  }
  let deadLetters = 0;
  if (strict) {
    const dl = scanDeadLetters(dataDir, "strict");
    deadLetters = dl.ids.size;
    if (dl.bad.length || dl.tornTail)
      violation(`dead-letters/strict.jsonl: ${dl.bad.length} unreadable line(s), torn tail ${dl.tornTail} bytes`);
    const lost = j.lines.filter((l) => !strict.received.has(l.id) && !dl.ids.has(l.id));
    if (lost.length)
      violation(
        `${lost.length} event(s) neither delivered to "strict" nor a readable dead letter (seq ${lost
          .slice(0, 8)
          .map((l) => l.seq)
          .join(", ")}${lost.length > 8 ? ", ..." : ""})`,
      );
  }
  return { events: j.lines.length, deadLetters };
}

/**
 * The end of a phase: the fan-out caught up, a clean SIGTERM, then the data checked against the
 * ledger. Every problem goes into `violations` (prefixed with the phase); the phase's own list is
 * returned for its summary line.
 */
export async function endPhase(
  phase: string,
  rh: Roomhook,
  dataDir: string,
  ledger: Ledger,
  sink: Sink,
  strict: Sink | null,
  violations: string[],
): Promise<{ res: { events: number; deadLetters: number }; v: string[] }> {
  const lag = await caughtUp(rh, 30_000);
  if (lag) violations.push(`phase ${phase}: ${lag}`);
  const code = await rh.stop();
  if (code !== 0) violations.push(`phase ${phase}: SIGTERM exit ${code}`);
  const v: string[] = [];
  const res = await checkData(dataDir, ledger, sink, strict, (x) => v.push(x));
  v.push(...ledger.violations);
  violations.push(...v.map((x) => `phase ${phase}: ${x}`));
  return { res, v };
}

export function targetsFor(sink: Sink, strict: Sink | null): TargetToml[] {
  const t: TargetToml[] = [
    {
      name: "sink",
      url: sink.url,
      max_in_flight: 16,
      retry_delays_ms: [20, 50, 100, 200, 500, 1000, 1000, 1000, 1000, 1000],
    },
  ];
  if (strict)
    t.push({
      name: "strict",
      url: strict.url,
      max_in_flight: 16,
      retry_delays_ms: [20, 50, 100, 200, 500, 1000, 1000, 1000, 1000, 1000],
    });
  return t;
}
