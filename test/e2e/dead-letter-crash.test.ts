// Found by scripts/faults/crash-loop (RELIABILITY.md): a kill -9 inside a dead-letter append (a
// batch of big events is megabytes; the write goes out in pieces) leaves a torn last line in
// {data_dir}/dead-letters/<target>.jsonl. Without a cut at start-up the next dead letter was glued
// onto the torn bytes:
//   - that dead letter is unreadable: it is not listed by GET /v1/dead-letters/<name> and cannot be
//     redelivered, although the cursor has passed its event ("delivered or dead-lettered");
//   - when the torn bytes reach past ',"event":', GET /v1/dead-letters/<name> answers a body that
//     is not JSON from then on (the glued line's "event" is spliced in verbatim), and a redelivery
//     POSTs that glued text, signed, to the target as if it were the event.
// The journal cuts a torn tail at open (src/journal/recover.ts) and so does the dead-letter log
// (cutTornTail in src/delivery/dead-letters.ts); these tests hold it to that.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { configText, enterBody, scanDeadLetters, scanJournal, sendSigned } from "../support/harness.ts";
import { cleanup, startRoomhook, tempDir, type Roomhook } from "./helpers.ts";

setDefaultTimeout(60_000);

/** Refuses everything (422) until `accepting`; then records what it is sent. */
let accepting = false;
const bodies: string[] = [];
const refuse = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  maxRequestBodySize: 64 * 1024 * 1024,
  fetch: async (req) => {
    const body = await req.text();
    if (!accepting) return new Response("no", { status: 422 });
    bodies.push(body);
    return new Response("ok");
  },
});
afterAll(async () => {
  refuse.stop(true);
  await cleanup();
});

function toml(dataDir: string): string {
  return configText({ data_dir: dataDir, journal: { durability: "write" } }, [
    { name: "strict", url: `http://127.0.0.1:${refuse.port}/`, max_in_flight: 64 },
  ]);
}

const adminOf = (rh: Roomhook) => `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;

async function settled(rh: Roomhook): Promise<void> {
  const admin = adminOf(rh);
  const end = Date.now() + 20_000;
  for (;;) {
    const st = (await (await fetch(`${admin}/v1/targets`)).json()) as {
      headSeq: number;
      targets: { cursor: number; inFlight: number }[];
    };
    if (st.targets[0]!.cursor === st.headSeq && st.targets[0]!.inFlight === 0) return;
    if (Date.now() > end) throw new Error(`the target did not catch up: ${JSON.stringify(st)}`);
    await Bun.sleep(20);
  }
}

/** What should hold for every dead-letter file: each line readable, the API lists every event. */
async function expectReadableDeadLetters(rh: Roomhook, dataDir: string): Promise<void> {
  const dl = scanDeadLetters(dataDir, "strict");
  expect(dl.bad).toEqual([]);
  const res = await fetch(`${adminOf(rh)}/v1/dead-letters/strict?from=0&limit=100000`);
  expect(res.status).toBe(200);
  const page = JSON.parse(await res.text()) as { total: number; entries: { id: string }[] };
  const listed = new Set(page.entries.map((e) => e.id));
  // Every journal event was refused with 422, so every one must be a listed dead letter.
  const missing = scanJournal(dataDir).lines.filter((l) => !listed.has(l.id));
  expect(missing.map((l) => l.seq)).toEqual([]);
}

/**
 * One event dead-lettered, a stop, the torn start of a dead-letter line appended (what a crash
 * inside an append leaves), a restart and a second dead-lettered event.
 */
async function afterTornDeadLetter(first: string, second: string): Promise<{ rh: Roomhook; dataDir: string }> {
  const dataDir = join(tempDir("dlcrash"), "data");
  let rh = await startRoomhook({ dataDir, tomlText: toml(dataDir) });
  expect((await sendSigned(rh.base, enterBody(first))).status).toBe(200);
  await settled(rh);
  expect(await rh.stop()).toBe(0);
  const f = join(dataDir, "dead-letters", "strict.jsonl");
  const line = readFileSync(f, "utf8");
  appendFileSync(f, line.slice(0, line.indexOf(',"event":') + 40));
  rh = await startRoomhook({ dataDir, tomlText: toml(dataDir) });
  expect((await sendSigned(rh.base, enterBody(second))).status).toBe(200);
  await settled(rh);
  await Bun.sleep(100);
  return { rh, dataDir };
}

test("a torn dead-letter line left by a crash is cut at start-up; the next dead letter stays readable and listed", async () => {
  const { rh, dataDir } = await afterTornDeadLetter("dl-a", "dl-b");
  await expectReadableDeadLetters(rh, dataDir);
  expect(await rh.stop()).toBe(0);
});

test("kill -9 inside a multi-MiB dead-letter append, restart: every refused event is a readable, listed dead letter", async () => {
  let torn = false;
  let dataDir = "";
  for (let attempt = 0; attempt < 5 && !torn; attempt++) {
    dataDir = join(tempDir("dlcrash"), "data");
    const rh = await startRoomhook({ dataDir, tomlText: toml(dataDir) });
    const f = join(dataDir, "dead-letters", "strict.jsonl");
    const pad = "x".repeat(400_000);
    let stop = false;
    const senders = Array.from({ length: 16 }, async (_, s) => {
      for (let i = 0; !stop; i++) {
        try {
          await sendSigned(rh.base, enterBody(`dk-${attempt}-${s}-${i}`, { Pad: pad }));
        } catch {
          return;
        }
      }
    });
    // Kill while the file grows: the append is in progress.
    const grow = 2e6 + Math.random() * 6e6;
    const end = Date.now() + 15_000;
    while (!(existsSync(f) && statSync(f).size > grow) && Date.now() < end) await Bun.sleep(0);
    rh.proc.kill(9);
    stop = true;
    await rh.kill9();
    await Promise.all(senders);
    torn = scanDeadLetters(dataDir, "strict").tornTail > 0;
  }
  expect(torn).toBe(true); // the kill landed inside an append (it does nearly every time)

  const rh = await startRoomhook({ dataDir, tomlText: toml(dataDir) });
  await settled(rh);
  await Bun.sleep(100);
  await expectReadableDeadLetters(rh, dataDir);
  expect(await rh.stop()).toBe(0);
});

test("after a torn dead-letter line, a redelivery sends every event's journal line and nothing else", async () => {
  const { rh, dataDir } = await afterTornDeadLetter("dl-c", "dl-d");
  accepting = true;
  bodies.length = 0;
  try {
    const r = await fetch(`${adminOf(rh)}/v1/dead-letters/strict/redeliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(r.status).toBe(202);
    const end = Date.now() + 5000;
    while (bodies.length < 2 && Date.now() < end) await Bun.sleep(20);
    await Bun.sleep(200);
    const journal = new Set(scanJournal(dataDir).lines.map((l) => l.raw));
    // Today one of the bodies is the torn "event" glued to the next dead-letter line: not JSON.
    expect(bodies.filter((b) => !journal.has(b)).map((b) => b.slice(0, 120))).toEqual([]);
    expect(new Set(bodies)).toEqual(journal);
  } finally {
    accepting = false;
  }
  expect(await rh.stop()).toBe(0);
});
