// scripts/faults/crash-loop: kill -9 at random and at aimed moments, restart, check. Loopback only, bounded
// in rounds and time; every process is started by us (test/e2e/helpers.ts) and killed by pid.
//
// Each round: SENDERS concurrent signed callbacks (RATE requests/s in all) against dist/roomhook with
// durability = "fsync" and two targets on local sinks: "sink" answers 200, "strict" answers 422 to
// the rooms whose number ends in 0 (so dead letters are written while we kill); kill -9 at a moment
// chosen by the round's kind; restart on the same data_dir; check:
//   - before recovery: the only damage allowed is a torn last line of the newest segment; the cursor
//     files parse and are not ahead of the last complete journal line;
//   - after recovery: `roomhook verify` exits 0; seq runs 1..N with no gap and every segment is named
//     after its first seq; no event id twice; every acknowledged event there exactly once, byte for
//     byte; the restart's nextSeq is N+1 and the next callback gets N+1; acknowledged bodies sent
//     again are not stored again; no cursor moved back or is ahead of the journal;
//   - delivery: both targets catch up (cursor = head); "sink" has received every journal event (so
//     every acknowledged one) at least once and nothing that is not in the journal; for "strict",
//     every journal event was delivered or is a readable dead letter (file and admin API agree).
// Kinds of round, in turn:
//   random  segment_bytes 65536, kill after a random 150..1500 ms of load
//   roll    segment_bytes 4096 (almost every batch rolls); kill the moment the k-th new segment file
//           appears (inotify), k random in 1..20: the kill lands inside the roll (open, directory
//           fsync, first write and fdatasync of the new segment)
//   cursor  kill the moment a cursor temp file appears (inotify; inside the 250 ms cursor save:
//           write, fsync, rename, directory fsync), or 0..250 ms after a random sink receipt
//   torn    250-500 KiB bodies, so a batch is megabytes; kill when the newest segment grows past a
//           random size (polled): the kill lands inside the write(2) and leaves a torn tail
// A fresh data_dir every EPOCH rounds keeps the journal (and its 4 KiB segments) small.
//
// Env: ROUNDS=50 SEED=<random> SENDERS=16 RATE=2500 EPOCH=10 STRICT=1 (0: no dead-letter target)
//      ROOMHOOK=dist/roomhook. Exit 0 when no violation was found, 1 otherwise.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startRoomhook, tempDir, type Roomhook } from "../../test/e2e/helpers.ts";
import { OK_TEXT, Sink, checkJournalLayout, configText, enterBody, newSeed, readCursor, rng, scanDeadLetters, scanJournal, sendSigned, type TargetToml } from "./common.ts";

export type RoundKind = "random" | "roll" | "cursor" | "torn";
export const KINDS: RoundKind[] = ["random", "roll", "cursor", "torn"];

export interface CrashLoopOptions {
  rounds: number;
  seed: number;
  senders?: number;
  rate?: number;
  epoch?: number;
  /** The second target that dead-letters a fifth of the rooms (default true). */
  strict?: boolean;
  log?: (line: string) => void;
}

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

export interface CrashLoopResult {
  seed: number;
  rounds: RoundResult[];
  violations: string[];
  totals: Record<string, number>;
}

interface Acked {
  body: string;
  round: number;
}

/** "strict" refuses (422, dead letter at once) the rooms whose last number ends in 0. */
const strictRefuses = (roomId: string | null) => roomId !== null && /0$/.test(roomId);

function targetsFor(sink: Sink, strict: Sink | null): TargetToml[] {
  const t: TargetToml[] = [{ name: "sink", url: sink.url, max_in_flight: 16, timeout_ms: 5000, retry_delays_ms: [20, 50, 100, 200, 500, 1000, 2000] }];
  if (strict) t.push({ name: "strict", url: strict.url, max_in_flight: 16, timeout_ms: 5000, retry_delays_ms: [20, 50, 100, 200, 500, 1000, 2000] });
  return t;
}

function configFor(dataDir: string, kind: RoundKind, targets: TargetToml[]): string {
  const journal = { durability: "fsync", segment_bytes: kind === "roll" ? 4096 : kind === "torn" ? 64 * 1024 * 1024 : 65536 };
  return configText({ data_dir: dataDir, journal, server: { listen: "127.0.0.1:0", max_body_bytes: 1024 * 1024 } }, targets);
}

interface TargetState {
  name: string;
  cursor: number;
  lag: number;
  inFlight: number;
  deadLetters: number;
}

async function adminTargets(admin: string): Promise<{ headSeq: number; targets: TargetState[] }> {
  const res = await fetch(`${admin}/v1/targets`);
  return (await res.json()) as { headSeq: number; targets: TargetState[] };
}

function adminOf(rh: Roomhook): string {
  return `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
}

function newestSegment(dataDir: string): string | null {
  const names = readdirSync(join(dataDir, "journal"))
    .filter((n) => /^\d{20}\.jsonl$/.test(n))
    .sort();
  return names.length ? join(dataDir, "journal", names.at(-1)!) : null;
}

export async function crashLoop(o: CrashLoopOptions): Promise<CrashLoopResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const rand = rng(o.seed);
  const SENDERS = o.senders ?? 16;
  const RATE = o.rate ?? 2500;
  const EPOCH = o.epoch ?? 10;
  const sink = new Sink();
  const strict = o.strict === false ? null : new Sink((ev) => (strictRefuses(ev.roomId) ? 422 : 200));
  const targets = targetsFor(sink, strict);
  const names = targets.map((t) => t.name);
  const results: RoundResult[] = [];
  const all: string[] = [];
  log(
    `crash-loop: seed ${o.seed}, ${o.rounds} rounds, ${SENDERS} senders at ${RATE} req/s in all (torn rounds: unthrottled, 250-500 KiB bodies), ` +
      `targets ${names.join(", ")}, fresh data_dir every ${EPOCH} rounds`,
  );

  let rh: Roomhook | null = null;
  let dataDir = "";
  let acked = new Map<string, Acked>();
  let lastCursor = new Map<string, number>();
  let knownBadDeadLetters = new Set<string>();
  let adminDeadLettersBroken = false;
  try {
    for (let round = 0; round < o.rounds; round++) {
      const kind = KINDS[round % KINDS.length]!;
      const nextKind = KINDS[(round + 1) % KINDS.length]!;
      const t0 = performance.now();
      const v: string[] = [];
      const violation = (s: string) => v.push(s);

      if (round % EPOCH === 0) {
        if (rh) {
          const code = await rh.stop();
          if (code !== 0) all.push(`epoch end before round ${round}: SIGTERM exit ${code}`);
        }
        dataDir = join(tempDir("crashloop"), "data");
        acked = new Map();
        lastCursor = new Map();
        knownBadDeadLetters = new Set();
        adminDeadLettersBroken = false;
        sink.received.clear(); // the previous data_dir's server is stopped: its deliveries are done
        strict?.received.clear();
        rh = await startRoomhook({ dataDir, tomlText: configFor(dataDir, kind, targets) });
      }
      const cur = rh!;

      // ---- the kill trigger
      let killed = false;
      let trigger = "";
      const watchers: FSWatcher[] = [];
      const timers: ReturnType<typeof setTimeout>[] = [];
      const kill = (why: string) => {
        if (killed) return;
        killed = true;
        cur.proc.kill(9);
        trigger = why;
      };
      const t1 = performance.now();
      const since = () => `${Math.round(performance.now() - t1)} ms`;
      let poller: Promise<void> = Promise.resolve();
      if (kind === "random") {
        const at = 150 + Math.floor(rand() * 1350);
        timers.push(setTimeout(() => kill(`timer ${at} ms`), at));
      } else if (kind === "roll") {
        const k = 1 + Math.floor(rand() * 20);
        const seen = new Set<string>();
        let rolls = 0;
        watchers.push(
          watch(join(dataDir, "journal"), (_ev, name) => {
            if (!name || !/^\d{20}\.jsonl$/.test(name) || seen.has(name)) return;
            seen.add(name);
            if (++rolls === k) kill(`new segment #${k} ${name} after ${since()}`);
          }),
        );
        timers.push(setTimeout(() => kill(`fallback timer (only ${rolls} of ${k} rolls seen)`), 5000));
      } else if (kind === "cursor") {
        if (rand() < 0.5) {
          const k = 1 + Math.floor(rand() * 4);
          let saves = 0;
          watchers.push(
            watch(join(dataDir, "cursors"), (ev, name) => {
              if (ev !== "rename" || !name?.endsWith(".json.tmp") || !existsSync(join(dataDir, "cursors", name))) return;
              if (++saves === k) kill(`cursor temp file ${name}, save #${k}, after ${since()}`);
            }),
          );
        } else {
          const n = 1 + Math.floor(rand() * 1500);
          const delay = Math.floor(rand() * 250);
          const base = sink.deliveries;
          sink.onReceipt = () => {
            if (sink.deliveries - base === n) {
              sink.onReceipt = null;
              timers.push(setTimeout(() => kill(`${delay} ms after sink receipt #${n}`), delay));
            }
          };
        }
        timers.push(setTimeout(() => kill("fallback timer (trigger never fired)"), 5000));
      } else {
        const seg0 = newestSegment(dataDir);
        const start = seg0 ? statSync(seg0).size : 0;
        const grow = Math.floor((1 + rand() * 15) * 1024 * 1024);
        poller = (async () => {
          while (!killed) {
            const seg = newestSegment(dataDir);
            let size = 0;
            try {
              size = seg ? statSync(seg).size : 0;
            } catch {}
            if (size - (seg === seg0 ? start : 0) >= grow) kill(`newest segment grew past +${(grow / 1048576).toFixed(1)} MiB (size ${size}) after ${since()}`);
            else await Bun.sleep(0);
          }
        })();
        timers.push(setTimeout(() => kill("fallback timer (segment never grew enough)"), 8000));
      }

      // ---- the load: signed callbacks, some of them repeats of acknowledged ones
      let cutOff = 0;
      let ackedNow = 0;
      let ticket = 0;
      const interval = kind === "torn" ? 0 : 1000 / RATE;
      const loadStart = performance.now();
      const ackedList = [...acked.keys()];
      const senders = Array.from({ length: SENDERS }, async (_, s) => {
        for (let i = 0; !killed; i++) {
          const due = loadStart + ticket++ * interval;
          const wait = due - performance.now();
          if (wait > 1) await Bun.sleep(wait);
          if (killed) break;
          let room: string;
          let body: string;
          let repeat = false;
          if (ackedList.length > 0 && rand() < 0.05) {
            room = ackedList[Math.floor(rand() * ackedList.length)]!;
            body = acked.get(room)!.body;
            repeat = true;
          } else {
            room = `cl-r${round}-s${s}-n${i}`;
            body = kind === "torn" ? enterBody(room, { Pad: "p".repeat(256 * 1024 + Math.floor(rand() * 256 * 1024)) }) : enterBody(room);
          }
          try {
            const a = await sendSigned(cur.base, body);
            if (a.status === 200 && a.text === OK_TEXT) {
              if (!repeat) {
                acked.set(room, { body, round });
                ackedList.push(room);
                ackedNow++;
              }
            } else violation(`callback answered ${a.status} ${a.text.slice(0, 100)} (not 200 OK and not a dead connection)`);
          } catch {
            cutOff++; // the process died under this request: never acknowledged
          }
        }
      });
      // While the load runs: a live cursor is never ahead of the committed head.
      const admin = adminOf(cur);
      const poll = (async () => {
        while (!killed) {
          try {
            const st = await adminTargets(admin);
            for (const t of st.targets) if (t.cursor > st.headSeq) violation(`live cursor of ${t.name} ${t.cursor} ahead of headSeq ${st.headSeq}`);
          } catch {}
          await Bun.sleep(100);
        }
      })();
      await cur.proc.exited;
      killed = true;
      for (const t of timers) clearTimeout(t);
      for (const w of watchers) w.close();
      sink.onReceipt = null;
      await cur.kill9();
      await Promise.all([...senders, poll, poller]);

      // ---- the files as the crash left them
      const pre = scanJournal(dataDir);
      if (pre.bad.length) violation(`complete lines that do not parse before recovery: ${pre.bad.slice(0, 2).join(" | ")}`);
      const newest = pre.segments.at(-1);
      const tornElsewhere = pre.torn.filter((t) => t.file !== join(dataDir, "journal", newest?.name ?? ""));
      if (tornElsewhere.length) violation(`torn line in a segment that is not the newest: ${tornElsewhere.map((t) => t.file).join(", ")}`);
      const emptySegment = newest !== undefined && newest.bytes === 0;
      const cursorTmpLeft = names.some((n) => existsSync(join(dataDir, "cursors", `${n}.json.tmp`)));
      const deadLetterTornTail = strict !== null && scanDeadLetters(dataDir, "strict").tornTail > 0;
      const preLast = pre.lines.at(-1)?.seq ?? 0;
      let cursorAtKill = 0;
      for (const n of names) {
        const c = readCursor(dataDir, n);
        if (c === null) violation(`cursor file of ${n} missing after the kill`);
        else if ("error" in c) violation(`cursor file of ${n} damaged by the kill: ${c.error}`);
        else {
          if (n === "sink") cursorAtKill = c.seq;
          if (c.seq > preLast) violation(`cursor of ${n} ${c.seq} ahead of the journal's last complete line ${preLast}`);
          if (c.seq < (lastCursor.get(n) ?? 0)) violation(`cursor of ${n} moved back: ${lastCursor.get(n)} -> ${c.seq}`);
          lastCursor.set(n, Math.max(lastCursor.get(n) ?? 0, c.seq));
        }
      }

      // ---- restart (with the next round's settings) and recovery
      const isLast = round === o.rounds - 1;
      let next: Roomhook;
      try {
        next = await startRoomhook({ dataDir, tomlText: configFor(dataDir, isLast ? kind : nextKind, targets) });
      } catch (e) {
        violation(`restart failed: ${(e as Error).message.slice(0, 500)}`);
        finish();
        rh = null;
        break;
      }
      rh = next;
      const ver = await runCli(["verify", "--data-dir", dataDir, "--json"]);
      if (ver.code !== 0) violation(`roomhook verify exit ${ver.code}: ${ver.stdout.slice(0, 600)}`);

      const post = scanJournal(dataDir);
      if (post.bad.length || post.torn.length) violation(`after recovery: ${post.bad.length} bad line(s), ${post.torn.length} torn tail(s)`);
      if (pre.torn.length && post.tornFilesKept <= pre.tornFilesKept) violation("a torn tail was cut without being kept aside");
      checkJournalLayout(post, dataDir, violation);
      const N = post.lines.length;
      // no id twice; every acknowledged event exactly once, byte for byte
      const byId = new Map<string, number>();
      const byRoom = new Map<string, string[]>();
      for (const l of post.lines) {
        byId.set(l.id, (byId.get(l.id) ?? 0) + 1);
        const r = byRoom.get(l.roomId ?? "");
        if (r) r.push(l.raw);
        else byRoom.set(l.roomId ?? "", [l.raw]);
      }
      const dupIds = [...byId].filter(([, n]) => n > 1);
      if (dupIds.length) violation(`${dupIds.length} event id(s) stored twice, e.g. ${dupIds[0]![0]}`);
      let missing = 0;
      let altered = 0;
      for (const [room, a] of acked) {
        const raws = byRoom.get(room);
        if (!raws || raws.length !== 1) missing++;
        else if (!raws[0]!.endsWith(`"data":${a.body}}`)) altered++;
      }
      if (missing) violation(`${missing} acknowledged event(s) missing or not exactly once`);
      if (altered) violation(`${altered} acknowledged event(s) stored with a different body`);
      // numbering goes on
      const listening = next.logs.find((l) => l.msg === "roomhook listening")!;
      if (listening.nextSeq !== N + 1) violation(`restart reports nextSeq ${String(listening.nextSeq)}, journal ends at ${N}`);
      const probeRoom = `cl-r${round}-probe`;
      const probeBody = enterBody(probeRoom);
      const pa = await sendSigned(next.base, probeBody);
      if (pa.status !== 200) violation(`first callback after the restart answered ${pa.status}`);
      else {
        acked.set(probeRoom, { body: probeBody, round });
        const last = scanJournal(dataDir).lines.at(-1);
        if (last?.roomId !== probeRoom || last.seq !== N + 1) violation(`first event after the restart got seq ${last?.seq} (${last?.roomId}), expected ${N + 1}`);
      }
      // acknowledged bodies sent again after the crash are recognised (dedupe window rebuilt)
      const thisRound = [...acked].filter(([, a]) => a.round === round);
      for (let k = 0; k < 3 && thisRound.length; k++) {
        const [, a] = thisRound[Math.floor(rand() * thisRound.length)]!;
        const r = await sendSigned(next.base, a.body);
        if (r.status !== 200) violation(`repeat after restart answered ${r.status}`);
      }
      const afterRepeats = scanJournal(dataDir).lines.length;
      if (afterRepeats !== N + 1) violation(`repeats of acknowledged events were stored again (${afterRepeats - N - 1} extra)`);

      // ---- delivery catches up: every journal event reaches "sink", nothing else does; for
      // "strict", every journal event is delivered or a readable dead letter
      const admin2 = adminOf(next);
      const deadline = Date.now() + 30_000;
      let st = await adminTargets(admin2);
      const caughtUp = () => st.targets.every((t) => t.cursor === st.headSeq && t.lag === 0 && t.inFlight === 0);
      while (!caughtUp() && Date.now() < deadline) {
        await Bun.sleep(25);
        st = await adminTargets(admin2);
      }
      if (!caughtUp()) violation(`delivery did not catch up within 30 s: head ${st.headSeq}, ${st.targets.map((t) => `${t.name} cursor ${t.cursor}`).join(", ")}`);
      const final = scanJournal(dataDir);
      const journalIds = new Map(final.lines.map((l) => [l.id, { seq: l.seq, roomId: l.roomId }]));
      let undelivered = 0;
      for (const [id, { seq }] of journalIds) {
        const got = sink.received.get(id);
        if (!got) undelivered++;
        else if (got.some((s) => s !== seq)) violation(`event ${id} (seq ${seq}) was delivered with another seq: ${got.join(",")}`);
      }
      if (undelivered) violation(`${undelivered} journal event(s) never delivered to "sink"`);
      let phantom = 0;
      for (const id of sink.received.keys()) if (!journalIds.has(id)) phantom++;
      if (phantom) violation(`${phantom} event(s) delivered to "sink" that are not in the journal`);
      let deadLetters = 0;
      if (strict) {
        const dl = scanDeadLetters(dataDir, "strict");
        deadLetters = dl.ids.size;
        // A damaged line stays in the file: report each one once, in the round that made it.
        const fresh = dl.bad.filter((b) => !knownBadDeadLetters.has(b));
        for (const b of fresh) knownBadDeadLetters.add(b);
        if (fresh.length) violation(`${fresh.length} new unreadable line(s) in dead-letters/strict.jsonl (a dead letter glued to a torn one), e.g. ${fresh[0]!.slice(0, 120)}`);
        if (dl.tornTail) violation(`dead-letters/strict.jsonl ends in a torn line (${dl.tornTail} bytes) after catching up`);
        let lost = 0;
        let wronglyRefused = 0;
        for (const [id, { roomId }] of journalIds) {
          const ok = strict.received.has(id) || dl.ids.has(id);
          if (!ok) lost++;
          if (dl.ids.has(id) && !strictRefuses(roomId)) wronglyRefused++;
        }
        if (lost) violation(`${lost} journal event(s) neither delivered to "strict" nor a readable dead letter`);
        if (wronglyRefused) violation(`${wronglyRefused} dead letter(s) for events "strict" accepts`);
        try {
          // Page through (the API serves at most 1000 a page).
          let listed = 0;
          let total = -1;
          for (let from = 0; ; ) {
            const page = (await (await fetch(`${admin2}/v1/dead-letters/strict?from=${from}&limit=1000`)).json()) as { total: number; next: number | null; entries: unknown[] };
            listed += page.entries.length;
            total = page.total;
            if (page.next === null || page.next === undefined || page.entries.length === 0) break;
            from = page.next;
          }
          const tgt = st.targets.find((t) => t.name === "strict")!;
          if (listed !== total || total !== tgt.deadLetters) violation(`admin API: ${listed} dead-letter entries listed, total ${total}, target count ${tgt.deadLetters}`);
        } catch (e) {
          if (!adminDeadLettersBroken) violation(`admin API GET /v1/dead-letters/strict no longer answers valid JSON: ${(e as Error).message.slice(0, 120)}`);
          adminDeadLettersBroken = true;
        }
      }
      for (const n of names) {
        const c = readCursor(dataDir, n);
        if (c && !("error" in c) && c.seq > final.lines.length) violation(`saved cursor of ${n} ${c.seq} ahead of the journal (${final.lines.length})`);
      }
      finish();

      function finish(): void {
        let redelivered = 0;
        for (const got of sink.received.values()) redelivered += got.length - 1;
        const c = readCursor(dataDir, "sink");
        const r: RoundResult = {
          round,
          kind,
          trigger,
          acked: ackedNow,
          cutOff,
          journal: scanJournal(dataDir).lines.length,
          segments: pre.segments.length,
          tornTail: pre.torn.length > 0,
          emptySegment,
          cursorTmpLeft,
          deadLetterTornTail,
          cursorAtKill,
          cursorAfter: c && !("error" in c) ? c.seq : -1,
          delivered: sink.received.size,
          redelivered,
          deadLetters,
          ms: Math.round(performance.now() - t0),
          violations: [...v],
        };
        results.push(r);
        all.push(...v.map((x) => `round ${round} (${kind}, seed ${o.seed}): ${x}`));
        log(summary(r));
      }
    }
  } finally {
    if (rh?.alive) {
      const code = await rh.stop().catch(() => -1);
      if (code !== 0) all.push(`final SIGTERM exit ${code}`);
    }
    sink.stop();
    strict?.stop();
    await cleanup();
  }

  const count = (f: (r: RoundResult) => boolean) => results.filter(f).length;
  const totals = {
    rounds: results.length,
    acked: results.reduce((a, r) => a + r.acked, 0),
    cutOff: results.reduce((a, r) => a + r.cutOff, 0),
    tornTails: count((r) => r.tornTail),
    emptySegments: count((r) => r.emptySegment),
    cursorTmpLeft: count((r) => r.cursorTmpLeft),
    deadLetterTornTails: count((r) => r.deadLetterTornTail),
    violatingRounds: count((r) => r.violations.length > 0),
    violations: all.length,
  };
  log(
    `crash-loop totals: seed ${o.seed}, ${totals.rounds} rounds (${KINDS.map((k) => `${count((r) => r.kind === k)} ${k}`).join(", ")}), ` +
      `${totals.acked} acknowledged, ${totals.cutOff} requests cut off by kills; kills that left a torn journal tail ${totals.tornTails}, ` +
      `an empty new segment ${totals.emptySegments}, a cursor temp file ${totals.cursorTmpLeft}, a torn dead-letter line ${totals.deadLetterTornTails}; ` +
      `rounds with violations ${totals.violatingRounds}, violations ${totals.violations}`,
  );
  for (const x of all) log(`VIOLATION ${x}`);
  return { seed: o.seed, rounds: results, violations: all, totals };
}

function summary(r: RoundResult): string {
  const flags = [r.tornTail ? "torn tail" : "", r.emptySegment ? "empty new segment" : "", r.cursorTmpLeft ? "cursor tmp left" : "", r.deadLetterTornTail ? "torn dead letter" : ""]
    .filter(Boolean)
    .join(", ");
  return (
    `round ${String(r.round).padStart(2)} ${r.kind.padEnd(6)} kill: ${r.trigger}; acked ${r.acked}, cut off ${r.cutOff}; ` +
    `journal ${r.journal} events in ${r.segments} segment(s)${flags ? ` [${flags}]` : ""}; sink cursor at kill ${r.cursorAtKill}, now ${r.cursorAfter}; ` +
    `sink ${r.delivered} ids (${r.redelivered} redeliveries), ${r.deadLetters} dead letters; ${r.ms} ms; ` +
    (r.violations.length ? `VIOLATIONS: ${r.violations.join(" / ")}` : "ok")
  );
}

if (import.meta.main) {
  const seed = process.env.SEED ? Number(process.env.SEED) : newSeed();
  const r = await crashLoop({
    rounds: Number(process.env.ROUNDS ?? 50),
    seed,
    senders: process.env.SENDERS ? Number(process.env.SENDERS) : undefined,
    rate: process.env.RATE ? Number(process.env.RATE) : undefined,
    epoch: process.env.EPOCH ? Number(process.env.EPOCH) : undefined,
    strict: process.env.STRICT !== "0",
  });
  process.exit(r.violations.length === 0 ? 0 : 1);
}
