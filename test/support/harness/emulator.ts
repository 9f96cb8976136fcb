// `roomhook emulate` run from the binary under test, on a free port, with its secret key in a temp
// file; REST calls to it signed by Tencent's own tls-sig-api-v2 (the oracle), and reads of its
// /emulator/ endpoints.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { FiredCallback } from "../../../src/emulator/callbacks.ts";
import { oracleUserSig } from "../usersig-oracle.ts";
import { APP } from "./config.ts";
import { streamLines } from "./lines.ts";
import { BIN, childEnv, requireBinary, tempDir, track } from "./process.ts";

export const EMU_KEY = "e2e-emulator-secret-key-7f3a";
export const EMU_ADMIN = "administrator";

export interface RestReply {
  ActionStatus: string;
  ErrorCode: number;
  ErrorInfo: string;
  RequestId?: string;
  Response?: Record<string, unknown>;
}

export class EmulatorProcess {
  readonly logs: Record<string, unknown>[] = [];
  port = 0;
  private readonly untrack: () => void;

  constructor(
    readonly proc: Subprocess<"ignore", "pipe", "pipe">,
    readonly keyFile: string,
  ) {
    this.untrack = track(proc);
    void (async () => {
      for await (const line of streamLines(proc.stdout)) {
        try {
          this.logs.push(JSON.parse(line));
        } catch {}
      }
    })();
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async waitForLog(msg: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs.find((l) => l.msg === msg);
      if (hit) return hit;
      if (this.proc.exitCode !== null)
        throw new Error(`emulate exited ${this.proc.exitCode}: ${await new Response(this.proc.stderr).text()}`);
      if (Date.now() > end) throw new Error(`no "${msg}" log line within ${timeoutMs} ms`);
      await Bun.sleep(20);
    }
  }

  /** A REST call with Tencent's query string and a UserSig from tls-sig-api-v2. */
  async rest(path: string, body: unknown, o: { identifier?: string; key?: string } = {}): Promise<RestReply> {
    const identifier = o.identifier ?? EMU_ADMIN;
    const q = new URLSearchParams({
      sdkappid: String(APP),
      identifier,
      usersig: oracleUserSig(APP, o.key ?? EMU_KEY, identifier, 600),
      random: String(Math.floor(Math.random() * 2 ** 32)),
      contenttype: "json",
    });
    const res = await fetch(`${this.base}/v4/${path}?${q}`, { method: "POST", body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`REST ${path}: HTTP ${res.status}`);
    return (await res.json()) as RestReply;
  }

  async post(path: string, body: unknown): Promise<RestReply> {
    const res = await fetch(`${this.base}/emulator/${path}`, { method: "POST", body: JSON.stringify(body) });
    return (await res.json()) as RestReply;
  }

  async get<T = Record<string, unknown>>(path: string): Promise<T> {
    const res = await fetch(`${this.base}/emulator/${path}`);
    if (res.status !== 200) throw new Error(`GET /emulator/${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  /** Every callback record, paged through GET /emulator/callbacks. */
  async callbacks(): Promise<EmulatedCallback[]> {
    const out: EmulatedCallback[] = [];
    for (;;) {
      const page = await this.get<{ callbacks: EmulatedCallback[] }>(`callbacks?since=${out.length}&limit=10000`);
      if (page.callbacks.length === 0) return out;
      out.push(...page.callbacks);
    }
  }

  /** Waits until nothing is queued or in flight (and a scenario, if any, has finished). */
  async settled(timeoutMs = 60_000): Promise<{ fired: number; acknowledged: number; failed: number }> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.get<{
        callbacks: { fired: number; pending: number; acknowledged: number; failed: number };
        scenario: { running: boolean } | null;
      }>("status");
      if (s.callbacks.pending === 0 && !s.scenario?.running) return s.callbacks;
      if (Date.now() > end) throw new Error(`the emulator did not settle: ${JSON.stringify(s)}`);
      await Bun.sleep(50);
    }
  }

  async stop(): Promise<number> {
    this.proc.kill("SIGTERM");
    const code = await this.proc.exited;
    this.untrack();
    return code;
  }
}

/** What GET /emulator/callbacks lists: the emulator's own record of a callback it fired. */
export type EmulatedCallback = FiredCallback;

/** Starts `roomhook emulate` on a free loopback port and waits until it listens. */
export async function startEmulator(args: string[] = [], env: Record<string, string> = {}): Promise<EmulatorProcess> {
  requireBinary();
  const keyFile = join(tempDir("emu"), "secret-key");
  writeFileSync(keyFile, `${EMU_KEY}\n`, { mode: 0o600 });
  const proc = Bun.spawn(
    [BIN, "emulate", "--listen", "127.0.0.1:0", "--sdk-app-id", String(APP), "--secret-key-file", keyFile, ...args],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: childEnv(env) },
  );
  const em = new EmulatorProcess(proc, keyFile);
  const line = await em.waitForLog("emulator listening");
  const listen = String(line.listen);
  em.port = Number(listen.slice(listen.lastIndexOf(":") + 1));
  return em;
}
