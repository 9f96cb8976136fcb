// `roomhook serve`: open the journal, start the listener, and own the process's signals.
import type { Server } from "bun";
import { createApp } from "../app.ts";
import { readTls, retireListener, startListener, tlsFingerprint } from "../ops/listener.ts";
import { ConfigError } from "../config/load.ts";
import { Journal, journalDir, quarantineDir } from "../journal/journal.ts";
import { SegmentWriter } from "../journal/writer.ts";
import { ensureDir } from "../journal/segments.ts";
import { createLogger } from "../log.ts";
import { parseListen, type ListenAddress } from "../net/address.ts";
import { parseFlags, type Flags } from "./args.ts";
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, loadFromFlags } from "./config-flags.ts";
import { VERSION } from "../version.ts";
import { createAdminApp } from "../admin/app.ts";
import { Fanout } from "../delivery/fanout.ts";
import { applyRetention } from "../journal/retention.ts";
import { removePidFile, writePidFile } from "../ops/pidfile.ts";
import { Registry } from "../metrics/registry.ts";
import { RoomhookMetrics } from "../metrics/roomhook.ts";

const RETENTION_EVERY_MS = 60_000;

export const SERVE_HELP = `roomhook serve: receive Tencent Conference callbacks, journal them durably, acknowledge.

Usage: roomhook [serve] [--config FILE] [flags]

${CONFIG_FLAGS_HELP}

Signals: SIGTERM/SIGINT drain in-flight requests, sync the journal and exit 0;
SIGHUP re-reads the config file (apps, tokens, allowlist, log level, targets).`;

/** How long SIGTERM waits for requests in flight; below systemd's TimeoutStopSec. */
const DRAIN_TIMEOUT_MS = 10_000;

export async function serve(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { flags } = parseFlags(argv, { ...CONFIG_FLAGS, help: "boolean" }, { h: "help" });
  if (flags.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  let loaded: ReturnType<typeof loadFromFlags>;
  try {
    loaded = loadFromFlags(flags, env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`roomhook: ${e.message}`);
      return 1;
    }
    throw e;
  }
  let config = loaded.config;
  const logger = createLogger(config.log.level);
  // The one registry of the process, handed to the hooks below and to the admin app.
  const metrics = new RoomhookMetrics(new Registry(), { version: VERSION });
  const listen = parseListen(config.server.listen) as ListenAddress;

  ensureDir(config.data_dir);
  // The fan-out starts after the journal opens; until then a commit has nobody to tell.
  let onJournalCommit = (_records: number) => {};
  let journal: Journal;
  let quarantine: SegmentWriter;
  try {
    journal = new Journal({
      dir: journalDir(config.data_dir),
      durability: config.journal.durability,
      segmentBytes: config.journal.segment_bytes,
      dedupeWindow: config.dedupe.window,
      onCommit: (c) => {
        metrics.journalCommitted(c);
        onJournalCommit(c.records);
      },
      onCut: (c) => logger.warn(c, "journal: cut a torn tail left by a crash (never acknowledged)"),
      onError: (e) => logger.error({ err: e.message, errno: e.code }, "journal: write failed; answering 503 until it recovers"),
      onRecovered: () => logger.info("journal: writable again"),
    });
    quarantine = new SegmentWriter({
      dir: quarantineDir(config.data_dir),
      durability: config.journal.durability,
      segmentBytes: config.journal.segment_bytes,
      onCut: (c) => logger.warn(c, "quarantine: cut a torn tail left by a crash"),
      onError: (e) => logger.error({ err: e.message, errno: e.code }, "quarantine: write failed"),
    }).open();
  } catch (e) {
    logger.fatal({ err: (e as Error).message, dataDir: config.data_dir }, "cannot open the journal");
    return 1;
  }

  const { app, ingest, state, handleCallback } = createApp(config, { journal, quarantine, logger, onReport: metrics.onReport });
  const handlers = { handleCallback, fetch: (request: Request) => app.handle(request) };
  let tls = readTls(config);
  let server: Server<undefined>;
  const retiring = new Set<Server<undefined>>();
  try {
    server = startListener(config, listen.port, listen.hostname, tls, handlers);
  } catch (e) {
    logger.fatal({ err: (e as Error).message, listen: config.server.listen }, "cannot listen");
    await journal.close();
    return 1;
  }
  const headSeq = () => journal.writer.headSeq;
  const jdir = journalDir(config.data_dir);
  let fanout: Fanout;
  let admin: ReturnType<typeof createAdminApp>;
  try {
    fanout = new Fanout(config.targets, { dataDir: config.data_dir, journalDir: jdir, headSeq, logger, observer: metrics.delivery }).start();
    onJournalCommit = (records) => fanout.nudge(records);
    const adminListen = parseListen(config.admin.listen) as ListenAddress;
    const qdir = quarantineDir(config.data_dir);
    const quarantineHead = () => quarantine.headSeq;
    metrics.watch({
      journalDir: jdir,
      quarantineDir: qdir,
      headSeq,
      quarantineHeadSeq: quarantineHead,
      journalWritable: () => journal.writer.healthy,
      targets: () => fanout.list().map((w) => w.status()),
    });
    admin = createAdminApp(config, { fanout, journalDir: jdir, headSeq, metrics: metrics.registry, quarantine: { dir: qdir, headSeq: quarantineHead } }).listen({ hostname: adminListen.hostname, port: adminListen.port });
  } catch (e) {
    logger.fatal({ err: (e as Error).message, admin: config.admin.listen }, "cannot start the fan-out or the admin listener");
    await server.stop(true);
    await journal.close();
    return 1;
  }
  writePidFile(config.data_dir);
  const retention = () => {
    try {
      const gone = applyRetention(jdir, fanout.minCursor(), config.journal.retention_hours);
      if (gone.length) logger.info({ segments: gone.map((g) => g.path), upToSeq: gone.at(-1)!.lastSeq }, "journal retention: removed old segments");
    } catch (e) {
      logger.error({ err: (e as Error).message }, "journal retention failed");
    }
  };
  retention();
  const retentionTimer = setInterval(retention, RETENTION_EVERY_MS);
  logger.info(
    {
      version: VERSION,
      listen: `${server.hostname}:${server.port}`,
      path: config.server.path,
      tls: Boolean(config.server.tls_cert),
      dataDir: config.data_dir,
      durability: config.journal.durability,
      nextSeq: journal.writer.headSeq + 1,
      apps: config.apps.length,
      admin: `${admin.server!.hostname}:${admin.server!.port}`,
      targets: config.targets.map((t) => t.name),
      configFile: loaded.path ?? null,
    },
    "roomhook listening",
  );

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      state.draining = true;
      logger.info({ signal }, "draining: no new connections, finishing requests in flight");
      try {
        // Finish what is in flight, but never hang past the deadline (systemd's TimeoutStopSec is 15 s).
        clearInterval(retentionTimer);
        // Deliveries stop with the ingest: those in flight get a moment, then cursors are saved.
        const fanoutStopped = fanout.stop();
        // Listeners replaced by a TLS reload drain along with the current one.
        const graceful = Promise.all([server, ...retiring].map((s) => s.stop(false)));
        const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), DRAIN_TIMEOUT_MS).unref());
        if ((await Promise.race([graceful, deadline])) === "timeout") {
          logger.warn({ afterMs: DRAIN_TIMEOUT_MS }, "drain deadline passed; closing the remaining connections");
          await Promise.all([server, ...retiring].map((s) => s.stop(true)));
        }
        await fanoutStopped;
        await admin.stop(true);
        await journal.close();
        await quarantine.close();
        removePidFile(config.data_dir);
        logger.info({ headSeq: journal.writer.headSeq }, "stopped cleanly");
        resolve(0);
      } catch (e) {
        logger.error({ err: (e as Error).message }, "error while stopping");
        resolve(1);
      }
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("SIGHUP", () => {
      try {
        const next = loadFromFlags(flags as Flags, env).config;
        if (next.server.listen !== config.server.listen || next.server.path !== config.server.path || next.data_dir !== config.data_dir) {
          logger.warn("server.listen, server.path and data_dir take effect only after a restart");
        }
        // New TLS files: a fresh listener on the same port takes new connections, the old one drains.
        const nextTls = readTls(next);
        if (tlsFingerprint(nextTls) !== tlsFingerprint(tls)) {
          const fresh = startListener(config, server.port!, server.hostname!, nextTls, handlers);
          const old = server;
          server = fresh;
          tls = nextTls;
          retiring.add(old);
          void retireListener(old, config, handlers).then(() => retiring.delete(old));
          logger.info({ tls: Boolean(nextTls) }, "TLS material reloaded; the old listener is draining");
        }
        ingest.update(next);
        logger.level = next.log.level;
        config.admin.token = next.admin.token;
        void fanout.reconcile(next);
        config = next;
        logger.info({ apps: next.apps.length, logLevel: next.log.level, targets: next.targets.map((t) => t.name) }, "configuration reloaded");
      } catch (e) {
        logger.error({ err: (e as Error).message }, "reload failed; keeping the running configuration");
      }
    });
  });
}
