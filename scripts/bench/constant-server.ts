// Same-run baseline for scripts/bench/ingest: the cheapest possible HTTP answer.
// Answers every request (any method, any path, including /healthz) with the
// Tencent ack body, without reading or parsing the request body.
//
//   bun scripts/bench/constant-server.ts PORT [MAX_LIFETIME_S]
//
// Listens on 127.0.0.1 only. Exits 0 on SIGTERM/SIGINT, and by itself after
// MAX_LIFETIME_S seconds (default 900) so a crashed bench run cannot leave it behind.

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: constant-server.ts PORT [MAX_LIFETIME_S]");
  process.exit(2);
}
const maxLifetimeS = Number(process.argv[3] ?? 900);

const ACK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';
const headers = { "content-type": "application/json" };

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  development: false,
  fetch() {
    return new Response(ACK, { headers });
  },
});

console.log(`constant-server listening on http://127.0.0.1:${server.port} pid=${process.pid}`);

let stopping = false;
function stop(code: number) {
  if (stopping) return;
  stopping = true;
  server.stop(true);
  process.exit(code);
}
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
if (Number.isFinite(maxLifetimeS) && maxLifetimeS > 0) {
  setTimeout(() => {
    console.error(`constant-server: max lifetime ${maxLifetimeS}s reached, exiting`);
    stop(0);
  }, maxLifetimeS * 1000);
}
