// The emulator's HTTP face (Bun.serve): Tencent's REST API under /v4/<service>/<command>, and its
// own endpoints under /emulator/: the client actions (enter, leave, take-seat, leave-seat, POST),
// the callbacks it fired with their answers, its room state, and a status summary (GET).
import type { Server } from "bun";
import { CLIENT_APIS, type ClientApi, handleClient } from "./client-api.ts";
import type { Emulator } from "./emulator.ts";
import { answer, handleRest } from "./rest.ts";
import type { ScenarioRunner } from "./scenario-runner.ts";

export interface EmulatorServerOptions {
  hostname: string;
  port: number;
  scenario?: ScenarioRunner;
}

const json = (v: unknown, status = 200) => Response.json(v, { status });
const MAX_BODY = 1 << 20;

function intParam(u: URL, name: string, dflt: number, max: number): number {
  const v = Number(u.searchParams.get(name) ?? dflt);
  return Number.isInteger(v) && v >= 0 ? Math.min(v, max) : dflt;
}

function emulatorGet(em: Emulator, u: URL, scenario: ScenarioRunner | undefined): Response {
  const path = u.pathname.slice("/emulator/".length);
  if (path === "callbacks") {
    const since = intParam(u, "since", 0, Number.MAX_SAFE_INTEGER);
    const callbacks = em.sender.list(since, intParam(u, "limit", 1000, 10_000));
    return json({ ...em.sender.stats(), callbacks });
  }
  if (path === "rooms") {
    const s = u.searchParams.get("status") ?? "active";
    if (s !== "active" && s !== "destroyed" && s !== "all")
      return json({ error: "status is active, destroyed or all" }, 400);
    return json({ rooms: em.store.views(s) });
  }
  if (path.startsWith("rooms/")) {
    const view = em.store.view(decodeURIComponent(path.slice("rooms/".length)));
    return view ? json(view) : json({ error: "no such room" }, 404);
  }
  if (path === "status")
    return json({
      sdkAppId: em.options.sdkAppId,
      callback: em.callback,
      callbacks: em.sender.stats(),
      rooms: em.store.rooms.size,
      scenario: scenario?.status() ?? null,
    });
  return json({ error: "not found" }, 404);
}

async function handle(em: Emulator, req: Request, ip: string, scenario?: ScenarioRunner): Promise<Response> {
  const u = new URL(req.url);
  if (req.method === "GET" && u.pathname.startsWith("/emulator/")) return emulatorGet(em, u, scenario);
  const rest = /^\/v4\/([a-z_]+\/[a-z_]+)$/.exec(u.pathname);
  const client = /^\/emulator\/([a-z-]+)$/.exec(u.pathname);
  if (req.method !== "POST" || (!rest && !client)) return json({ error: "not found" }, 404);
  const text = await req.text();
  if (text.length > MAX_BODY) return json({ error: "body too large" }, 413);
  if (rest) return json(handleRest(em, rest[1]!, u.searchParams, text, ip));
  const api = client![1]! as ClientApi;
  if (!CLIENT_APIS.includes(api)) return json({ error: "not found" }, 404);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json({ error: "the body is not JSON" }, 400);
  }
  return json(answer(em, handleClient(em, api, body, ip)));
}

export function serveEmulator(em: Emulator, o: EmulatorServerOptions): Server<undefined> {
  return Bun.serve({
    hostname: o.hostname,
    port: o.port,
    fetch: (req, server) => handle(em, req, server.requestIP(req)?.address ?? "127.0.0.1", o.scenario),
  });
}
