// The dashboard in a real browser (Debian's Chromium through playwright-core) against the compiled
// binary, fed with real callbacks: the token prompt, every view on real data, the buttons acting on
// the service (Pause shows in /v1/targets, Redeliver delivers), the live tail, no console error and
// no request leaving the admin listener. UPDATE_SCREENSHOTS=1 also writes docs/screenshots/*.png.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium, screenshot, unexpectedErrors, type WatchedPage, watchedPage } from "../support/browser.ts";
import { until } from "../support/until.ts";
import {
  APP,
  cleanup,
  memberEnter,
  ROOT,
  type Roomhook,
  Sink,
  sendCallback,
  startRoomhook,
  tempDir,
  targetsToml,
  toToml,
} from "./helpers.ts";

const ADMIN_TOKEN = "dashboard-e2e-admin-token-7f3a";
let browser: Browser;
let rh: Roomhook;
let admin = "";
let w: WatchedPage;
let page: Page;
const good = new Sink();
let deadAnswer = 400;
const flaky = new Sink(() => deadAnswer);

async function api(path: string, method = "GET"): Promise<any> {
  const res = await fetch(`${admin}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return await res.json();
}

const targetsNow = async () => (await api("/v1/targets")).targets as Array<Record<string, any>>;

beforeAll(async () => {
  const dataDir = tempDir("dashboard");
  const base = toToml({
    data_dir: dataDir,
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP }],
    admin: { listen: "127.0.0.1:0", token: ADMIN_TOKEN },
    log: { level: "info" },
  });
  const targets = targetsToml([
    { name: "sync", url: good.url },
    { name: "audit", url: flaky.url, retry_delays_ms: [20] },
  ]);
  rh = await startRoomhook({ dataDir, tomlText: `${base}\n${targets}` });
  admin = `http://${String(rh.logs.find((l) => l.msg === "roomhook listening")!.admin)}`;
  for (let i = 0; i < 6; i++) expect((await sendCallback(rh, { body: memberEnter(`room-a`) })).status).toBe(200);
  expect((await sendCallback(rh, { body: memberEnter(`room-b`) })).status).toBe(200);
  // Refused (no such app) and quarantined (breaks the schema): the Ingest and Events views show why.
  expect((await sendCallback(rh, { sdkAppId: 1499999999, body: memberEnter() })).status).toBe(403);
  const broken = { CallbackCommand: "Room.CallbackAfterMemberEnter", RoomId: 42 };
  expect((await sendCallback(rh, { body: broken })).status).toBe(422);
  await until("the sync target caught up", async () => (await targetsNow()).find((t) => t.name === "sync")!.lag === 0);
  browser = await launchChromium();
  w = await watchedPage(browser, admin);
  page = w.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rh?.stop();
  good.stop();
  flaky.stop();
  await cleanup();
});

async function show(view: "Ingest" | "Targets" | "Rooms" | "Events"): Promise<void> {
  await page.getByRole("link", { name: view, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: view, exact: true }).waitFor();
}

describe("the dashboard in Chromium", () => {
  test("a token is configured: the page asks for it, refuses a wrong one, then opens", async () => {
    await page.goto(`${admin}/ui/`);
    const prompt = page.getByLabel("Token");
    await prompt.waitFor();
    expect(await page.locator("#view").isHidden()).toBe(true);
    await prompt.fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("That token was refused.").waitFor();
    await prompt.fill(ADMIN_TOKEN);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Ingest" }).waitFor();
    // The token is in this tab's sessionStorage, never in the page's text.
    expect(await page.evaluate(() => sessionStorage.getItem("roomhook.adminToken"))).toBe(ADMIN_TOKEN);
    expect(await page.content()).not.toContain(ADMIN_TOKEN);
  });

  test("Ingest: counts, latency, journal, disk and the refusal's reason from the running binary", async () => {
    await show("Ingest");
    const cards = page.locator(".cards");
    await until("the callbacks card counts all nine answers", async () =>
      (await cards.textContent())?.includes("Callbacks9last 15 min"),
    );
    const text = (await cards.textContent())!;
    expect(text).toContain("head seq 7");
    expect(text).toMatch(/Disk free[\d.]+ [KMGT]iB/);
    const refusals = page.getByRole("table", { name: /Refusals/ });
    await refusals.getByText("SdkAppid is not configured on this receiver").waitFor();
    expect(await refusals.textContent()).toContain("40303");
    expect(await page.locator("figure.chart").count()).toBe(2);
    await screenshot(page, "ingest", ROOT);
  });

  test("Targets: state and counts; Pause shows in /v1/targets, Resume undoes it, by keyboard too", async () => {
    await show("Targets");
    const sync = page.locator('tr[data-target="sync"]');
    await until("sync shows its 7 deliveries", async () => (await sync.textContent())?.includes("running"));
    expect(await sync.locator("td").nth(6).textContent()).toBe("7"); // Delivered
    await sync.getByRole("button", { name: "Pause" }).click();
    await until(
      "paused in the API",
      async () => (await targetsNow()).find((t) => t.name === "sync")!.state === "paused",
    );
    const resume = sync.getByRole("button", { name: "Resume" });
    await resume.waitFor();
    await resume.focus();
    await page.keyboard.press("Enter");
    await until("running again", async () => (await targetsNow()).find((t) => t.name === "sync")!.state === "running");
    await sync.getByRole("button", { name: "Pause" }).waitFor();
  });

  test("Targets: the dead letters, and Redeliver delivers", async () => {
    await until(
      "audit dead-lettered all 7",
      async () => (await targetsNow()).find((t) => t.name === "audit")!.deadLetters === 7,
    );
    const audit = page.locator('tr[data-target="audit"]');
    await audit.getByRole("button", { name: "Dead letters" }).click();
    const list = page.getByRole("table", { name: /Dead letters of audit/ });
    await list.waitFor();
    await until("seven rows", async () => (await list.locator("tbody tr").count()) === 7);
    expect(await list.textContent()).toContain("400");
    await screenshot(page, "targets", ROOT);
    deadAnswer = 200;
    await list.getByRole("button", { name: "Redeliver" }).first().click();
    await until("the sink got the redelivered event", () => flaky.deliveries === 1);
    await until("six left", async () => (await targetsNow()).find((t) => t.name === "audit")!.deadLetters === 6);
    await until("the page shows six", async () => (await list.locator("tbody tr").count()) === 6);
    await page.getByRole("button", { name: "Redeliver all" }).click();
    await until("all delivered", () => flaky.deliveries === 7);
  });

  test("Targets: replay from a seq sends the events again", async () => {
    const before = good.deliveries;
    await page.getByLabel("Target", { exact: true }).focus();
    await page.getByLabel("Target", { exact: true }).selectOption("sync");
    await page.getByLabel("From seq").fill("5");
    await page.getByRole("button", { name: "Replay", exact: true }).click();
    await page.getByText("sync replays from seq 5.").waitFor();
    await until("events 5..7 sent again", () => good.deliveries === before + 3);
  });

  test("Events: the tail shows the journal and new events arrive without a reload; filters; quarantine", async () => {
    await show("Events");
    const tail = page.getByRole("table", { name: /Live tail/ });
    await until("seven events", async () => (await tail.locator("tbody tr").count()) === 7);
    expect(await tail.locator("tbody tr").first().getAttribute("data-seq")).toBe("7");
    expect((await sendCallback(rh, { body: memberEnter("room-live") })).status).toBe(200);
    await tail.locator('tr[data-seq="8"]').waitFor();
    expect(await tail.locator("tbody tr").first().textContent()).toContain("room-live");
    await page.getByLabel("Room").fill("room-b");
    await page.getByRole("button", { name: "Apply" }).click();
    await until("only room-b", async () => (await tail.locator("tbody tr").count()) === 1);
    expect(await tail.locator("tbody tr").textContent()).toContain("room-b");
    const q = page.getByRole("table", { name: /Quarantine/ });
    await q.locator('tr[data-seq="1"]').waitFor();
    const reason = (await q.locator('tr[data-seq="1"] td').nth(4).textContent())!;
    expect(reason).toContain("body does not match Room.CallbackAfterMemberEnter");
    await screenshot(page, "events", ROOT);
  });

  test("Rooms: the view renders (the room list, or why there is none)", async () => {
    await show("Rooms");
    const note = page.getByText("This roomhook does not serve room state");
    const list = page.getByRole("table", { name: "Rooms" });
    await list.waitFor();
    // Until the room-state API (SPEC §8) is on this branch the view says so; with it, rooms show.
    await until(
      "the rooms or the note",
      async () => (await note.isVisible()) || (await list.getByText("room-a").isVisible()),
    );
    // docs/screenshots/rooms.png comes from dashboard-rooms.test.ts (real room data) meanwhile.
  });

  test("readable on a phone: nothing wider than the screen but the tables' own scroll boxes", async () => {
    const phone = await watchedPage(browser, admin, { width: 390, height: 844 });
    await phone.page.goto(`${admin}/ui/#targets`);
    await phone.page.getByLabel("Token").fill(ADMIN_TOKEN);
    await phone.page.keyboard.press("Enter");
    await phone.page.locator('tr[data-target="sync"]').waitFor();
    expect(await phone.page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(phone.page, "targets-phone", ROOT);
    expect(unexpectedErrors(phone)).toEqual([]);
    expect(phone.foreign).toEqual([]);
  });

  test("no console error, and no request left the admin listener", () => {
    // The one 401 the token test caused on purpose is allowed, and a 404 from /v1/rooms while the
    // room-state API is not in this build.
    expect(unexpectedErrors(w, ["/v1/rooms"])).toEqual([]);
    expect(w.foreign).toEqual([]);
    expect(w.requests.some((r) => r.includes("/v1/stats"))).toBe(true);
  });
});
