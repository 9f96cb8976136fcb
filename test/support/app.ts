// In-process fixtures: a real journal in a temp dir behind createApp, driven through app.handle.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createApp } from "../../src/app.ts";
import { buildConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { Journal, journalDir, quarantineDir } from "../../src/journal/journal.ts";
import { SegmentWriter, type WriterIo } from "../../src/journal/writer.ts";
import { computeSign } from "../../src/callback/sign.ts";

export const APP_ID = 1400000000;

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export function tempDir(prefix = "roomhook-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function makeConfig(file: Record<string, unknown>, dataDir: string): Config {
  return buildConfig({ file: { data_dir: dataDir, apps: [{ sdk_app_id: APP_ID }], ...file } });
}

export function startApp(
  opts: { file?: Record<string, unknown>; now?: () => number; io?: WriterIo; dataDir?: string } = {},
) {
  const dataDir = opts.dataDir ?? tempDir();
  const config = makeConfig(opts.file ?? {}, dataDir);
  const logs: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) });
  const journal = new Journal({
    dir: journalDir(dataDir),
    durability: config.journal.durability,
    segmentBytes: config.journal.segment_bytes,
    dedupeWindow: config.dedupe.window,
    io: opts.io,
  });
  const quarantine = new SegmentWriter({
    dir: quarantineDir(dataDir),
    durability: config.journal.durability,
    segmentBytes: config.journal.segment_bytes,
    io: opts.io,
  }).open();
  const { app, ingest, state } = createApp(config, { journal, quarantine, logger, now: opts.now });
  return {
    app,
    ingest,
    state,
    config,
    dataDir,
    journal,
    quarantine,
    logs,
    async close() {
      await journal.close();
      await quarantine.close();
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function callbackUrl(params: Record<string, string | number | undefined>, path = "/callback"): string {
  const u = new URL(`http://localhost${path}`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.toString();
}

/** Tencent's query string for `command`, signed when a token is given. */
export function tencentParams(
  command: string,
  extra: { token?: string; requestTime?: number; sdkAppId?: number | string } = {},
) {
  const rt = extra.requestTime ?? Math.floor(Date.now() / 1000);
  return {
    SdkAppid: extra.sdkAppId ?? APP_ID,
    CallbackCommand: command,
    contenttype: "json",
    ClientIP: "10.1.2.3",
    OptPlatform: "Web",
    ...(extra.token !== undefined ? { Sign: computeSign(extra.token, rt), RequestTime: rt } : {}),
  };
}

export function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Request {
  return new Request(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

export async function answer(res: Response) {
  return {
    status: res.status,
    body: (await res.json()) as { ActionStatus: string; ErrorInfo: string; ErrorCode: number },
  };
}

/** Every complete line of every segment in a directory, parsed. */
export function readLines(dir: string): Record<string, unknown>[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".jsonl"))
      .sort();
  } catch {
    return [];
  }
  return names.flatMap((n) =>
    readFileSync(join(dir, n), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

export function rawText(dir: string): string {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".jsonl"))
    .sort()
    .map((n) => readFileSync(join(dir, n), "utf8"))
    .join("");
}
