// The admin listener (README "Dead letters, the admin API, replay" and "Metrics"): Prometheus
// metrics, journal and quarantine queries, and the fan-out part: targets' status, pause / resume /
// replay, dead letters listed and redelivered. Loopback by default; a bearer token when admin.token
// is set (the config loader refuses a non-loopback listen without one), except for the dashboard's
// page (/ui/), which holds no data: it asks for the token and calls the API with it.
import { type AnyElysia, Elysia } from "elysia";
import type { Config } from "../config/schema.ts";
import type { FanoutControl } from "../delivery/control.ts";
import { bearerMatches } from "./auth.ts";
import { eventsHandler } from "./events.ts";
import { targetRoutes } from "./targets.ts";
import { CONTENT_TYPE, type Registry } from "../metrics/registry.ts";
import { jsonResponse } from "../http/json.ts";
import { isUiPath } from "../ui/route.ts";

export interface AdminDeps {
  fanout: FanoutControl;
  journalDir: string;
  headSeq: () => number;
  /** GET /metrics; without it the route answers 404. */
  metrics?: Registry;
  /** Brings what /metrics reads from elsewhere (the fan-out thread) up to date before a scrape. */
  beforeScrape?: () => Promise<unknown>;
  /** GET /v1/quarantine; without it the route answers 404. */
  quarantine?: { dir: string; headSeq: () => number };
  /** The room-state routes (src/rooms/api.ts); absent when [rooms] is off (they answer 404). */
  rooms?: AnyElysia;
}

/**
 * `config` reads the running configuration on every request (the service's one copy, replaced on
 * SIGHUP), so a rotated token applies at once and no old copy can keep answering.
 */
export function createAdminApp(config: () => Config, deps: AdminDeps) {
  const token = () => config().admin.token;
  const events = eventsHandler({ dir: deps.journalDir, headSeq: deps.headSeq });
  const quarantine = deps.quarantine ? eventsHandler(deps.quarantine) : null;
  return new Elysia({ name: "admin" })
    .onRequest(({ request }) => {
      const t = token();
      if (t && !isUiPath(request.url) && !bearerMatches(request.headers.get("authorization"), t)) {
        return jsonResponse(
          401,
          { error: "missing or wrong bearer token" },
          { "www-authenticate": 'Bearer realm="roomhook-admin"' },
        );
      }
    })
    .get("/metrics", async () => {
      if (!deps.metrics) return jsonResponse(404, { error: "metrics are not enabled" });
      await deps.beforeScrape?.().catch(() => {}); // a fan-out restarting leaves its last state
      return new Response(deps.metrics.render(), { headers: { "content-type": CONTENT_TYPE } });
    })
    .get("/v1/events", ({ request }) => events(request))
    .get("/v1/quarantine", ({ request }) =>
      quarantine ? quarantine(request) : jsonResponse(404, { error: "no quarantine configured" }),
    )
    .use(targetRoutes(deps))
    .use(deps.rooms ?? new Elysia({ name: "rooms-off" }))
    .onError(({ code }) => {
      if (code === "NOT_FOUND") return jsonResponse(404, { error: "not found" });
      if (code === "PARSE") return jsonResponse(400, { error: "the body is not valid JSON" });
    });
}

export type AdminApp = ReturnType<typeof createAdminApp>;
