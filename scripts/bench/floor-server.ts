// Optional target of scripts/bench/ingest (ONLY=...,floor): the least a durable acknowledgement can
// cost on Bun. It does only what no callback receiver can skip: read the body, JSON.parse it, append
// it to a file with group commit (one write and one fdatasync per batch, two syncs overlapping, as
// roomhook does) and answer after the fdatasync. No query, no auth, no schema, no id, no dedupe, no
// envelope, no metrics. roomhook/floor says how much of the gap to the constant server is ours.
//
//   bun scripts/bench/floor-server.ts PORT DATA_DIR [MAX_LIFETIME_S]
//
// Listens on 127.0.0.1 only. Exits 0 on SIGTERM/SIGINT (after the last sync), and by itself after
// MAX_LIFETIME_S seconds (default 900).
import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

const port = Number(process.argv[2]);
const dir = process.argv[3];
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !dir) {
  console.error("usage: floor-server.ts PORT DATA_DIR [MAX_LIFETIME_S]");
  process.exit(2);
}
const maxLifetimeS = Number(process.argv[4] ?? 900);
mkdirSync(dir, { recursive: true });
const fd = openSync(join(dir, "floor.jsonl"), "a", 0o600);

const ACK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
const BAD = new Headers({ "content-type": "text/plain" });

let pending: { line: string; resolve: () => void }[] = [];
let scheduled = false;
let inFlight = 0;

function flush(): void {
  scheduled = false;
  if (pending.length === 0 || inFlight >= 2) return;
  const batch = pending;
  pending = [];
  let text = "";
  for (const p of batch) text += p.line;
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  inFlight++;
  fdatasync(fd, (err) => {
    if (err) throw err; // a benchmark on a failing disk is meaningless: stop loudly
    inFlight--;
    for (const p of batch) p.resolve();
    flush();
  });
  if (pending.length > 0 && !scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function append(line: string): Promise<void> {
  return new Promise((resolve) => {
    pending.push({ line, resolve });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  development: false,
  async fetch(req) {
    if (req.method !== "POST") return new Response(ACK, { headers });
    const text = await req.text();
    try {
      JSON.parse(text);
    } catch {
      return new Response("bad json\n", { status: 400, headers: BAD });
    }
    await append(`${text.replace(/[\r\n]/g, " ")}\n`);
    return new Response(ACK, { headers });
  },
});

console.log(`floor-server listening on http://127.0.0.1:${server.port} pid=${process.pid}`);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await server.stop(false);
  while (pending.length > 0 || inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  fdatasyncSync(fd);
  closeSync(fd);
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
if (Number.isFinite(maxLifetimeS) && maxLifetimeS > 0) {
  setTimeout(() => {
    console.error(`floor-server: max lifetime ${maxLifetimeS}s reached, exiting`);
    void stop(0);
  }, maxLifetimeS * 1000).unref();
}
