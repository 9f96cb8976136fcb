// The running service, the one composition root of `roomhook serve`: it owns the journal, the
// quarantine, the callback listener, the fan-out, the admin listener, the retention task and the pid
// file. open() starts them in order (and closes what it opened when a step fails), reload(next) is
// the only way a new configuration reaches any of them, and stop() drains them in order.
//
// No component keeps its own copy of the configuration across a reload: each either reads the
// service's current one through `() => this.config` or is handed `next` in reload(). That is what
// keeps a rotated admin token from leaving an older one valid (docs/ARCHITECTURE.md).
import type { Logger } from "pino";
import { createAdminApp, type AdminApp } from "./admin/app.ts";
import { createApp, type RoomhookApp } from "./app.ts";
import type { Config } from "./config/schema.ts";
import { STOP_GRACE_MS } from "./delivery/fanout.ts";
import { FanoutHost } from "./delivery/fanout-host.ts";
import { Journal, journalDir, quarantineDir } from "./journal/journal.ts";
import { RetentionTask } from "./journal/retention-task.ts";
import { ensureDir } from "./journal/segments.ts";
import { SegmentWriter } from "./journal/writer.ts";
import type { RoomhookMetrics } from "./metrics/roomhook.ts";
import { parseListen, type ListenAddress } from "./net/address.ts";
import { CallbackListener } from "./ops/listener.ts";
import { IngestStatsRecorder } from "./stats/ingest-stats.ts";
import { statsReader } from "./stats/stats.ts";
import { dashboardRoutes } from "./ui/route.ts";
import { removePidFile, writePidFile } from "./ops/pidfile.ts";
import type { InheritedSocket } from "./ops/socket-activation.ts";
import { type RoomsBackend, retentionFloor } from "./rooms/backend.ts";
import { roomsMetrics } from "./rooms/metrics.ts";
import { ThreadedRooms } from "./rooms/threaded.ts";
import { roomsRoutes } from "./rooms/api.ts";
import { NatsMirror } from "./upstream/nats-mirror.ts";

/** How long SIGTERM waits for requests in flight; below systemd's TimeoutStopSec (15 s). */
export const DRAIN_TIMEOUT_MS = 10_000;

/** Settings that the running service cannot apply; a reload that changes them says so. */
const RESTART_ONLY = [
  ["server.listen", (c: Config) => c.server.listen],
  ["server.path", (c: Config) => c.server.path],
  ["data_dir", (c: Config) => c.data_dir],
  ["admin.listen", (c: Config) => c.admin.listen],
  ["upstream", (c: Config) => JSON.stringify(c.upstream ?? null)],
] as const;

/** A start-up step failed; `fields` go into the fatal log line. Nothing is left running. */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface ServiceDeps {
  logger: Logger;
  metrics: RoomhookMetrics;
  /** The listening socket systemd passed (socket activation); else server.listen is bound. */
  inherited?: InheritedSocket;
}

interface Stores {
  journal: Journal;
  quarantine: SegmentWriter;
}

export class RoomhookService {
  private fanout: FanoutHost | null = null;
  private admin: AdminApp | null = null;
  private listener: CallbackListener | null = null;
  private retention: RetentionTask | null = null;
  /** The room-state projection ([rooms] enabled), in its own thread. */
  private rooms: RoomsBackend | null = null;
  /** `[upstream]`: a hub mirrors a NATS stream into its journal (restart to change it). */
  private upstream: NatsMirror | null = null;
  private readonly app: RoomhookApp;
  /** The dashboard's per-second ingest series (GET /v1/stats). */
  private readonly ingestStats = new IngestStatsRecorder();

  private constructor(
    private config: Config,
    private readonly deps: ServiceDeps,
    private readonly stores: Stores,
  ) {
    const { journal, quarantine } = stores;
    const { onReport } = deps.metrics;
    const { record } = this.ingestStats;
    this.app = createApp(config, {
      journal,
      quarantine,
      logger: deps.logger,
      onReport: (r, ms) => {
        onReport(r, ms);
        record(r, ms);
      },
    });
  }

  /** Opens everything in order; on failure closes what was opened and throws a ServiceError. */
  static async open(config: Config, deps: ServiceDeps): Promise<RoomhookService> {
    // Commits are told to the fan-out, which starts after the journal has opened.
    let service: RoomhookService | null = null;
    const stores = openStores(config, deps, () => {
      service?.fanout?.committed(service.headSeq);
      service?.rooms?.nudge(service.headSeq);
    });
    service = new RoomhookService(config, deps, stores);
    service.rooms = service.openRooms();
    try {
      service.listener = service.openListener();
    } catch (e) {
      await service.rooms?.stop();
      await service.closeStores();
      const { inherited } = deps;
      if (inherited)
        throw new ServiceError(
          "cannot serve on the socket systemd passed (socket activation); not listening elsewhere",
          {
            err: (e as Error).message,
            fd: inherited.fd,
            fdName: inherited.name,
          },
        );
      throw new ServiceError("cannot listen", { err: (e as Error).message, listen: config.server.listen });
    }
    try {
      await service.startFanoutAndAdmin();
    } catch (e) {
      await service.listener.stop(0);
      await service.admin?.stop(true);
      await service.fanout?.stop(0);
      await service.rooms?.stop();
      await service.closeStores();
      throw new ServiceError("cannot start the fan-out or the admin listener", {
        err: (e as Error).message,
        admin: config.admin.listen,
      });
    }
    writePidFile(config.data_dir);
    if (config.upstream)
      service.upstream = new NatsMirror(config.upstream, { journal: stores.journal, logger: deps.logger }).start();
    service.retention = new RetentionTask({
      journalDir: journalDir(config.data_dir),
      minCursor: () => Math.min(service.fanout!.minCursor(), retentionFloor(service.rooms)),
      retentionHours: () => service.config.journal.retention_hours,
      logger: deps.logger,
    }).start();
    return service;
  }

  /** The projection's thread, following the journal from its snapshot; null when [rooms] is off. */
  private openRooms(): RoomsBackend | null {
    const { config, deps } = this;
    if (!config.rooms.enabled) return null;
    try {
      const rooms = new ThreadedRooms({
        dataDir: config.data_dir,
        retainDestroyedHours: config.rooms.retain_destroyed_hours,
        snapshotEveryMs: config.rooms.snapshot_every_s * 1000,
        headSeq: this.stores.journal.writer.headSeq,
        logger: deps.logger,
      });
      roomsMetrics(deps.metrics.registry, () => rooms.stats());
      return rooms;
    } catch (e) {
      // Room state is a view of the journal: without it the callbacks are still received and stored.
      deps.logger.error({ err: (e as Error).message }, "rooms: cannot start the projection; room state is off");
      return null;
    }
  }

  /** Binds server.listen, or adopts the inherited socket and says which one and where it is bound. */
  private openListener(): CallbackListener {
    const { config, deps } = this;
    const listener = new CallbackListener(
      config,
      { handleCallback: this.app.handleCallback, fetch: (request: Request) => this.app.app.handle(request) },
      deps.inherited,
    );
    const inherited = deps.inherited;
    if (!inherited) return listener;
    deps.logger.info(
      {
        fd: inherited.fd,
        fdName: inherited.name,
        fds: inherited.count,
        chosen: inherited.chosen,
        bound: listener.address,
        inner: listener.innerAddress,
      },
      "adopted the listening socket systemd passed (socket activation); server.listen is not bound",
    );
    const configured = parseListen(config.server.listen) as ListenAddress;
    if (configured.port !== 0 && configured.port !== listener.port)
      deps.logger.warn(
        { bound: listener.address, serverListen: config.server.listen },
        "the socket unit and server.listen disagree on the port; serving on the socket unit's",
      );
    return listener;
  }

  private async startFanoutAndAdmin(): Promise<void> {
    const { config, deps } = this;
    const { journal, quarantine } = this.stores;
    const jdir = journalDir(config.data_dir);
    const qdir = quarantineDir(config.data_dir);
    const headSeq = () => journal.writer.headSeq;
    const quarantineHead = () => quarantine.headSeq;
    // The thread starts while the admin listener opens; calls to it wait until it is up.
    const { host: fanout, ready } = FanoutHost.spawn({
      targets: config.targets,
      dataDir: config.data_dir,
      journalDir: jdir,
      logLevel: config.log.level,
      headSeq: headSeq(),
      logger: deps.logger,
      onCounts: (c) => deps.metrics.addDeliveryCounts(c),
    });
    this.fanout = fanout;
    deps.metrics.watch({
      journalDir: jdir,
      quarantineDir: qdir,
      headSeq,
      quarantineHeadSeq: quarantineHead,
      journalWritable: () => journal.writer.healthy,
      targets: () => fanout.statuses,
      deliveryRateCap: () => fanout.deliveryRateCap,
    });
    const adminListen = parseListen(config.admin.listen) as ListenAddress;
    const stats = statsReader({
      recorder: this.ingestStats,
      dataDir: config.data_dir,
      journalDir: jdir,
      quarantineDir: qdir,
      headSeq,
      quarantineHeadSeq: quarantineHead,
    });
    const admin = createAdminApp(() => this.config, {
      fanout,
      journalDir: jdir,
      headSeq,
      metrics: deps.metrics.registry,
      beforeScrape: () => fanout.list(),
      quarantine: { dir: qdir, headSeq: quarantineHead },
      rooms: this.rooms ? roomsRoutes(this.rooms, () => this.config.apps.map((a) => a.sdk_app_id)) : undefined,
    });
    admin.use(dashboardRoutes(stats)); // mounts in place, behind the admin app's token check
    this.admin = admin.listen({ hostname: adminListen.hostname, port: adminListen.port });
    await ready;
  }

  /** What the "roomhook listening" line reports. */
  describe(): Record<string, unknown> {
    const c = this.config;
    const admin = this.admin?.server;
    return {
      listen: this.listener?.address,
      path: c.server.path,
      tls: Boolean(c.server.tls_cert),
      dataDir: c.data_dir,
      durability: c.journal.durability,
      nextSeq: this.stores.journal.writer.headSeq + 1,
      apps: c.apps.length,
      admin: admin ? `${admin.hostname}:${admin.port}` : null,
      targets: c.targets.map((t) => t.name),
    };
  }

  /**
   * Applies a new configuration to every component, all or nothing for what can fail (TLS files are
   * read first); settings that need a restart are named in a warning and keep their running value.
   */
  reload(next: Config): void {
    const { logger } = this.deps;
    const later = RESTART_ONLY.filter(([, get]) => get(next) !== get(this.config)).map(([name]) => name);
    if (later.length) logger.warn({ settings: later }, "these settings take effect only after a restart");
    if (this.listener!.reload(next))
      logger.info({ tls: Boolean(next.server.tls_cert) }, "TLS material reloaded; the old listener is draining");
    this.app.ingest.update(next);
    logger.level = next.log.level;
    this.fanout!.reconcile(next.targets, next.log.level).catch((e: Error) =>
      logger.error({ err: e.message }, "fan-out: cannot apply the new targets"),
    );
    this.rooms?.setRetainDestroyedHours(next.rooms.retain_destroyed_hours);
    this.config = next;
    logger.info(
      { apps: next.apps.length, logLevel: next.log.level, targets: next.targets.map((t) => t.name) },
      "configuration reloaded",
    );
  }

  /**
   * Drains: /readyz answers 503, the listener stops taking connections and finishes what is in
   * flight (closing the rest after DRAIN_TIMEOUT_MS), deliveries get a moment and save their
   * cursors, then the journal and the quarantine are synced and closed.
   */
  async stop(): Promise<void> {
    const { logger } = this.deps;
    this.app.state.draining = true;
    this.retention?.stop();
    await this.upstream?.stop();
    const fanoutStopped = this.fanout?.stop(STOP_GRACE_MS);
    if ((await this.listener?.stop(DRAIN_TIMEOUT_MS)) === "timeout") {
      logger.warn({ afterMs: DRAIN_TIMEOUT_MS }, "drain deadline passed; closing the remaining connections");
    }
    await fanoutStopped;
    await this.admin?.stop(true);
    await this.rooms?.stop();
    await this.closeStores();
    removePidFile(this.config.data_dir);
  }

  get headSeq(): number {
    return this.stores.journal.writer.headSeq;
  }

  private async closeStores(): Promise<void> {
    await this.stores.journal.close();
    await this.stores.quarantine.close();
  }
}

/** The journal (with its dedupe window) and the quarantine, recovered and open for appends. */
function openStores(config: Config, deps: ServiceDeps, committed: () => void): Stores {
  const { logger, metrics } = deps;
  let journal: Journal | null = null;
  try {
    ensureDir(config.data_dir);
    const shared = { durability: config.journal.durability, segmentBytes: config.journal.segment_bytes };
    journal = new Journal({
      ...shared,
      dir: journalDir(config.data_dir),
      dedupeWindow: config.dedupe.window,
      onCommit: (c) => {
        metrics.journalCommitted(c);
        committed();
      },
      onCut: (c) => logger.warn(c, "journal: cut a torn tail left by a crash (never acknowledged)"),
      onError: (e) =>
        logger.error({ err: e.message, errno: e.code }, "journal: write failed; answering 503 until it recovers"),
      onRecovered: () => logger.info("journal: writable again"),
    });
    const quarantine = new SegmentWriter({
      ...shared,
      dir: quarantineDir(config.data_dir),
      onCut: (c) => logger.warn(c, "quarantine: cut a torn tail left by a crash"),
      onError: (e) => logger.error({ err: e.message, errno: e.code }, "quarantine: write failed"),
    }).open();
    return { journal, quarantine };
  } catch (e) {
    void journal?.close();
    throw new ServiceError("cannot open the journal", { err: (e as Error).message, dataDir: config.data_dir });
  }
}
