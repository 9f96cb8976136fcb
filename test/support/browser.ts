// A headless Chromium for the dashboard's browser tests and the dashboard benchmark: Debian's
// chromium (no browser download) driven by playwright-core, with the flags that work on this
// machine. Each page records console errors, uncaught exceptions and every request that leaves the
// admin listener, so a test can assert that there were none.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches Chromium (playwright gives it a fresh --user-data-dir); throws when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
}

export interface WatchedPage {
  page: Page;
  /** Console errors (with the URL they concern) and uncaught exceptions, as text. Chromium logs every
   *  answer >= 400 as one, so a test filters out those it caused on purpose (use `unexpectedErrors`). */
  errors: string[];
  /** Requests to anywhere but `origin` (blob: and data: URLs the page made itself are fine). */
  foreign: string[];
  /** Every request the page made, as method and URL. */
  requests: string[];
}

export async function watchedPage(
  browser: Browser,
  origin: string,
  viewport = { width: 1280, height: 800 },
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const w: WatchedPage = { page, errors: [], foreign: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") w.errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on("pageerror", (e) => w.errors.push(`uncaught: ${e.message}`));
  page.on("request", (r) => {
    const url = r.url();
    w.requests.push(`${r.method()} ${url}`);
    if (!url.startsWith(`${origin}/`) && !url.startsWith("blob:") && !url.startsWith("data:")) w.foreign.push(url);
  });
  return w;
}

/** Saves a screenshot under docs/screenshots/ only when UPDATE_SCREENSHOTS=1, so CI leaves the tree clean. */
export async function screenshot(page: Page, name: string, root: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== "1") return;
  const dir = join(root, "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  // Committed files: pngquant (Debian's pngquant), when present, makes them about a third the size.
  if (Bun.which("pngquant")) Bun.spawnSync(["pngquant", "--force", "--ext", ".png", "--quality", "70-95", file]);
}

/** The console errors that are not an answer the test asked for: a 401 while the page had no or a
 *  wrong token, a 404 from an API this build does not serve (`absent` paths). */
export function unexpectedErrors(w: WatchedPage, absent: readonly string[] = []): string[] {
  return w.errors.filter((e) => {
    if (/status of 401 /.test(e)) return false;
    return !(/status of 404 /.test(e) && absent.some((p) => e.includes(p)));
  });
}
