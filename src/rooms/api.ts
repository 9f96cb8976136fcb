// The room-state routes of the admin listener (SPEC §8), mounted by the admin app behind its bearer
// token: GET /v1/rooms, /v1/rooms/{roomId}, /v1/rooms/{roomId}/attendance, /v1/users/{userId}/rooms.
// Query strings are read strictly (an unknown or repeated parameter is a 400), like /v1/events.
import { Elysia } from "elysia";
import { jsonResponse } from "../http/json.ts";
import type { RoomsBackend } from "./backend.ts";
import type { RoomsAnswer, RoomsQuery } from "./schema.ts";

export const MAX_ROOMS_LIMIT = 1_000;
const DEFAULT_ROOMS_LIMIT = 100;

type Problem = { error: string };
const problem = (error: string): Problem => ({ error });
const isProblem = (v: unknown): v is Problem => typeof v === "object" && v !== null && "error" in v;

/** Only `allowed` parameters, each at most once. */
function params(request: Request, allowed: readonly string[]): URLSearchParams | Problem {
  const p = new URL(request.url).searchParams;
  for (const key of new Set(p.keys())) {
    if (!allowed.includes(key)) return problem(`${key}: unknown parameter (allowed: ${allowed.join(", ")})`);
    if (p.getAll(key).length > 1) return problem(`${key}: given more than once`);
  }
  return p;
}

/** sdkAppId from the query, else the one configured app. */
function appId(p: URLSearchParams, apps: () => readonly number[]): number | Problem {
  const v = p.get("sdkAppId");
  if (v === null || v === "") {
    const configured = apps();
    if (configured.length === 1) return configured[0]!;
    return problem("sdkAppId: required when more than one app is configured");
  }
  if (!/^\d{1,10}$/.test(v) || Number(v) < 1) return problem(`sdkAppId: expected a positive integer, got "${v}"`);
  return Number(v);
}

function listQuery(p: URLSearchParams, apps: () => readonly number[]): RoomsQuery | Problem {
  const sdkAppId = appId(p, apps);
  if (isProblem(sdkAppId)) return sdkAppId;
  const status = p.get("status") ?? "active";
  if (status !== "active" && status !== "destroyed" && status !== "all")
    return problem(`status: expected one of "active", "destroyed", "all", got "${status}"`);
  const limitText = p.get("limit");
  let limit = DEFAULT_ROOMS_LIMIT;
  if (limitText !== null) {
    if (!/^\d{1,7}$/.test(limitText) || Number(limitText) < 1)
      return problem(`limit: expected an integer from 1 to ${MAX_ROOMS_LIMIT}, got "${limitText}"`);
    limit = Math.min(Number(limitText), MAX_ROOMS_LIMIT);
  }
  const after = p.get("after");
  return { op: "list", sdkAppId, status, limit, after: after === "" ? null : after };
}

function send(a: RoomsAnswer): Response {
  return new Response(a.body, { status: a.status, headers: { "content-type": a.contentType } });
}

async function run(rooms: RoomsBackend, q: RoomsQuery | Problem): Promise<Response> {
  if (isProblem(q)) return jsonResponse(400, q);
  return send(await rooms.query(q));
}

/** `apps` gives the configured SDKAppIDs (read on every request: SIGHUP may change them). */
export function roomsRoutes(rooms: RoomsBackend, apps: () => readonly number[]) {
  const withApp = <T>(request: Request, allowed: readonly string[], build: (p: URLSearchParams, app: number) => T) => {
    const p = params(request, allowed);
    if (isProblem(p)) return p;
    const app = appId(p, apps);
    return isProblem(app) ? app : build(p, app);
  };
  return new Elysia({ name: "rooms" })
    .get("/v1/rooms", ({ request }) => {
      const p = params(request, ["sdkAppId", "status", "limit", "after"]);
      return run(rooms, isProblem(p) ? p : listQuery(p, apps));
    })
    .get("/v1/rooms/:roomId", ({ request, params: { roomId } }) =>
      run(
        rooms,
        withApp(request, ["sdkAppId"], (_p, sdkAppId): RoomsQuery => ({ op: "room", sdkAppId, roomId })),
      ),
    )
    .get("/v1/rooms/:roomId/attendance", ({ request, params: { roomId } }) =>
      run(
        rooms,
        withApp(request, ["sdkAppId", "format"], (p, sdkAppId): RoomsQuery | Problem => {
          const format = p.get("format") ?? "json";
          if (format !== "json" && format !== "csv")
            return problem(`format: expected "json" or "csv", got "${format}"`);
          return { op: "attendance", sdkAppId, roomId, csv: format === "csv" };
        }),
      ),
    )
    .get("/v1/users/:userId/rooms", ({ request, params: { userId } }) =>
      run(
        rooms,
        withApp(request, ["sdkAppId"], (_p, sdkAppId): RoomsQuery => ({ op: "user", sdkAppId, userId })),
      ),
    );
}
