// Runs the compiled binary dist/roomhook exactly as an operator would (its own process, a TOML
// file, a temp data_dir, a loopback port) and stops every process it started, by pid, in cleanup().
// Module state (temp dirs, live processes) is shared by every importer in one process: the e2e
// tests and the fault scripts alike.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { defaultConfig, mergeConfig, toToml, type TomlConfig } from "./config.ts";
import { streamLines } from "./lines.ts";

export const ROOT = resolve(import.meta.dir, "../../..");
/** The binary under test: dist/roomhook, or E2E_ROOMHOOK_BIN (e.g. an installed or older build). */
export const BIN = process.env.E2E_ROOMHOOK_BIN ?? join(ROOT, "dist", "roomhook");

/** Throws (never skips) when the binary has not been built: e2e tests must not pass vacuously. */
export function requireBinary(): string {
  if (!existsSync(BIN))
    throw new Error(`${BIN} does not exist: run npm run build first (npm run build writes dist/roomhook)`);
  return BIN;
}

// ---------------------------------------------------------------------------------------------
// Temp directories and cleanup

const tempDirs: string[] = [];
const running = new Set<Roomhook>();
const children = new Set<Subprocess>();

export function tempDir(label = "e2e"): string {
  const d = mkdtempSync(join(tmpdir(), `roomhook-${label}-`));
  tempDirs.push(d);
  return d;
}

/** Kills every process this file started that is still alive and removes the temp dirs. */
export async function cleanup(): Promise<void> {
  for (const r of [...running]) await r.kill9().catch(() => {});
  for (const c of [...children]) {
    if (c.exitCode === null && c.signalCode === null) c.kill(9);
    await c.exited.catch(() => {});
    children.delete(c);
  }
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Registers a child process for cleanup(); the returned function forgets it once it has exited. */
export function track(proc: Subprocess): () => void {
  children.add(proc);
  return () => void children.delete(proc);
}

/** The environment for a child: ours minus every ROOMHOOK_* variable, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ROOMHOOK_")) env[k] = v;
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Running the service

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface StartOptions {
  /** Defaults to a new temp dir. */
  dataDir?: string;
  /** Merged over the defaults (loopback port 0, one app APP, admin on a loopback port 0). */
  config?: TomlConfig;
  /** Raw TOML to write instead of `config`. */
  tomlText?: string;
  /** Don't pass --config at all (environment / flags only). */
  noConfig?: boolean;
  args?: string[];
  env?: Record<string, string>;
  /** ms to wait for "roomhook listening" and /healthz. */
  timeoutMs?: number;
  /** The binary to run (default dist/roomhook): an upgrade test swaps it. */
  binary?: string;
}

export class Roomhook {
  readonly logs: LogLine[] = [];
  readonly rawStdout: string[] = [];
  stderr = "";
  port = 0;
  private stdoutDone: Promise<void>;
  private stderrDone: Promise<void>;
  private exitCodeValue: number | null = null;

  constructor(
    readonly proc: Subprocess<"ignore", "pipe", "pipe">,
    readonly dataDir: string,
    readonly configPath: string | null,
  ) {
    this.stdoutDone = this.pump(proc.stdout, (line) => {
      this.rawStdout.push(line);
      try {
        const v = JSON.parse(line);
        if (v && typeof v === "object") this.logs.push(v as LogLine);
      } catch {}
    });
    this.stderrDone = (async () => {
      this.stderr = await new Response(proc.stderr).text();
    })();
    void proc.exited.then((c) => {
      this.exitCodeValue = c;
      running.delete(this);
    });
  }

  private async pump(stream: ReadableStream<Uint8Array>, onLine: (l: string) => void): Promise<void> {
    for await (const line of streamLines(stream)) onLine(line);
  }

  get pid(): number {
    return this.proc.pid;
  }
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get callbackUrl(): string {
    return `${this.base}/callback`;
  }
  get alive(): boolean {
    return this.exitCodeValue === null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits for a log line matching `pred` (already seen or arriving within `timeoutMs`). */
  async waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 5000, from = 0): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > end) {
        throw new Error(
          `no matching log line within ${timeoutMs} ms; stdout so far:\n${this.rawStdout.join("\n")}\nstderr:\n${this.stderr}`,
        );
      }
      if (!this.alive && this.logs.slice(from).find(pred) === undefined) {
        await this.stdoutDone;
        const late = this.logs.slice(from).find(pred);
        if (late) return late;
        throw new Error(
          `roomhook exited (${this.proc.exitCode ?? this.proc.signalCode}) without the expected log line; stdout:\n${this.rawStdout.join("\n")}\nstderr:\n${this.stderr}`,
        );
      }
      await Bun.sleep(10);
    }
  }

  /** Rejected/quarantined/unavailable log lines (one per failed request) since index `from`. */
  rejectionLines(from = 0): LogLine[] {
    return this.logs
      .slice(from)
      .filter((l) => typeof l.status === "number" && (l.status as number) >= 400 && typeof l.reason === "string");
  }

  /** SIGTERM (or another signal) and the exit code; kills -9 and throws if it does not stop in time. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<number | null> {
    if (!this.alive) return this.proc.exitCode;
    this.proc.kill(signal);
    const t = await Promise.race([
      this.proc.exited.then(() => "exited" as const),
      Bun.sleep(timeoutMs).then(() => "timeout" as const),
    ]);
    if (t === "timeout") {
      this.proc.kill(9);
      await this.proc.exited;
      throw new Error(`roomhook did not exit within ${timeoutMs} ms of ${signal}`);
    }
    await this.stdoutDone;
    await this.stderrDone;
    return this.proc.exitCode;
  }

  /** kill -9: no chance to drain, sync or close anything. Returns the signal seen. */
  async kill9(): Promise<string | null> {
    if (this.alive) this.proc.kill(9);
    await this.proc.exited;
    await this.stdoutDone.catch(() => {});
    running.delete(this);
    return this.proc.signalCode === null ? null : String(this.proc.signalCode);
  }

  async exited(): Promise<number> {
    const c = await this.proc.exited;
    await this.stdoutDone;
    await this.stderrDone;
    return c;
  }
}

/** Spawns the binary without waiting for it (for start-up failures). */
export function spawnRoomhook(opts: StartOptions = {}): Roomhook {
  requireBinary();
  const dataDir = opts.dataDir ?? join(tempDir("data"), "data");
  let configPath: string | null = null;
  const args: string[] = ["serve"];
  if (!opts.noConfig) {
    configPath = join(tempDir("cfg"), "roomhook.toml");
    writeFileSync(configPath, opts.tomlText ?? toToml(mergeConfig(defaultConfig(dataDir), opts.config)));
    args.push("--config", configPath);
  }
  args.push(...(opts.args ?? []));
  const proc = spawnBinary(args, opts.env, opts.binary);
  const r = new Roomhook(proc, dataDir, configPath);
  running.add(r);
  return r;
}

/** Spawns the binary and waits until it listens and GET /healthz answers 200. */
export async function startRoomhook(opts: StartOptions = {}): Promise<Roomhook> {
  return await waitListening(spawnRoomhook(opts), opts.timeoutMs ?? 10_000);
}

/**
 * Waits for "roomhook listening" (its port becomes r.port) and, unless `health` is false (HTTPS),
 * GET /healthz answering 200.
 */
export async function waitListening(r: Roomhook, timeout = 10_000, health = true): Promise<Roomhook> {
  const line = await r.waitForLog((l) => l.msg === "roomhook listening", timeout);
  const listen = String(line.listen);
  const port = Number(listen.slice(listen.lastIndexOf(":") + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`cannot read the port from listen=${listen}`);
  r.port = port;
  const end = Date.now() + timeout;
  while (health) {
    try {
      const res = await fetch(`${r.base}/healthz`);
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > end) throw new Error("GET /healthz never answered 200");
    await Bun.sleep(20);
  }
  return r;
}

/** A port nobody listens on right now (bound and released). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

// ---------------------------------------------------------------------------------------------
// The CLI

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  requireBinary();
  const proc = Bun.spawn([BIN, ...args], {
    stdin: opts.stdin !== undefined ? new Blob([opts.stdin]) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv(opts.env),
    cwd: opts.cwd ?? tmpdir(),
  });
  children.add(proc);
  const timer = setTimeout(() => proc.kill(9), opts.timeoutMs ?? 15_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  children.delete(proc);
  if (proc.signalCode)
    throw new Error(
      `roomhook ${args.join(" ")} was killed (${proc.signalCode}); stdout:\n${stdout}\nstderr:\n${stderr}`,
    );
  return { code, stdout, stderr };
}

/** dist/roomhook with `args`, run from a temp dir (no stray relative paths), output piped. */
function spawnBinary(args: string[], env?: Record<string, string>, binary = BIN): Subprocess<"ignore", "pipe", "pipe"> {
  return Bun.spawn([binary, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv(env),
    cwd: tmpdir(),
  });
}

/** A long-running CLI child (tail -f) whose stdout lines are collected as they come. */
export function spawnCli(args: string[], opts: { env?: Record<string, string> } = {}) {
  requireBinary();
  const proc = spawnBinary(args, opts.env);
  children.add(proc);
  const lines: string[] = [];
  const done = (async () => {
    for await (const line of streamLines(proc.stdout)) lines.push(line);
  })();
  return {
    proc,
    lines,
    async waitFor(pred: (lines: string[]) => boolean, timeoutMs = 5000): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (!pred(lines)) {
        if (Date.now() > end) throw new Error(`timed out; got ${lines.length} line(s):\n${lines.slice(-5).join("\n")}`);
        if (proc.exitCode !== null)
          throw new Error(`exited ${proc.exitCode}; stderr: ${await new Response(proc.stderr).text()}`);
        await Bun.sleep(20);
      }
    },
    async stop(): Promise<number | null> {
      proc.kill("SIGTERM");
      const t = await Promise.race([proc.exited.then(() => "ok"), Bun.sleep(5000).then(() => "timeout")]);
      if (t === "timeout") proc.kill(9);
      await proc.exited;
      await done;
      children.delete(proc);
      return t === "timeout" ? null : proc.exitCode;
    },
  };
}
