// The dashboard's Rooms view in Chromium against the room-state API exactly as SPEC §8 words it,
// served by a stand-in beside the real page routes, while that API is not in this build: the list,
// a room's members (a numeric account id beyond 2^53 digit for digit), seats, the attendance
// timeline, and the CSV download. When src/rooms/ lands, dashboard.test.ts covers the same view
// on the binary with real callbacks, and this stand-in can go.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Elysia } from "elysia";
import type { Browser } from "playwright-core";
import { uiRoutes } from "../../src/ui/route.ts";
import type { Attendance, RoomDetail, RoomSummary } from "../../src/ui/rooms-api.ts";
import { launchChromium, screenshot, unexpectedErrors, watchedPage } from "../support/browser.ts";
import { until } from "../support/until.ts";
import { ROOT } from "./helpers.ts";

const APP = 1400000000;
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000; // an hour ago
const BIG = "144115212345678901234"; // beyond 2^53: a Number would round it
const summary: RoomSummary = {
  sdkAppId: APP,
  roomId: "weekly-sync",
  status: "active",
  roomName: "Weekly sync",
  ownerId: "alice",
  roomType: "Conference",
  memberCount: 2,
  seatedCount: 1,
  createdAt: T0,
  updatedAt: T0 + 40 * 60_000,
  destroyedAt: null,
  lastSeq: 12,
};
const detail: RoomDetail = {
  ...summary,
  roomInfo: { RoomId: "weekly-sync", RoomName: "Weekly sync" },
  members: [
    { userId: "alice", enteredAt: T0 },
    { userId: BIG, enteredAt: T0 + 20 * 60_000 },
  ],
  seats: [
    { index: 0, userId: "alice", isTakenDisabled: false, isVideoDisabled: false, isAudioDisabled: true, updatedAt: T0 },
    { index: 1, userId: null, isTakenDisabled: true, isVideoDisabled: false, isAudioDisabled: false, updatedAt: T0 },
  ],
  asOfSeq: 12,
};
const attendance: Attendance = {
  sessions: [
    { userId: "alice", enteredAt: T0, leftAt: null, leaveType: null, reason: null, durationMs: null },
    {
      userId: "bob",
      enteredAt: T0 + 5 * 60_000,
      leftAt: T0 + 15 * 60_000,
      leaveType: "Kicked",
      reason: 1,
      durationMs: 600_000,
    },
    { userId: BIG, enteredAt: T0 + 20 * 60_000, leftAt: null, leaveType: null, reason: null, durationMs: null },
  ],
  totals: [
    { userId: "alice", sessions: 1, durationMs: 2_400_000 },
    { userId: "bob", sessions: 1, durationMs: 600_000 },
    { userId: BIG, sessions: 1, durationMs: 1_200_000 },
  ],
};
const CSV = `userId,enteredAt,leftAt,leaveType,reason,durationMs\nbob,${T0 + 300_000},${T0 + 900_000},Kicked,1,600000\n`;
const asked: string[] = [];

const json = (v: unknown) => new Response(JSON.stringify(v), { headers: { "content-type": "application/json" } });
const standIn = new Elysia()
  .onRequest(({ request }) => {
    asked.push(new URL(request.url).pathname + new URL(request.url).search);
  })
  .use(uiRoutes())
  .get("/v1/targets", () => json({ headSeq: 12, targets: [] }))
  .get("/v1/rooms", () => json({ rooms: [summary], next: null, asOfSeq: 12 }))
  .get("/v1/rooms/:id", ({ params }) => (params.id === "weekly-sync" ? json(detail) : json({ error: "no such room" })))
  .get("/v1/rooms/:id/attendance", ({ query }) =>
    query.format === "csv" ? new Response(CSV, { headers: { "content-type": "text/csv" } }) : json(attendance),
  );

let browser: Browser;
let origin = "";

beforeAll(async () => {
  standIn.listen({ hostname: "127.0.0.1", port: 0 });
  origin = `http://127.0.0.1:${standIn.server!.port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await standIn.stop(true);
});

describe("the Rooms view against SPEC §8", () => {
  test("active rooms, a room's members, seats, attendance timeline and its CSV", async () => {
    const w = await watchedPage(browser, origin);
    const page = w.page;
    await page.goto(`${origin}/ui/#rooms`);
    const list = page.getByRole("table", { name: "Rooms" });
    const row = list.locator("tbody tr").first();
    await until("the room is listed", async () => (await row.textContent())?.includes("Weekly sync"));
    expect(await row.locator("td").nth(3).textContent()).toBe("2"); // members
    expect(asked).toContain("/v1/rooms?status=active&limit=100");
    await row.getByRole("button", { name: "weekly-sync" }).click();
    const members = page.getByRole("table", { name: "Members (2)" });
    await members.waitFor();
    expect(await members.textContent()).toContain(BIG);
    const seats = page.getByRole("table", { name: "Seats (2)" });
    expect(await seats.locator("tbody tr").nth(1).textContent()).toContain("(empty)");
    expect(asked).toContain(`/v1/rooms/weekly-sync?sdkAppId=${APP}`);
    expect(asked).toContain(`/v1/rooms/weekly-sync/attendance?sdkAppId=${APP}`);
    const timeline = page.getByRole("img", { name: /Attendance from .*: 3 users, 3 sessions/ });
    await timeline.waitFor();
    expect(await timeline.locator("rect").count()).toBe(3);
    expect(await timeline.locator("rect.closed title").textContent()).toContain("Kicked");
    await screenshot(page, "rooms", ROOT);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("attendance-weekly-sync.csv");
    expect(readFileSync((await download.path())!, "utf8")).toBe(CSV);
    expect(asked).toContain(`/v1/rooms/weekly-sync/attendance?format=csv&sdkAppId=${APP}`);
    expect(unexpectedErrors(w)).toEqual([]);
    expect(w.foreign).toEqual([]);
  });
});
