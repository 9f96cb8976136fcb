#!/usr/bin/env bun
// The callback handler's own cost per request, this working tree against a git revision, measured in
// ONE process with paired rounds (base, current, base, current, ...). Separate server runs on this
// VM drift by up to 30% within seconds, which hides sub-microsecond changes; paired in-process rounds
// do not. No HTTP: createApp's handleCallback is driven with prebuilt Requests (not timed), 64 at
// a time, against a real journal in durability = "write" under a temp dir.
//
//   bun scripts/bench/handler.ts [--base REV] [--rounds N] [--requests N]
//
// --base defaults to HEAD (so it compares uncommitted changes). Prints the medians and the median of
// the per-round ratios current/base. Resolution: two identical trees measure 0.96-1.01 with 21
// rounds, so only changes beyond ~5% show. No network; bounded: rounds x requests x 2 handler calls.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const BASE = arg("base", "HEAD");
const ROUNDS = Number(arg("rounds", "15"));
const REQUESTS = Number(arg("requests", "30000"));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !Number.isInteger(REQUESTS) || REQUESTS < 64) {
  console.error("usage: bun scripts/bench/handler.ts [--base REV] [--rounds N>=1] [--requests N>=64]");
  process.exit(2);
}

const repo = join(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "roomhook-bench-handler-"));
type Handler = (r: Request, server: null) => Promise<Response>;

async function handlerFrom(srcRoot: string, tag: string): Promise<Handler> {
  const { createApp } = await import(join(srcRoot, "app.ts"));
  const { Journal } = await import(join(srcRoot, "journal/journal.ts"));
  const { SegmentWriter } = await import(join(srcRoot, "journal/writer.ts"));
  const dir = join(work, `data-${tag}`);
  const journal = new Journal({
    dir: join(dir, "journal"),
    durability: "write",
    segmentBytes: 1 << 30,
    dedupeWindow: 100_000,
  });
  const quarantine = new SegmentWriter({
    dir: join(dir, "quarantine"),
    durability: "write",
    segmentBytes: 1 << 30,
  }).open();
  // The config fields the pipeline reads; the loader's defaults for everything else do not matter here.
  const config = {
    server: { path: "/callback", allow_from: [], trust_proxy: false, max_body_bytes: 1 << 20 },
    apps: [{ sdk_app_id: 1400000000, sign_window_s: 300 }],
  };
  return createApp(config, { journal, quarantine, logger: pino({ level: "silent" }) }).handleCallback as Handler;
}

const URL_ =
  "http://127.0.0.1:1/callback?SdkAppid=1400000000&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web";
let n = 0;
function request(): Request {
  n++;
  const body = `{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"bench-${n}","RoomId":"rid-${n % 16}","MemberCount":${(n % 50) + 1},"Type":"Enter","MemberList_Account":["bench-${n}"],"EventTime":${1764100000000 + n}}`;
  return new Request(URL_, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "content-length": String(body.length) },
  });
}

/** Microseconds per request with 64 in flight; every answer must be the 200 ack. */
async function round(h: Handler): Promise<number> {
  const reqs = Array.from({ length: REQUESTS }, request);
  let i = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (i < reqs.length) {
        const res = await h(reqs[i++]!, null);
        if (res.status !== 200) throw new Error(`answer ${res.status}: ${await res.text()}`);
      }
    }),
  );
  return ((performance.now() - t) / REQUESTS) * 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

try {
  const baseDir = join(work, "base");
  execFileSync("mkdir", ["-p", baseDir]);
  execFileSync("sh", ["-c", `git -C "${repo}" archive "${BASE}" src | tar -x -C "${baseDir}"`]);
  symlinkSync(join(repo, "node_modules"), join(baseDir, "node_modules"));
  // The working tree is copied too, so both sides load the same way (a side loaded from the repo
  // itself measured ~7% faster than an identical copy).
  const currentDir = join(work, "current");
  execFileSync("mkdir", ["-p", currentDir]);
  execFileSync("cp", ["-r", join(repo, "src"), currentDir]);
  symlinkSync(join(repo, "node_modules"), join(currentDir, "node_modules"));
  const current = await handlerFrom(join(currentDir, "src"), "current");
  const base = await handlerFrom(join(baseDir, "src"), "base");
  await round(base); // warm-up: JIT tiers, first-use schema compilation
  await round(current);
  const b: number[] = [];
  const c: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first: the second run of a pair pays the first one's garbage.
    if (r % 2 === 0) {
      b.push(await round(base));
      c.push(await round(current));
    } else {
      c.push(await round(current));
      b.push(await round(base));
    }
    ratios.push(c.at(-1)! / b.at(-1)!);
  }
  const rev = execFileSync("git", ["-C", repo, "rev-parse", "--short", BASE]).toString().trim();
  console.log(`base ${BASE} (${rev}): median ${median(b).toFixed(2)} us/request`);
  console.log(`current tree:    median ${median(c).toFixed(2)} us/request`);
  console.log(
    `current/base: ${median(ratios).toFixed(3)} (median of ${ROUNDS} paired rounds of ${REQUESTS}; range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
