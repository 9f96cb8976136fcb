// The dashboard's routes on the admin app, in process: the page and its assets are served without
// the token but with a strict CSP, hold no inline code and reach nowhere else; GET /v1/stats sits
// behind the token like the rest of /v1 and answers the schema it declares.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import pino from "pino";
import { Value } from "@sinclair/typebox/value";
import { createAdminApp } from "../../src/admin/app.ts";
import { fail, OK } from "../../src/callback/ack.ts";
import { controlFanout } from "../../src/delivery/control.ts";
import { Fanout } from "../../src/delivery/fanout.ts";
import { journalDir, quarantineDir } from "../../src/journal/journal.ts";
import { IngestStatsRecorder } from "../../src/stats/ingest-stats.ts";
import { StatsResponse } from "../../src/stats/schema.ts";
import { statsReader } from "../../src/stats/stats.ts";
import { UI_FILES } from "../../src/ui/assets.ts";
import { dashboardRoutes } from "../../src/ui/route.ts";
import { makeConfig, tempDir } from "../support/app.ts";

const TOKEN = "dashboard-admin-token-42";
const dataDir = tempDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config = makeConfig({ admin: { listen: "127.0.0.1:0", token: TOKEN } }, dataDir);
const jdir = journalDir(dataDir);
const qdir = quarantineDir(dataDir);
const headSeq = () => 0;
const fanout = new Fanout([], { dataDir, journalDir: jdir, headSeq, logger: pino({ level: "silent" }) });
const recorder = new IngestStatsRecorder();
const admin = createAdminApp(() => config, { fanout: controlFanout(fanout), journalDir: jdir, headSeq });
admin.use(
  dashboardRoutes(
    statsReader({ recorder, dataDir, journalDir: jdir, quarantineDir: qdir, headSeq, quarantineHeadSeq: headSeq }),
  ),
);

const get = (path: string, token?: string) =>
  admin.handle(new Request(`http://localhost${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }));

describe("GET /ui/", () => {
  test("the page, without a token, under a CSP that allows nothing inline and nothing elsewhere", async () => {
    const res = await get("/ui/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    for (const label of ["Ingest", "Targets", "Rooms", "Events"]) expect(html).toContain(`>${label}</a>`);
    // Every script has a src, and no element carries inline style or handlers.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\s(style|on[a-z]+)=/i);
  });

  test("its script and style sheet are served from the binary's memory with their types", async () => {
    const html = await (await get("/ui/")).text();
    const refs = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.some((r) => r.endsWith(".js"))).toBe(true);
    expect(refs.some((r) => r.endsWith(".css"))).toBe(true);
    for (const r of refs) {
      const res = await get(`/ui/${r}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith(r.endsWith(".js") ? "text/javascript" : "text/css");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      const text = await res.text();
      // Nothing the page loads or calls lives elsewhere (the SVG namespace is a name, not a request).
      expect(text.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//);
    }
  });

  test("small: everything the page ships is well under 150 KB gzipped", () => {
    const gz = Object.values(UI_FILES).reduce((n, text) => n + Bun.gzipSync(text).length, 0);
    expect(gz).toBeGreaterThan(1000);
    expect(gz).toBeLessThan(150 * 1024);
  });

  test("/ui redirects to /ui/; an unknown file is 404", async () => {
    const r = await get("/ui");
    expect(r.status).toBe(308);
    expect(r.headers.get("location")).toBe("/ui/");
    expect((await get("/ui/nothing.js")).status).toBe(404);
    expect((await get("/ui/index.html")).status).toBe(200);
  });
});

describe("the token still guards the API", () => {
  test("GET /v1/stats and /v1/targets: 401 without the token or with a wrong one", async () => {
    for (const path of ["/v1/stats", "/v1/targets", "/v1/targets?from=/ui/", "/ui/../v1/targets"]) {
      expect((await get(path)).status).toBe(401);
      expect((await get(path, "wrong-token")).status).toBe(401);
    }
  });

  test("GET /v1/stats with the token answers its schema, with what was recorded", async () => {
    recorder.record({ answer: OK, outcome: "accepted" }, 0.3);
    recorder.record(
      { answer: fail(403, 40303, "SdkAppid is not configured on this receiver"), outcome: "rejected" },
      0.05,
    );
    const res = await get("/v1/stats", TOKEN);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Value.Check(StatsResponse, body)).toBe(true);
    const s = body as StatsResponse;
    expect(s.ingest.requests.reduce((a, b) => a + b, 0)).toBe(2);
    expect(s.ingest.refusals.map((r) => r.code)).toEqual([40303]);
    expect(s.disk!.totalBytes).toBeGreaterThan(0);
    expect(s.journal).toEqual({ headSeq: 0, bytes: 0, segments: 0 });
  });
});
