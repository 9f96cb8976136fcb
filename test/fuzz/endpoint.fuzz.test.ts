// Hostile input against the callback endpoint (issue 5, item 4): property-based fuzzing with
// fast-check, in process through app.handle with a real journal and quarantine in a temp dir.
//
// Seeded: FUZZ_SEED (default below) fixes every input; a failure prints the seed, fast-check's
// replay path and a corpus file written from the counterexample. FUZZ_RUNS raises the run count
// (default sized for CI, ~20 s in all); FUZZ_SHRINK=1 shrinks a counterexample before reporting.
//   FUZZ_RUNS=20000 bun test --timeout 30000 test/fuzz        # a long run
// The corpus (test/fuzz/corpus/*.json) is replayed on every run; each file says why it is there.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ErrorCodes } from "../../src/callback/ack.ts";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { computeSign } from "../../src/callback/sign.ts";
import { journalDir, quarantineDir } from "../../src/journal/journal.ts";
import { startApp } from "../support/app.ts";
import {
  ENTER,
  MAX_BODY,
  NOW_S,
  OPEN_APP,
  TOKEN,
  TOKEN_APP,
  WINDOW_S,
  contentType,
  corpusInput,
  declaredLength,
  fuzzConfigFile,
  loadCorpus,
  requests,
  saveFailure,
  sizedBody,
  toRequest,
  tooLarge,
  unauthenticated,
  type CorpusStep,
  type Filler,
  type FuzzInput,
  type Transfer,
} from "./inputs.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2026) | 0;
const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1000));
/** Run counts scale with FUZZ_RUNS (the mixed property's count); so do the test timeouts. */
const scaled = (base: number) => Math.max(1, Math.round((base * RUNS) / 1000));
const budget = (base: number, msPerRun = 40) => Math.max(30_000, scaled(base) * msPerRun);
const SHRINK = process.env.FUZZ_SHRINK === "1";

const OK_TEXT = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
const CODES = new Set<number>(Object.values(ErrorCodes));
const STORING_FAILURES = new Set<number>([
  ErrorCodes.COMMAND_MISMATCH,
  ErrorCodes.SCHEMA_VIOLATION,
  ErrorCodes.COMMAND_MISSING,
]);

// ---------------------------------------------------------------------------------------------
// The receiver and what it stored

type Harness = ReturnType<typeof startApp> & { maxBody: number; setClock(ms: number): void };
const open: Harness[] = [];

function harness(maxBody = MAX_BODY): Harness {
  let clock = NOW_S * 1000;
  const h = startApp({ file: fuzzConfigFile(maxBody), now: () => clock });
  const out = Object.assign(h, {
    maxBody,
    setClock: (ms: number) => {
      clock = ms;
    },
  });
  open.push(out);
  return out;
}

async function dispose(h: Harness): Promise<void> {
  const i = open.indexOf(h);
  if (i >= 0) open.splice(i, 1);
  await h.close();
  h.cleanup();
}

function segments(h: Harness): string[] {
  return [journalDir(h.dataDir), quarantineDir(h.dataDir)].flatMap((d) => {
    try {
      return readdirSync(d)
        .filter((n) => n.endsWith(".jsonl"))
        .map((n) => join(d, n));
    } catch {
      return [];
    }
  });
}

/** Bytes in every journal and quarantine segment: unchanged means nothing was stored. */
const diskBytes = (h: Harness) => segments(h).reduce((n, f) => n + statSync(f).size, 0);

/** Lines in every journal and quarantine segment, counted in the files themselves. */
function diskLines(h: Harness): { journal: number; quarantine: number } {
  const count = (dir: string) =>
    segments(h)
      .filter((f) => f.startsWith(dir))
      .reduce((n, f) => n + (readFileSync(f).toString("latin1").match(/\n/g)?.length ?? 0), 0);
  return { journal: count(journalDir(h.dataDir)), quarantine: count(quarantineDir(h.dataDir)) };
}

const heads = (h: Harness) => ({
  journal: h.journal.writer.headSeq,
  quarantine: h.quarantine.headSeq,
  bytes: diskBytes(h),
});

// ---------------------------------------------------------------------------------------------
// One request and every invariant it must keep

class Violation extends Error {}
function must(ok: unknown, what: string, i: FuzzInput, got?: unknown): asserts ok {
  if (!ok)
    throw new Violation(
      `${what}${got === undefined ? "" : `; got ${typeof got === "string" ? got : JSON.stringify(got)}`}\n  input: ${String((i as unknown as Record<symbol, () => string>)[fc.toStringMethod]?.() ?? i.family)}`,
    );
}

/** Answers by status/code, per property: printed so a run shows what it exercised. */
let tally = new Map<string, number>();
function printTally(name: string): void {
  const parts = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}:${n}`);
  console.log(
    `fuzz ${name}: ${[...tally.values()].reduce((a, b) => a + b, 0)} requests; status/code ${parts.join(" ")}`,
  );
  tally = new Map();
}

interface Sent {
  status: number;
  code: number;
  text: string;
  stored: "none" | "journal" | "duplicate" | "quarantine";
}

/** Checks the answer has Tencent's body shape, consistent with its HTTP status, and no secret. */
function checkShape(i: FuzzInput, res: Response, text: string): number {
  must(
    (res.headers.get("content-type") ?? "").startsWith("application/json"),
    "content-type is not JSON",
    i,
    res.headers.get("content-type"),
  );
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return must(false, "answer is not JSON", i, text.slice(0, 200)) as never;
  }
  must(
    Object.keys(v).sort().join() === "ActionStatus,ErrorCode,ErrorInfo",
    "answer keys are not exactly ActionStatus, ErrorInfo, ErrorCode",
    i,
    text.slice(0, 200),
  );
  must(!text.includes(TOKEN), "the token is echoed in the answer", i);
  if (res.status === 200) {
    must(text === OK_TEXT, "200 without the OK body", i, text);
    return 0;
  }
  const code = v.ErrorCode as number;
  must(v.ActionStatus === "FAIL", "a failure without ActionStatus FAIL", i, text);
  must(Number.isInteger(code) && code !== 0 && CODES.has(code), "ErrorCode is not a documented non-zero code", i, text);
  must(
    Math.floor(code / 100) === res.status,
    "ErrorCode does not belong to the HTTP status",
    i,
    `${res.status} ${text}`,
  );
  must(
    typeof v.ErrorInfo === "string" && v.ErrorInfo.length > 0 && v.ErrorInfo.length < 2000,
    "ErrorInfo is not plain, short words",
    i,
    text.slice(0, 300),
  );
  return code;
}

/** Sends one input and checks every property that holds for any request. */
async function send(h: Harness, i: FuzzInput, clockS = NOW_S): Promise<Sent> {
  h.setClock(clockS * 1000 + i.clockMs);
  h.logs.length = 0;
  const before = heads(h);
  let res: Response;
  try {
    res = await h.app.handle(toRequest(i));
  } catch (e) {
    return must(false, "app.handle threw", i, String(e)) as never;
  }
  const text = await res.text();
  must(
    res.status < 500,
    "5xx for a request (the disk is fine, so it is bad input or a bug)",
    i,
    `${res.status} ${text}`,
  );
  const code = checkShape(i, res, text);
  const after = heads(h);
  const dj = after.journal - before.journal;
  const dq = after.quarantine - before.quarantine;

  // Storage follows the answer: 200 journals once (or is a duplicate), the three "authenticated but
  // invalid" failures quarantine once, every other refusal stores nothing, not even a byte.
  let stored: Sent["stored"];
  if (res.status === 200) {
    must(dq === 0 && (dj === 0 || dj === 1), "a 200 stored something other than one journal line", i, { dj, dq });
    stored = dj === 1 ? "journal" : "duplicate";
  } else if (STORING_FAILURES.has(code)) {
    must(dj === 0 && dq === 1, `${code} did not quarantine exactly one line`, i, { dj, dq });
    stored = "quarantine";
  } else {
    must(dj === 0 && dq === 0 && after.bytes === before.bytes, `${res.status}/${code} stored something`, i, {
      dj,
      dq,
      bytes: after.bytes - before.bytes,
    });
    stored = "none";
  }

  // Who decides: the size first, then authentication; an authenticated request is never refused as
  // unauthenticated, and an unauthenticated one never gets past 401/403.
  const declared = declaredLength(i);
  if (declared !== undefined && declared > h.maxBody)
    must(
      res.status === 413 && code === ErrorCodes.BODY_TOO_LARGE,
      "a declared length over max_body_bytes did not get 413",
      i,
      `${res.status} ${text}`,
    );
  else if (i.body.length > h.maxBody) {
    // A body longer than its Content-Length happens only in process (over HTTP/1.1 the body is
    // exactly Content-Length bytes): an unauthenticated one may be refused unread, on its query.
    const unread = i.auth === "no" && declared !== undefined && (res.status === 401 || res.status === 403);
    must(
      unread || (res.status === 413 && code === ErrorCodes.BODY_TOO_LARGE),
      "a body over max_body_bytes did not get 413",
      i,
      `${res.status} ${text}`,
    );
  } else if (i.auth === "no") {
    must(
      res.status === 401 || res.status === 403,
      "an unauthenticated request got past the checks",
      i,
      `${res.status} ${text}`,
    );
    if (i.authStatus) must(res.status === i.authStatus, `expected ${i.authStatus}`, i, `${res.status} ${text}`);
  } else {
    must(
      res.status !== 401 && res.status !== 403 && res.status !== 413,
      "an authenticated request was refused as unauthenticated",
      i,
      `${res.status} ${text}`,
    );
    if (i.expectStatus !== undefined)
      must(res.status === i.expectStatus, `expected ${i.expectStatus}`, i, `${res.status} ${text}`);
  }

  // Logs: one line per refusal, never the token, never an unhandled error.
  const logText = JSON.stringify(h.logs);
  must(!logText.includes(TOKEN), "the token is in a log line", i);
  must(!h.logs.some((l) => l.msg === "unhandled error"), "an unhandled error was logged", i, logText.slice(0, 500));
  if (res.status !== 200) {
    const lines = h.logs.filter((l) => l.status === res.status && l.code === code && typeof l.reason === "string");
    must(lines.length === 1, "a refusal without exactly one log line", i, lines.length);
  }
  h.logs.length = 0;
  const key = `${res.status}/${code}${stored === "duplicate" ? "(dup)" : ""}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
  return { status: res.status, code, text, stored };
}

/** Runs a property; on failure throws with the seed, fast-check's report and a saved corpus file. */
async function check<T>(
  name: string,
  seed: number,
  numRuns: number,
  arb: fc.Arbitrary<T>,
  run: (v: T) => Promise<void>,
  maxBody = MAX_BODY,
) {
  tally = new Map();
  const details = await fc.check(fc.asyncProperty(arb, run), { seed, numRuns, endOnFailure: !SHRINK });
  printTally(name);
  if (details.failed) {
    const ce = details.counterexample?.[0] as unknown;
    const saved =
      ce && typeof ce === "object" && "query" in ce && "body" in ce
        ? saveFailure(name, seed, ce as FuzzInput, maxBody, String(details.errorInstance))
        : null;
    throw new Error(
      `${String(details.errorInstance).split("\n  input:")[0]}\n\n${fc.defaultReportMessage(details)}\n\n` +
        `Reproduce: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} bun test --timeout 30000 test/fuzz  (this property: seed ${seed}, path "${details.counterexamplePath}"; FUZZ_SHRINK=1 to shrink)\n` +
        (saved ? `Counterexample saved as ${saved}: copy it into test/fuzz/corpus/ to replay it on every run.\n` : ""),
    );
  }
  return details;
}

// ---------------------------------------------------------------------------------------------

const stray: unknown[] = [];
const onStray = (e: unknown) => void stray.push(e);

beforeAll(() => {
  console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}${SHRINK ? " FUZZ_SHRINK=1" : ""}`);
  process.on("unhandledRejection", onStray);
  process.on("uncaughtException", onStray);
});

afterAll(async () => {
  process.off("unhandledRejection", onStray);
  process.off("uncaughtException", onStray);
  for (const h of [...open]) await dispose(h);
  expect(stray.map(String)).toEqual([]);
});

describe("saved corpus (test/fuzz/corpus/*.json, replayed on every run)", () => {
  const corpus = loadCorpus();
  test("the corpus is there", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });
  for (const { name, file } of corpus) {
    test(`${name}: ${file.about}`, async () => {
      const h = harness(file.max_body_bytes ?? MAX_BODY);
      try {
        for (const [n, step] of file.steps.entries()) {
          const input = corpusInput(step, `${name}#${n}`);
          const r = await send(h, input, step.now ?? NOW_S);
          const want: CorpusStep["expect"] = step.expect ?? {};
          const got = { status: r.status, code: r.code, stored: r.stored };
          expect({ step: n, ...got }).toEqual({
            step: n,
            status: want.status ?? got.status,
            code: want.code ?? got.code,
            stored: want.stored ?? got.stored,
          });
        }
        const lines = diskLines(h);
        expect(lines).toEqual({ journal: h.journal.writer.headSeq, quarantine: h.quarantine.headSeq });
      } finally {
        await dispose(h);
      }
    });
  }
});

describe("properties", () => {
  test(
    "unauthenticated requests (no or unknown SdkAppid, missing, malformed, stale or wrong Sign) never reach the journal or the quarantine",
    async () => {
      const h = harness();
      try {
        await check("unauthenticated", SEED + 1, scaled(1500), unauthenticated(), async (i) => {
          const before = diskLines(h);
          const r = await send(h, i);
          must(r.stored === "none", "stored", i, r);
          const after = diskLines(h);
          must(
            after.journal === before.journal && after.quarantine === before.quarantine,
            "lines were added to the journal or the quarantine",
            i,
            { before, after },
          );
        });
        expect(diskLines(h)).toEqual({ journal: 0, quarantine: 0 });
      } finally {
        await dispose(h);
      }
    },
    budget(1500),
  );

  test(
    "any request: no exception, no 5xx, Tencent's answer shape, one log line per refusal, storage exactly as the answer says",
    async () => {
      const h = harness();
      let accepted = 0;
      try {
        await check("mixed", SEED + 2, scaled(2500), requests(), async (i) => {
          const r = await send(h, i);
          if (r.stored === "journal") accepted++;
        });
        // The files agree with the writers' counts: nothing was written behind their back.
        expect(diskLines(h)).toEqual({ journal: h.journal.writer.headSeq, quarantine: h.quarantine.headSeq });
        expect(accepted).toBeGreaterThan(scaled(2500) / 20); // the generator does reach the journal
      } finally {
        await dispose(h);
      }
    },
    budget(2500),
  );

  test(
    "the answer does not depend on the Content-Type header (the body is read as JSON whatever it says)",
    async () => {
      const h = harness();
      try {
        const arb = fc.tuple(
          requests().filter((i) => i.body.length <= 16 * 1024),
          contentType,
        );
        await check("content-type", SEED + 3, scaled(600), arb, async ([i, ct]) => {
          const a = await send(h, i);
          const other: FuzzInput = {
            ...i,
            headers: [
              ...i.headers.filter(([k]) => k !== "content-type"),
              ...(ct === null ? [] : ([["content-type", ct]] as [string, string][])),
            ],
          };
          const b = await send(h, other);
          must(a.status === b.status && a.code === b.code, `content-type ${JSON.stringify(ct)} changed the answer`, i, {
            first: a,
            second: b,
          });
        });
      } finally {
        await dispose(h);
      }
    },
    budget(1200),
  );

  test(
    "clock skew: RequestTime within ±sign_window_s of the receiver's clock is accepted, one second beyond is refused (401 40103), at any millisecond",
    async () => {
      const h = harness();
      let n = 0;
      try {
        const arb = fc.record({
          d: fc.oneof(
            fc.integer({ min: -WINDOW_S - 3, max: WINDOW_S + 3 }),
            fc.constantFrom(-WINDOW_S - 1, -WINDOW_S, WINDOW_S, WINDOW_S + 1),
            fc.integer({ min: -1e7, max: 1e7 }),
          ),
          ms: fc.integer({ min: 0, max: 999 }),
          app: fc.constantFrom(TOKEN_APP, TOKEN_APP, OPEN_APP),
        });
        await check("clock-skew", SEED + 4, scaled(400), arb, async ({ d, ms, app }) => {
          const rt = NOW_S + d;
          const body = EXAMPLES[ENTER].replace(/"EventTime":\d+/, `"EventTime":${1_700_000_000_000 + ++n}`);
          const input: FuzzInput = {
            family: `skew(${d}s,${ms}ms,${app})`,
            method: "POST",
            query: `SdkAppid=${app}&CallbackCommand=${ENTER}&Sign=${computeSign(TOKEN, rt)}&RequestTime=${rt}`,
            headers: [["content-type", "application/json"]],
            body: new TextEncoder().encode(body),
            transfer: "length",
            clockMs: ms,
            auth: app === OPEN_APP || Math.abs(d) <= WINDOW_S ? "ok" : "no",
            authStatus: app === OPEN_APP || Math.abs(d) <= WINDOW_S ? undefined : 401,
          };
          const r = await send(h, input);
          if (input.auth === "ok")
            must(
              r.status === 200 && r.stored === "journal",
              "inside the window (or no token) but not journaled",
              input,
              r,
            );
          else must(r.code === ErrorCodes.REQUEST_TIME_STALE, "outside the window but not 40103", input, r);
        });
      } finally {
        await dispose(h);
      }
    },
    budget(400),
  );

  test(
    "a captured Sign is a credential for the whole window: replayed with another body or command it is accepted, the same body is stored once, after the window it is refused",
    async () => {
      // Tencent's Sign is sha256(token + RequestTime): it covers neither the body, the command nor the
      // SdkAppid (reference §1.5). This property documents what that means; SECURITY.md explains it.
      const h = harness();
      let k = 0;
      try {
        const arb = fc.record({
          first: fc.constantFrom(...(Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[])),
          forged: fc.constantFrom(...(Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[])),
          skew: fc.integer({ min: -WINDOW_S, max: WINDOW_S }),
          later: fc.integer({ min: 0, max: 2 * WINDOW_S }),
          room: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        });
        await check("replayed-sign", SEED + 5, scaled(150), arb, async ({ first, forged, skew, later, room }) => {
          const base = NOW_S + 10_000 * ++k; // each run on its own stretch of the clock
          const rt = base + skew;
          const q = (cmd: string) =>
            `SdkAppid=${TOKEN_APP}&CallbackCommand=${cmd}&Sign=${computeSign(TOKEN, rt)}&RequestTime=${rt}`;
          const mk = (family: string, cmd: string, body: string, auth: "ok" | "no" = "ok"): FuzzInput => ({
            family,
            method: "POST",
            query: q(cmd),
            headers: [],
            body: new TextEncoder().encode(body),
            transfer: "length",
            clockMs: 0,
            auth,
          });
          const original = EXAMPLES[first].replace(/"EventTime":\d+/, `"EventTime":${base}001`);
          const other = EXAMPLES[forged]
            .replace(/"EventTime":\d+/, `"EventTime":${base}002`)
            .replace(/"RoomId":"[^"]*"/, `"RoomId":"forged-${room}"`);
          const a = await send(h, mk("original", first, original), base);
          must(
            a.status === 200 && a.stored === "journal",
            "the original was not journaled",
            mk("original", first, original),
            a,
          );

          const at = base + later;
          const inside = Math.abs(at - rt) <= WINDOW_S;
          const same = await send(h, mk("replay-same", first, original, inside ? "ok" : "no"), at);
          if (inside)
            must(
              same.status === 200 && same.stored === "duplicate",
              "a replay of the same body was stored again",
              mk("replay-same", first, original),
              same,
            );
          else
            must(
              same.code === ErrorCodes.REQUEST_TIME_STALE,
              "a replay after the window was not refused as stale",
              mk("replay-same", first, original),
              same,
            );

          const forgedInput = mk("replay-forged", forged, other, inside ? "ok" : "no");
          const f = await send(h, forgedInput, at);
          if (inside) {
            must(
              f.status === 200 && f.stored === "journal",
              "expected the forged body to be accepted (the Sign does not cover it)",
              forgedInput,
              f,
            );
            must(
              readFileSync(segments(h).find((s) => s.includes("journal"))!, "utf8").includes(`"forged-${room}"`),
              "the forged body is not in the journal",
              forgedInput,
            );
          } else
            must(
              f.code === ErrorCodes.REQUEST_TIME_STALE && f.stored === "none",
              "a forged replay after the window was not refused",
              forgedInput,
              f,
            );
        });
      } finally {
        await dispose(h);
      }
    },
    budget(150),
  );

  test(
    "bodies around the default max_body_bytes (1 MiB), with a true, a lying or no Content-Length: 413 exactly when over, whatever the SdkAppid",
    async () => {
      const MiB = 1024 * 1024;
      const h = harness(MiB);
      try {
        const arb = fc.record({
          size: fc.oneof(
            fc.constantFrom(MiB - 1, MiB, MiB + 1, MiB + 4096, 2 * MiB, 8 * MiB + 1),
            fc.integer({ min: MiB - 64, max: MiB + 64 }),
          ),
          filler: fc.constantFrom<Filler>("string", "array-numbers", "many-keys", "escapes"),
          transfer: fc.constantFrom<Transfer>("length", "none", "stream", "lie"),
          lie: fc.constantFrom(0, 100, MiB, MiB + 1),
          app: fc.constantFrom("token", "unknown"),
          uniq: fc.nat(),
        });
        await check(
          "max-body-1MiB",
          SEED + 6,
          scaled(60),
          arb,
          async ({ size, filler, transfer, lie, app, uniq }) => {
            const b = sizedBody(size, filler, false, uniq);
            const rt = NOW_S;
            const input: FuzzInput = {
              family: b.family,
              method: "POST",
              query:
                app === "token"
                  ? `SdkAppid=${TOKEN_APP}&CallbackCommand=${ENTER}&Sign=${computeSign(TOKEN, rt)}&RequestTime=${rt}`
                  : `SdkAppid=1&CallbackCommand=${ENTER}`,
              headers: [["content-type", "application/json"]],
              body: b.bytes,
              transfer,
              lieLength: lie,
              chunk: 65_536,
              clockMs: 0,
              auth: app === "token" ? "ok" : "no",
              authStatus: app === "token" ? undefined : 403,
              expectStatus: 200,
            };
            must(b.bytes.length === size, "the generator missed the size", input, b.bytes.length);
            const r = await send(h, input);
            if (!tooLarge(input, MiB) && app === "token")
              must(r.status === 200, "a body within the limit was not accepted", input, r);
          },
          MiB,
        );
      } finally {
        await dispose(h);
      }
    },
    budget(60, 400),
  );

  test(
    "memory stays bounded: heap growth under 100 MB after thousands of hostile inputs",
    async () => {
      const h = harness();
      const total = scaled(6000);
      const CHUNK = 250;
      let done = 0;
      const runChunk = async (k: number, n: number) => {
        for (const i of fc.sample(requests(), { seed: SEED + 100 + k, numRuns: n })) await send(h, i);
        done += n;
      };
      try {
        await runChunk(0, 300); // warm-up: JIT, compiled validators, the dedupe table's first pages
        Bun.gc(true);
        const m0 = process.memoryUsage();
        for (let k = 1; done < total + 300; k++) await runChunk(k, Math.min(CHUNK, total + 300 - done));
        Bun.gc(true);
        Bun.gc(true);
        const m1 = process.memoryUsage();
        const mb = (n: number) => Math.round(n / 1e5) / 10;
        printTally("memory");
        console.log(
          `fuzz memory after ${total} inputs: heapUsed ${mb(m0.heapUsed)} -> ${mb(m1.heapUsed)} MB, rss ${mb(m0.rss)} -> ${mb(m1.rss)} MB, journal ${h.journal.writer.headSeq} lines, quarantine ${h.quarantine.headSeq}`,
        );
        expect(m1.heapUsed - m0.heapUsed).toBeLessThan(100e6);
        expect(m1.rss - m0.rss).toBeLessThan(400e6);
      } finally {
        await dispose(h);
      }
    },
    budget(6000, 15),
  );

  // Found by this suite: README's table says "any method but POST on the callback path: 405 40501",
  // but OPTIONS, TRACE, PROPFIND, QUERY and other methods fell through to the catch-all and got a
  // bare `404 not found` (text/plain), in process and in dist/roomhook alike. Fixed in 8dbd808.
  test("every method but POST on the callback path gets 405 with a Tencent body (OPTIONS, TRACE, PROPFIND, QUERY too)", async () => {
    const h = harness();
    try {
      for (const method of ["OPTIONS", "TRACE", "PROPFIND", "QUERY"]) {
        const res = await h.app.handle(
          new Request(`http://localhost/callback?SdkAppid=${OPEN_APP}&CallbackCommand=${ENTER}`, { method }),
        );
        expect({ method, status: res.status, text: await res.text() }).toEqual({
          method,
          status: 405,
          text: JSON.stringify({ ActionStatus: "FAIL", ErrorInfo: "use POST for callbacks", ErrorCode: 40501 }),
        });
      }
    } finally {
      await dispose(h);
    }
  });
});
