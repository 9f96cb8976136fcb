// The admin listener (README "Dead letters, the admin API, replay" and "Metrics"): Prometheus
// metrics, journal and quarantine queries, and the fan-out part: targets' status, pause / resume /
// replay, dead letters listed and redelivered. Loopback by default; a bearer token when admin.token
// is set (the config loader refuses a non-loopback listen without one).
import { Elysia } from "elysia";
import type { Config } from "../config/schema.ts";
import type { Fanout } from "../delivery/fanout.ts";
import { seqForTime } from "../delivery/replay-point.ts";
import { bearerMatches } from "./auth.ts";
import { eventsHandler } from "./events.ts";
import { CONTENT_TYPE, type Registry } from "../metrics/registry.ts";
import { jsonResponse } from "../http/json.ts";

export interface AdminDeps {
  fanout: Fanout;
  journalDir: string;
  headSeq: () => number;
  /** GET /metrics; without it the route answers 404. */
  metrics?: Registry;
  /** GET /v1/quarantine; without it the route answers 404. */
  quarantine?: { dir: string; headSeq: () => number };
}

function parseBody(body: unknown): Record<string, unknown> | null {
  if (body === undefined || body === null || body === "") return {};
  if (typeof body === "string") {
    try {
      const v = JSON.parse(body);
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

function intParam(v: string | undefined, dflt: number, max: number): number | null {
  if (v === undefined || v === "") return dflt;
  if (!/^\d+$/.test(v)) return null;
  return Math.min(Number(v), max);
}

/**
 * `config` reads the running configuration on every request (the service's one copy, replaced on
 * SIGHUP), so a rotated token applies at once and no old copy can keep answering.
 */
export function createAdminApp(config: () => Config, deps: AdminDeps) {
  const token = () => config().admin.token;
  const target = (name: string) => deps.fanout.get(name);
  const noTarget = (name: string) => jsonResponse(404, { error: `no target named "${name}"` });
  const events = eventsHandler({ dir: deps.journalDir, headSeq: deps.headSeq });
  const quarantine = deps.quarantine ? eventsHandler(deps.quarantine) : null;
  return new Elysia({ name: "admin" })
    .onRequest(({ request }) => {
      const t = token();
      if (t && !bearerMatches(request.headers.get("authorization"), t)) {
        return jsonResponse(
          401,
          { error: "missing or wrong bearer token" },
          { "www-authenticate": 'Bearer realm="roomhook-admin"' },
        );
      }
    })
    .get("/metrics", () =>
      deps.metrics
        ? new Response(deps.metrics.render(), { headers: { "content-type": CONTENT_TYPE } })
        : jsonResponse(404, { error: "metrics are not enabled" }),
    )
    .get("/v1/events", ({ request }) => events(request))
    .get("/v1/quarantine", ({ request }) =>
      quarantine ? quarantine(request) : jsonResponse(404, { error: "no quarantine configured" }),
    )
    .get("/v1/targets", () =>
      jsonResponse(200, { headSeq: deps.headSeq(), targets: deps.fanout.list().map((w) => w.status()) }),
    )
    .get("/v1/targets/:name", ({ params }) => {
      const w = target(params.name);
      return w ? jsonResponse(200, w.status()) : noTarget(params.name);
    })
    .post("/v1/targets/:name/pause", ({ params }) => {
      const w = target(params.name);
      if (!w) return noTarget(params.name);
      w.pause("paused through the admin API");
      return jsonResponse(200, w.status());
    })
    .post("/v1/targets/:name/resume", ({ params }) => {
      const w = target(params.name);
      if (!w) return noTarget(params.name);
      w.resume();
      return jsonResponse(200, w.status());
    })
    .post("/v1/targets/:name/replay", async ({ params, body }) => {
      const w = target(params.name);
      if (!w) return noTarget(params.name);
      const b = parseBody(body);
      if (!b) return jsonResponse(400, { error: 'expected a JSON object: {"from_seq":N} or {"from_time":"ISO 8601"}' });
      let from: number;
      if (
        typeof b.from_seq === "number" &&
        Number.isInteger(b.from_seq) &&
        b.from_seq >= 1 &&
        b.from_time === undefined
      ) {
        from = b.from_seq;
      } else if (typeof b.from_time === "string" && b.from_seq === undefined) {
        const t = Date.parse(b.from_time);
        if (Number.isNaN(t)) return jsonResponse(400, { error: `from_time: not a date: "${b.from_time}"` });
        from = seqForTime(deps.journalDir, t) ?? deps.headSeq() + 1;
      } else {
        return jsonResponse(400, { error: 'give exactly one of "from_seq" (integer >= 1) or "from_time" (ISO 8601)' });
      }
      if (from > deps.headSeq() + 1)
        return jsonResponse(400, { error: `from_seq ${from} is beyond the journal's head (${deps.headSeq()})` });
      const cursor = await w.replay(from);
      return jsonResponse(200, { target: w.name, cursor, fromSeq: cursor + 1, headSeq: deps.headSeq() });
    })
    .get("/v1/dead-letters/:name", ({ params, query }) => {
      const w = target(params.name);
      if (!w) return noTarget(params.name);
      const from = intParam(query.from, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(query.limit, 100, 1000);
      if (from === null || limit === null)
        return jsonResponse(400, { error: "from and limit are non-negative integers" });
      const page = w.deadLetterPage(from, limit);
      // The entries are spliced in as stored, so the events' bodies keep every digit.
      const next = from + page.entries.length < page.total ? from + page.entries.length : null;
      const text = `{"target":${JSON.stringify(w.name)},"total":${page.total},"from":${from},"next":${next},"entries":[${page.entries.map((e) => e.line).join(",")}]}`;
      return new Response(text, { headers: { "content-type": "application/json" } });
    })
    .post("/v1/dead-letters/:name/redeliver", ({ params, body }) => {
      const w = target(params.name);
      if (!w) return noTarget(params.name);
      const b = parseBody(body);
      if (!b || (b.ids !== undefined && (!Array.isArray(b.ids) || !b.ids.every((x) => typeof x === "string")))) {
        return jsonResponse(400, { error: 'expected {} (all) or {"ids":["<event id>", ...]}' });
      }
      const r = w.redeliver(b.ids ? new Set(b.ids as string[]) : null);
      return jsonResponse(202, { target: w.name, ...r });
    })
    .onError(({ code }) => {
      if (code === "NOT_FOUND") return jsonResponse(404, { error: "not found" });
      if (code === "PARSE") return jsonResponse(400, { error: "the body is not valid JSON" });
    });
}

export type AdminApp = ReturnType<typeof createAdminApp>;
