// What the phases of a scripts/faults/crash-loop round share: the state kept across rounds (Loop),
// the round under way (Round), what the kill left on disk (Crash), the config and the admin API.
// The phases: crash-kill.ts (the kill trigger), crash-check.ts (load, crash, recovery, delivery);
// crash-loop.ts runs them in turn.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { configText, type JournalScan, type Roomhook, type Sink, type TargetToml } from "../../test/support/harness.ts";

export type RoundKind = "random" | "roll" | "cursor" | "torn";
export const KINDS: RoundKind[] = ["random", "roll", "cursor", "torn"];

export interface RoundResult {
  round: number;
  kind: RoundKind;
  trigger: string;
  acked: number;
  cutOff: number;
  journal: number;
  segments: number;
  tornTail: boolean;
  emptySegment: boolean;
  cursorTmpLeft: boolean;
  deadLetterTornTail: boolean;
  cursorAtKill: number;
  cursorAfter: number;
  delivered: number;
  redelivered: number;
  deadLetters: number;
  ms: number;
  violations: string[];
}

export interface Acked {
  body: string;
  round: number;
}

/** What lives across rounds: the sinks, the running server, and what each epoch has acknowledged. */
export interface Loop {
  seed: number;
  rounds: number;
  rand: () => number;
  log: (line: string) => void;
  senders: number;
  rate: number;
  epoch: number;
  sink: Sink;
  strict: Sink | null;
  targets: TargetToml[];
  names: string[];
  results: RoundResult[];
  /** Every violation so far, each prefixed with its round. */
  all: string[];
  rh: Roomhook | null;
  dataDir: string;
  acked: Map<string, Acked>;
  lastCursor: Map<string, number>;
  knownBadDeadLetters: Set<string>;
  adminDeadLettersBroken: boolean;
}

/** The state of the round under way. */
export interface Round {
  round: number;
  kind: RoundKind;
  t0: number;
  v: string[];
  violation: (s: string) => void;
  killed: boolean;
  trigger: string;
  cutOff: number;
  ackedNow: number;
  deadLetters: number;
}

/** What the kill left on disk, read before the restart touches anything. */
export interface Crash {
  pre: JournalScan;
  emptySegment: boolean;
  cursorTmpLeft: boolean;
  deadLetterTornTail: boolean;
  cursorAtKill: number;
}

/** "strict" refuses (422, dead letter at once) the rooms whose last number ends in 0. */
export const strictRefuses = (roomId: string | null) => roomId !== null && /0$/.test(roomId);

export function targetsFor(sink: Sink, strict: Sink | null): TargetToml[] {
  const t: TargetToml[] = [
    {
      name: "sink",
      url: sink.url,
      max_in_flight: 16,
      timeout_ms: 5000,
      retry_delays_ms: [20, 50, 100, 200, 500, 1000, 2000],
    },
  ];
  if (strict)
    t.push({
      name: "strict",
      url: strict.url,
      max_in_flight: 16,
      timeout_ms: 5000,
      retry_delays_ms: [20, 50, 100, 200, 500, 1000, 2000],
    });
  return t;
}

export function configFor(dataDir: string, kind: RoundKind, targets: TargetToml[]): string {
  const journal = {
    durability: "fsync",
    segment_bytes: kind === "roll" ? 4096 : kind === "torn" ? 64 * 1024 * 1024 : 65536,
  };
  return configText(
    { data_dir: dataDir, journal, server: { listen: "127.0.0.1:0", max_body_bytes: 1024 * 1024 } },
    targets,
  );
}

export interface TargetState {
  name: string;
  cursor: number;
  lag: number;
  inFlight: number;
  deadLetters: number;
}

export async function adminTargets(admin: string): Promise<{ headSeq: number; targets: TargetState[] }> {
  const res = await fetch(`${admin}/v1/targets`);
  return (await res.json()) as { headSeq: number; targets: TargetState[] };
}

export function adminOf(rh: Roomhook): string {
  return `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
}

export function newestSegment(dataDir: string): string | null {
  const names = readdirSync(join(dataDir, "journal"))
    .filter((n) => /^\d{20}\.jsonl$/.test(n))
    .sort();
  return names.length ? join(dataDir, "journal", names.at(-1)!) : null;
}
