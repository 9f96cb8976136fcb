// The phases of a scripts/faults/crash-loop round after the kill trigger is armed (crash-kill.ts):
// the load until the process dies, the files as the crash left them, the restart, the recovery
// checks, the delivery checks, and the round's line. What each checks is listed in crash-loop.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  checkJournalLayout,
  enterBody,
  OK_TEXT,
  readCursor,
  runCli,
  scanDeadLetters,
  scanJournal,
  sendSigned,
  startRoomhook,
  type Roomhook,
} from "../../test/support/harness.ts";
import type { Trap } from "./crash-kill.ts";
import {
  adminOf,
  adminTargets,
  configFor,
  KINDS,
  strictRefuses,
  type Crash,
  type Loop,
  type Round,
  type RoundResult,
  type TargetState,
} from "./crash-round.ts";

/** Signed callbacks, some of them repeats of acknowledged ones, until the process dies. */
export async function runLoad(L: Loop, R: Round, cur: Roomhook, trap: Trap): Promise<void> {
  let ticket = 0;
  const interval = R.kind === "torn" ? 0 : 1000 / L.rate;
  const loadStart = performance.now();
  const ackedList = [...L.acked.keys()];
  const senders = Array.from({ length: L.senders }, async (_, s) => {
    for (let i = 0; !R.killed; i++) {
      const due = loadStart + ticket++ * interval;
      const wait = due - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      if (R.killed) break;
      let room: string;
      let body: string;
      let repeat = false;
      if (ackedList.length > 0 && L.rand() < 0.05) {
        room = ackedList[Math.floor(L.rand() * ackedList.length)]!;
        body = L.acked.get(room)!.body;
        repeat = true;
      } else {
        room = `cl-r${R.round}-s${s}-n${i}`;
        body =
          R.kind === "torn"
            ? enterBody(room, { Pad: "p".repeat(256 * 1024 + Math.floor(L.rand() * 256 * 1024)) })
            : enterBody(room);
      }
      try {
        const a = await sendSigned(cur.base, body);
        if (a.status === 200 && a.text === OK_TEXT) {
          if (!repeat) {
            L.acked.set(room, { body, round: R.round });
            ackedList.push(room);
            R.ackedNow++;
          }
        } else
          R.violation(`callback answered ${a.status} ${a.text.slice(0, 100)} (not 200 OK and not a dead connection)`);
      } catch {
        R.cutOff++; // the process died under this request: never acknowledged
      }
    }
  });
  const poll = pollLiveCursors(R, adminOf(cur));
  await cur.proc.exited;
  R.killed = true;
  for (const t of trap.timers) clearTimeout(t);
  for (const w of trap.watchers) w.close();
  L.sink.onReceipt = null;
  await cur.kill9();
  await Promise.all([...senders, poll, trap.poller]);
}

/** While the load runs: a live cursor is never ahead of the committed head. */
async function pollLiveCursors(R: Round, admin: string): Promise<void> {
  while (!R.killed) {
    try {
      const st = await adminTargets(admin);
      for (const t of st.targets)
        if (t.cursor > st.headSeq) R.violation(`live cursor of ${t.name} ${t.cursor} ahead of headSeq ${st.headSeq}`);
    } catch {}
    await Bun.sleep(100);
  }
}

/** The files as the crash left them, before the restart repairs anything. */
export function inspectCrash(L: Loop, R: Round): Crash {
  const { dataDir, names } = L;
  const pre = scanJournal(dataDir);
  if (pre.bad.length)
    R.violation(`complete lines that do not parse before recovery: ${pre.bad.slice(0, 2).join(" | ")}`);
  const newest = pre.segments.at(-1);
  const tornElsewhere = pre.torn.filter((t) => t.file !== join(dataDir, "journal", newest?.name ?? ""));
  if (tornElsewhere.length)
    R.violation(`torn line in a segment that is not the newest: ${tornElsewhere.map((t) => t.file).join(", ")}`);
  const emptySegment = newest !== undefined && newest.bytes === 0;
  const cursorTmpLeft = names.some((n) => existsSync(join(dataDir, "cursors", `${n}.json.tmp`)));
  const deadLetterTornTail = L.strict !== null && scanDeadLetters(dataDir, "strict").tornTail > 0;
  const preLast = pre.lines.at(-1)?.seq ?? 0;
  let cursorAtKill = 0;
  for (const n of names) {
    const c = readCursor(dataDir, n);
    if (c === null) R.violation(`cursor file of ${n} missing after the kill`);
    else if ("error" in c) R.violation(`cursor file of ${n} damaged by the kill: ${c.error}`);
    else {
      if (n === "sink") cursorAtKill = c.seq;
      if (c.seq > preLast) R.violation(`cursor of ${n} ${c.seq} ahead of the journal's last complete line ${preLast}`);
      if (c.seq < (L.lastCursor.get(n) ?? 0))
        R.violation(`cursor of ${n} moved back: ${L.lastCursor.get(n)} -> ${c.seq}`);
      L.lastCursor.set(n, Math.max(L.lastCursor.get(n) ?? 0, c.seq));
    }
  }
  return { pre, emptySegment, cursorTmpLeft, deadLetterTornTail, cursorAtKill };
}

/** The restart on the same data_dir, with the next round's settings; null when it failed. */
export async function restart(L: Loop, R: Round): Promise<Roomhook | null> {
  const isLast = R.round === L.rounds - 1;
  const nextKind = KINDS[(R.round + 1) % KINDS.length]!;
  try {
    return await startRoomhook({
      dataDir: L.dataDir,
      tomlText: configFor(L.dataDir, isLast ? R.kind : nextKind, L.targets),
    });
  } catch (e) {
    R.violation(`restart failed: ${(e as Error).message.slice(0, 500)}`);
    return null;
  }
}

/** After recovery: verify, no gap or torn line, every acknowledged event exactly once, byte for byte. */
export async function checkRecovery(L: Loop, R: Round, next: Roomhook, crash: Crash): Promise<void> {
  const { dataDir } = L;
  const ver = await runCli(["verify", "--data-dir", dataDir, "--json"]);
  if (ver.code !== 0) R.violation(`roomhook verify exit ${ver.code}: ${ver.stdout.slice(0, 600)}`);

  const post = scanJournal(dataDir);
  if (post.bad.length || post.torn.length)
    R.violation(`after recovery: ${post.bad.length} bad line(s), ${post.torn.length} torn tail(s)`);
  if (crash.pre.torn.length && post.tornFilesKept <= crash.pre.tornFilesKept)
    R.violation("a torn tail was cut without being kept aside");
  checkJournalLayout(post, dataDir, R.violation);
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
  if (dupIds.length) R.violation(`${dupIds.length} event id(s) stored twice, e.g. ${dupIds[0]![0]}`);
  let missing = 0;
  let altered = 0;
  for (const [room, a] of L.acked) {
    const raws = byRoom.get(room);
    if (raws?.length !== 1) missing++;
    else if (!raws[0]!.endsWith(`"data":${a.body}}`)) altered++;
  }
  if (missing) R.violation(`${missing} acknowledged event(s) missing or not exactly once`);
  if (altered) R.violation(`${altered} acknowledged event(s) stored with a different body`);
  await checkNumbering(L, R, next, post.lines.length);
}

/** Numbering goes on at N+1, and acknowledged bodies sent again are recognised (dedupe rebuilt). */
async function checkNumbering(L: Loop, R: Round, next: Roomhook, N: number): Promise<void> {
  const { dataDir } = L;
  const listening = next.logs.find((l) => l.msg === "roomhook listening")!;
  if (listening.nextSeq !== N + 1)
    R.violation(`restart reports nextSeq ${String(listening.nextSeq)}, journal ends at ${N}`);
  const probeRoom = `cl-r${R.round}-probe`;
  const probeBody = enterBody(probeRoom);
  const pa = await sendSigned(next.base, probeBody);
  if (pa.status !== 200) R.violation(`first callback after the restart answered ${pa.status}`);
  else {
    L.acked.set(probeRoom, { body: probeBody, round: R.round });
    const last = scanJournal(dataDir).lines.at(-1);
    if (last?.roomId !== probeRoom || last.seq !== N + 1)
      R.violation(`first event after the restart got seq ${last?.seq} (${last?.roomId}), expected ${N + 1}`);
  }
  const thisRound = [...L.acked].filter(([, a]) => a.round === R.round);
  for (let k = 0; k < 3 && thisRound.length; k++) {
    const [, a] = thisRound[Math.floor(L.rand() * thisRound.length)]!;
    const r = await sendSigned(next.base, a.body);
    if (r.status !== 200) R.violation(`repeat after restart answered ${r.status}`);
  }
  const afterRepeats = scanJournal(dataDir).lines.length;
  if (afterRepeats !== N + 1)
    R.violation(`repeats of acknowledged events were stored again (${afterRepeats - N - 1} extra)`);
}

/**
 * Delivery catches up: every journal event reaches "sink", nothing else does; for "strict", every
 * journal event is delivered or a readable dead letter; no saved cursor is ahead of the journal.
 */
export async function checkDelivery(L: Loop, R: Round, next: Roomhook): Promise<void> {
  const { dataDir, sink } = L;
  const admin = adminOf(next);
  const deadline = Date.now() + 30_000;
  let st = await adminTargets(admin);
  const caughtUp = () => st.targets.every((t) => t.cursor === st.headSeq && t.lag === 0 && t.inFlight === 0);
  while (!caughtUp() && Date.now() < deadline) {
    await Bun.sleep(25);
    st = await adminTargets(admin);
  }
  if (!caughtUp())
    R.violation(
      `delivery did not catch up within 30 s: head ${st.headSeq}, ${st.targets.map((t) => `${t.name} cursor ${t.cursor}`).join(", ")}`,
    );
  const final = scanJournal(dataDir);
  const journalIds = new Map(final.lines.map((l) => [l.id, { seq: l.seq, roomId: l.roomId }]));
  let undelivered = 0;
  for (const [id, { seq }] of journalIds) {
    const got = sink.received.get(id);
    if (!got) undelivered++;
    else if (got.some((s) => s !== seq))
      R.violation(`event ${id} (seq ${seq}) was delivered with another seq: ${got.join(",")}`);
  }
  if (undelivered) R.violation(`${undelivered} journal event(s) never delivered to "sink"`);
  let phantom = 0;
  for (const id of sink.received.keys()) if (!journalIds.has(id)) phantom++;
  if (phantom) R.violation(`${phantom} event(s) delivered to "sink" that are not in the journal`);
  if (L.strict) await checkStrict(L, R, journalIds, st.targets, admin);
  for (const n of L.names) {
    const c = readCursor(dataDir, n);
    if (c && !("error" in c) && c.seq > final.lines.length)
      R.violation(`saved cursor of ${n} ${c.seq} ahead of the journal (${final.lines.length})`);
  }
}

/** "strict": each journal event delivered or a readable dead letter, and the admin API agrees. */
async function checkStrict(
  L: Loop,
  R: Round,
  journalIds: Map<string, { seq: number; roomId: string | null }>,
  targets: TargetState[],
  admin: string,
): Promise<void> {
  const dl = scanDeadLetters(L.dataDir, "strict");
  R.deadLetters = dl.ids.size;
  // A damaged line stays in the file: report each one once, in the round that made it.
  const fresh = dl.bad.filter((b) => !L.knownBadDeadLetters.has(b));
  for (const b of fresh) L.knownBadDeadLetters.add(b);
  if (fresh.length)
    R.violation(
      `${fresh.length} new unreadable line(s) in dead-letters/strict.jsonl (a dead letter glued to a torn one), e.g. ${fresh[0]!.slice(0, 120)}`,
    );
  if (dl.tornTail)
    R.violation(`dead-letters/strict.jsonl ends in a torn line (${dl.tornTail} bytes) after catching up`);
  let lost = 0;
  let wronglyRefused = 0;
  for (const [id, { roomId }] of journalIds) {
    const ok = L.strict!.received.has(id) || dl.ids.has(id);
    if (!ok) lost++;
    if (dl.ids.has(id) && !strictRefuses(roomId)) wronglyRefused++;
  }
  if (lost) R.violation(`${lost} journal event(s) neither delivered to "strict" nor a readable dead letter`);
  if (wronglyRefused) R.violation(`${wronglyRefused} dead letter(s) for events "strict" accepts`);
  try {
    // Page through (the API serves at most 1000 a page).
    let listed = 0;
    let total = -1;
    for (let from = 0; ; ) {
      const page = (await (await fetch(`${admin}/v1/dead-letters/strict?from=${from}&limit=1000`)).json()) as {
        total: number;
        next: number | null;
        entries: unknown[];
      };
      listed += page.entries.length;
      total = page.total;
      if (page.next === null || page.next === undefined || page.entries.length === 0) break;
      from = page.next;
    }
    const tgt = targets.find((t) => t.name === "strict")!;
    if (listed !== total || total !== tgt.deadLetters)
      R.violation(`admin API: ${listed} dead-letter entries listed, total ${total}, target count ${tgt.deadLetters}`);
  } catch (e) {
    if (!L.adminDeadLettersBroken)
      R.violation(
        `admin API GET /v1/dead-letters/strict no longer answers valid JSON: ${(e as Error).message.slice(0, 120)}`,
      );
    L.adminDeadLettersBroken = true;
  }
}

/** Records the round's result and prints its line. */
export function finishRound(L: Loop, R: Round, crash: Crash): void {
  let redelivered = 0;
  for (const got of L.sink.received.values()) redelivered += got.length - 1;
  const c = readCursor(L.dataDir, "sink");
  const r: RoundResult = {
    round: R.round,
    kind: R.kind,
    trigger: R.trigger,
    acked: R.ackedNow,
    cutOff: R.cutOff,
    journal: scanJournal(L.dataDir).lines.length,
    segments: crash.pre.segments.length,
    tornTail: crash.pre.torn.length > 0,
    emptySegment: crash.emptySegment,
    cursorTmpLeft: crash.cursorTmpLeft,
    deadLetterTornTail: crash.deadLetterTornTail,
    cursorAtKill: crash.cursorAtKill,
    cursorAfter: c && !("error" in c) ? c.seq : -1,
    delivered: L.sink.received.size,
    redelivered,
    deadLetters: R.deadLetters,
    ms: Math.round(performance.now() - R.t0),
    violations: [...R.v],
  };
  L.results.push(r);
  L.all.push(...R.v.map((x) => `round ${R.round} (${R.kind}, seed ${L.seed}): ${x}`));
  L.log(summary(r));
}

function summary(r: RoundResult): string {
  const flags = [
    r.tornTail ? "torn tail" : "",
    r.emptySegment ? "empty new segment" : "",
    r.cursorTmpLeft ? "cursor tmp left" : "",
    r.deadLetterTornTail ? "torn dead letter" : "",
  ]
    .filter(Boolean)
    .join(", ");
  return (
    `round ${String(r.round).padStart(2)} ${r.kind.padEnd(6)} kill: ${r.trigger}; acked ${r.acked}, cut off ${r.cutOff}; ` +
    `journal ${r.journal} events in ${r.segments} segment(s)${flags ? ` [${flags}]` : ""}; sink cursor at kill ${r.cursorAtKill}, now ${r.cursorAfter}; ` +
    `sink ${r.delivered} ids (${r.redelivered} redeliveries), ${r.deadLetters} dead letters; ${r.ms} ms; ` +
    (r.violations.length ? `VIOLATIONS: ${r.violations.join(" / ")}` : "ok")
  );
}
