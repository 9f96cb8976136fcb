// `roomhook serve`: flags, the configuration, the process's signals. What runs is RoomhookService
// (src/service.ts); this file only starts it, hands it reloads and stops it.
import { ConfigError } from "../config/load.ts";
import { createLogger } from "../log.ts";
import { Registry } from "../metrics/registry.ts";
import { RoomhookMetrics } from "../metrics/roomhook.ts";
import { ActivationError, type InheritedSocket, parseListenFds, unsetListenEnv } from "../ops/socket-activation.ts";
import { RoomhookService, ServiceError } from "../service.ts";
import { VERSION } from "../version.ts";
import { commandFlags } from "./args.ts";
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, loadFromFlags } from "./config-flags.ts";

export const SERVE_HELP = `roomhook serve: receive Tencent Conference callbacks, journal them durably, acknowledge.

Usage: roomhook [serve] [--config FILE] [flags]

${CONFIG_FLAGS_HELP}

Signals: SIGTERM/SIGINT drain in-flight requests, sync the journal and exit 0;
SIGHUP re-reads the config file (apps, tokens, allowlist, log level, targets, admin token, TLS files).

Socket activation: when LISTEN_PID is this process and LISTEN_FDS >= 1 (systemd's roomhook.socket),
the callback endpoint serves on the passed socket (fd 3, or the one named "roomhook") instead of
binding server.listen; if that socket cannot be used, serve exits 1.`;

export async function serve(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const flags = commandFlags(argv, CONFIG_FLAGS, SERVE_HELP);
  if (!flags) return 0;
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
  const logger = createLogger(loaded.config.log.level);
  // The one registry of the process, shared by the ingest hooks, the fan-out and /metrics.
  const metrics = new RoomhookMetrics(new Registry(), { version: VERSION });
  let inherited: InheritedSocket | null;
  try {
    inherited = parseListenFds(env, process.pid);
  } catch (e) {
    if (!(e instanceof ActivationError)) throw e;
    logger.fatal({ err: e.message }, "cannot use the sockets systemd passed (socket activation)");
    return 1;
  } finally {
    // Read once, never inherited by a child (sd_listen_fds with unset_environment).
    unsetListenEnv(env);
    unsetListenEnv(process.env);
  }
  let service: RoomhookService;
  try {
    service = await RoomhookService.open(loaded.config, { logger, metrics, inherited: inherited ?? undefined });
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    logger.fatal(e.fields, e.message);
    return 1;
  }
  logger.info({ version: VERSION, ...service.describe(), configFile: loaded.path ?? null }, "roomhook listening");

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "draining: no new connections, finishing requests in flight");
      try {
        await service.stop();
        logger.info({ headSeq: service.headSeq }, "stopped cleanly");
        resolve(0);
      } catch (e) {
        logger.error({ err: (e as Error).message }, "error while stopping");
        resolve(1);
      }
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("SIGHUP", () => {
      if (stopping) return;
      try {
        service.reload(loadFromFlags(flags, env).config);
      } catch (e) {
        logger.error({ err: (e as Error).message }, "reload failed; keeping the running configuration");
      }
    });
  });
}
