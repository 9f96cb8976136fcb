// The fan-out part of the admin API (README "Dead letters, the admin API, replay"): targets' status,
// pause / resume / replay, dead letters listed and redelivered. Every call goes to the fan-out
// (on its own thread in `serve`); should that thread be restarting, the answer is 503, not a guess.
import { Elysia } from "elysia";
import type { FanoutControl } from "../delivery/control.ts";
import { seqForTime } from "../delivery/replay-point.ts";
import { jsonResponse } from "../http/json.ts";

export interface TargetRouteDeps {
  fanout: FanoutControl;
  journalDir: string;
  headSeq: () => number;
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

const noTarget = (name: string) => jsonResponse(404, { error: `no target named "${name}"` });

/** Runs a fan-out call; null from it means no such target. */
async function ask<T>(name: string, call: () => Promise<T | null>, answer: (v: T) => Response): Promise<Response> {
  let v: T | null;
  try {
    v = await call();
  } catch (e) {
    return jsonResponse(503, { error: `the fan-out is not available: ${(e as Error).message}` });
  }
  return v === null ? noTarget(name) : answer(v);
}

type ReplayFrom = { from: number } | { error: string };

/** {"from_seq":N} or {"from_time":"ISO 8601"} into the seq to replay from. */
function replayFrom(body: unknown, deps: TargetRouteDeps): ReplayFrom {
  const b = parseBody(body);
  if (!b) return { error: 'expected a JSON object: {"from_seq":N} or {"from_time":"ISO 8601"}' };
  let from: number;
  if (typeof b.from_seq === "number" && Number.isInteger(b.from_seq) && b.from_seq >= 1 && b.from_time === undefined) {
    from = b.from_seq;
  } else if (typeof b.from_time === "string" && b.from_seq === undefined) {
    const t = Date.parse(b.from_time);
    if (Number.isNaN(t)) return { error: `from_time: not a date: "${b.from_time}"` };
    from = seqForTime(deps.journalDir, t) ?? deps.headSeq() + 1;
  } else {
    return { error: 'give exactly one of "from_seq" (integer >= 1) or "from_time" (ISO 8601)' };
  }
  if (from > deps.headSeq() + 1) return { error: `from_seq ${from} is beyond the journal's head (${deps.headSeq()})` };
  return { from };
}

export function targetRoutes(deps: TargetRouteDeps) {
  const { fanout } = deps;
  const ok = (v: unknown) => jsonResponse(200, v);
  return new Elysia({ name: "admin-targets" })
    .get("/v1/targets", () =>
      ask(
        "",
        () => fanout.list(),
        (targets) => jsonResponse(200, { headSeq: deps.headSeq(), targets }),
      ),
    )
    .get("/v1/targets/:name", ({ params: { name } }) => ask(name, () => fanout.status(name), ok))
    .post("/v1/targets/:name/pause", ({ params: { name } }) =>
      ask(name, () => fanout.pause(name, "paused through the admin API"), ok),
    )
    .post("/v1/targets/:name/resume", ({ params: { name } }) => ask(name, () => fanout.resume(name), ok))
    .post("/v1/targets/:name/replay", async ({ params: { name }, body }) => {
      const r = replayFrom(body, deps);
      if ("error" in r) return jsonResponse(400, { error: r.error });
      return ask(
        name,
        () => fanout.replay(name, r.from),
        (cursor) => jsonResponse(200, { target: name, cursor, fromSeq: cursor + 1, headSeq: deps.headSeq() }),
      );
    })
    .get("/v1/dead-letters/:name", ({ params: { name }, query }) => {
      const from = intParam(query.from, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(query.limit, 100, 1000);
      if (from === null || limit === null)
        return jsonResponse(400, { error: "from and limit are non-negative integers" });
      return ask(
        name,
        () => fanout.deadLetterPage(name, from, limit),
        (page) => {
          // The entries are spliced in as stored, so the events' bodies keep every digit.
          const next = from + page.lines.length < page.total ? from + page.lines.length : null;
          const text = `{"target":${JSON.stringify(name)},"total":${page.total},"from":${from},"next":${next},"entries":[${page.lines.join(",")}]}`;
          return new Response(text, { headers: { "content-type": "application/json" } });
        },
      );
    })
    .post("/v1/dead-letters/:name/redeliver", ({ params: { name }, body }) => {
      const b = parseBody(body);
      if (!b || (b.ids !== undefined && (!Array.isArray(b.ids) || !b.ids.every((x) => typeof x === "string")))) {
        return jsonResponse(400, { error: 'expected {} (all) or {"ids":["<event id>", ...]}' });
      }
      return ask(
        name,
        () => fanout.redeliver(name, (b.ids as string[] | undefined) ?? null),
        (r) => jsonResponse(202, { target: name, ...r }),
      );
    });
}
