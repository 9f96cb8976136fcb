// GET /v1/stats on the admin listener (behind its token, like the rest of /v1).
import { Elysia } from "elysia";
import { jsonResponse } from "../http/json.ts";
import type { StatsResponse } from "./schema.ts";

export function statsRoute(stats: (() => StatsResponse) | undefined) {
  return new Elysia({ name: "stats" }).get("/v1/stats", () =>
    stats ? jsonResponse(200, stats()) : jsonResponse(404, { error: "stats are not enabled" }),
  );
}
