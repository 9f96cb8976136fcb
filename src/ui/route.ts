// GET /ui/ on the admin listener: the dashboard page and its two assets, from memory, with a strict
// Content-Security-Policy (scripts and styles only from this origin, no inline code, no frames). The
// page itself holds no data, so it is served without the token; every API call it makes needs it.
import { Elysia } from "elysia";
import { jsonResponse } from "../http/json.ts";
import type { StatsResponse } from "../stats/schema.ts";
import { statsRoute } from "../stats/route.ts";
import { UI_FILES } from "./assets.ts";

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** True for the page's own paths, which need no token. */
export function isUiPath(url: string): boolean {
  const at = url.indexOf("/", url.indexOf("//") + 2);
  const path = at < 0 ? "/" : url.slice(at);
  return path === "/ui" || path.startsWith("/ui/") || path.startsWith("/ui?");
}

const isUiRoot = (url: string) => /^[^/]*\/\/[^/]*\/ui\/(\?|$)/.test(url);

function file(name: string): Response {
  const text = UI_FILES[name];
  const type = TYPES[name.slice(name.lastIndexOf(".") + 1)];
  if (text === undefined || type === undefined) return jsonResponse(404, { error: "not found" });
  // The assets' names carry a content hash; the page itself must be fetched again after an upgrade.
  const cache = name === "index.html" ? "no-cache" : "public, max-age=31536000, immutable";
  return new Response(text, { headers: { "content-type": type, "cache-control": cache, ...SECURITY_HEADERS } });
}

export function uiRoutes() {
  return (
    new Elysia({ name: "ui" })
      // Elysia routes /ui and /ui/ alike; the page's relative asset paths need the slash.
      .get("/ui/", ({ request }) =>
        isUiRoot(request.url) ? file("index.html") : new Response(null, { status: 308, headers: { location: "/ui/" } }),
      )
      .get("/ui/:file", ({ params }) => file(params.file))
  );
}

/** The page and the API only it needs (GET /v1/stats), mounted on the admin app. */
export function dashboardRoutes(stats: (() => StatsResponse) | undefined) {
  return new Elysia({ name: "dashboard" }).use(uiRoutes()).use(statsRoute(stats));
}
