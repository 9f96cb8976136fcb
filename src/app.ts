// createApp: the one composition of the HTTP service, shared by main and the tests.
import { Elysia } from "elysia";
import type { Logger } from "pino";
import type { Config } from "./config/schema.ts";
import type { Journal } from "./journal/journal.ts";
import type { SegmentWriter } from "./journal/writer.ts";
import { CallbackIngest, type IngestReport } from "./callback/ingest.ts";
import { callbackHandler, callbackRoutes, methodNotAllowed } from "./callback/route.ts";
import { healthRoutes } from "./ops/health.ts";
import { ackResponse, ErrorCodes, fail } from "./callback/ack.ts";

export interface AppDeps {
  journal: Journal;
  quarantine: SegmentWriter;
  logger: Logger;
  /** Milliseconds since the epoch; tests move the clock to exercise the Sign window. */
  now?: () => number;
  onReport?: (r: IngestReport, ms: number) => void;
}

export function createApp(config: Config, deps: AppDeps) {
  const ingest = new CallbackIngest(config, {
    journal: deps.journal,
    quarantine: deps.quarantine,
    logger: deps.logger,
    now: deps.now ?? Date.now,
  });
  const state = { draining: false };
  const handleCallback = callbackHandler(ingest, deps.onReport);
  const app = new Elysia()
    .use(callbackRoutes(config.server.path, handleCallback))
    .use(healthRoutes({ journal: deps.journal.writer, quarantine: deps.quarantine, state }))
    .onError(({ code, error, request }) => {
      if (code === "NOT_FOUND") {
        // Any other method on the callback path (OPTIONS, TRACE, ...) still gets Tencent's answer shape.
        if (new URL(request.url).pathname === config.server.path) return methodNotAllowed();
        return new Response("not found\n", { status: 404 });
      }
      deps.logger.error({ err: error }, "unhandled error");
      return ackResponse(fail(500, ErrorCodes.INTERNAL, "internal error"));
    });
  return { app, ingest, state, handleCallback };
}

export type RoomhookApp = ReturnType<typeof createApp>;
