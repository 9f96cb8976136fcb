// End-to-end helpers: run the compiled binary dist/roomhook exactly as an operator would (its own
// process, a TOML file, a temp data_dir, a loopback port) and talk to it over real sockets.
import { EXAMPLES } from "../../src/callback/examples.ts";
import { bodyCommand } from "../../src/cli/send.ts";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
/** The binary under test: dist/roomhook, or E2E_ROOMHOOK_BIN (e.g. an installed or older build). */
export const BIN = process.env.E2E_ROOMHOOK_BIN ?? join(ROOT, "dist", "roomhook");

/** Throws (never skips) when the binary has not been built: e2e tests must not pass vacuously. */
export function requireBinary(): string {
  if (!existsSync(BIN)) throw new Error(`${BIN} does not exist: run npm run build first (npm run build writes dist/roomhook)`);
  return BIN;
}

export const APP = 1400000000;

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

/** The environment for a child: ours minus every ROOMHOOK_* variable, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ROOMHOOK_")) env[k] = v;
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// TOML

type TomlValue = string | number | boolean | string[] | number[];
export interface TomlConfig {
  data_dir?: string;
  server?: Record<string, TomlValue>;
  apps?: Record<string, TomlValue>[];
  journal?: Record<string, TomlValue>;
  dedupe?: Record<string, TomlValue>;
  admin?: Record<string, TomlValue>;
  log?: Record<string, TomlValue>;
}

function tomlValue(v: TomlValue): string {
  if (Array.isArray(v)) return `[${(v as TomlValue[]).map(tomlValue).join(", ")}]`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function tomlTable(name: string, t: Record<string, TomlValue>, array = false): string {
  const lines = [array ? `[[${name}]]` : `[${name}]`];
  for (const [k, v] of Object.entries(t)) lines.push(`${k} = ${tomlValue(v)}`);
  return lines.join("\n");
}

export function toToml(c: TomlConfig): string {
  const parts: string[] = [];
  if (c.data_dir !== undefined) parts.push(`data_dir = ${tomlValue(c.data_dir)}`);
  for (const key of ["server", "journal", "dedupe", "admin", "log"] as const) {
    const t = c[key];
    if (t) parts.push(tomlTable(key, t));
  }
  for (const a of c.apps ?? []) parts.push(tomlTable("apps", a, true));
  return `${parts.join("\n\n")}\n`;
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
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) onLine(buf);
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
        throw new Error(`no matching log line within ${timeoutMs} ms; stdout so far:\n${this.rawStdout.join("\n")}\nstderr:\n${this.stderr}`);
      }
      if (!this.alive && this.logs.slice(from).find(pred) === undefined) {
        await this.stdoutDone;
        const late = this.logs.slice(from).find(pred);
        if (late) return late;
        throw new Error(`roomhook exited (${this.proc.exitCode ?? this.proc.signalCode}) without the expected log line; stdout:\n${this.rawStdout.join("\n")}\nstderr:\n${this.stderr}`);
      }
      await Bun.sleep(10);
    }
  }

  /** Rejected/quarantined/unavailable log lines (one per failed request) since index `from`. */
  rejectionLines(from = 0): LogLine[] {
    return this.logs.slice(from).filter((l) => typeof l.status === "number" && (l.status as number) >= 400 && typeof l.reason === "string");
  }

  /** SIGTERM (or another signal) and the exit code; kills -9 and throws if it does not stop in time. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<number | null> {
    if (!this.alive) return this.proc.exitCode;
    this.proc.kill(signal);
    const t = await Promise.race([this.proc.exited.then(() => "exited" as const), Bun.sleep(timeoutMs).then(() => "timeout" as const)]);
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

function defaultConfig(dataDir: string): TomlConfig {
  return {
    data_dir: dataDir,
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP }],
    admin: { listen: "127.0.0.1:0" },
    log: { level: "info" },
  };
}

function mergeConfig(base: TomlConfig, over: TomlConfig = {}): TomlConfig {
  return {
    ...base,
    ...over,
    server: { ...base.server, ...over.server },
    journal: { ...base.journal, ...over.journal },
    dedupe: { ...base.dedupe, ...over.dedupe },
    admin: { ...base.admin, ...over.admin },
    log: { ...base.log, ...over.log },
    apps: over.apps ?? base.apps,
  };
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
  const proc = Bun.spawn([BIN, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv(opts.env),
    cwd: tmpdir(),
  });
  const r = new Roomhook(proc, dataDir, configPath);
  running.add(r);
  return r;
}

/** Spawns the binary and waits until it listens and GET /healthz answers 200. */
export async function startRoomhook(opts: StartOptions = {}): Promise<Roomhook> {
  const r = spawnRoomhook(opts);
  const timeout = opts.timeoutMs ?? 10_000;
  const line = await r.waitForLog((l) => l.msg === "roomhook listening", timeout);
  const listen = String(line.listen);
  const port = Number(listen.slice(listen.lastIndexOf(":") + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`cannot read the port from listen=${listen}`);
  r.port = port;
  const end = Date.now() + timeout;
  for (;;) {
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

export async function runCli(args: string[], opts: { env?: Record<string, string>; stdin?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
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
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  children.delete(proc);
  if (proc.signalCode) throw new Error(`roomhook ${args.join(" ")} was killed (${proc.signalCode}); stdout:\n${stdout}\nstderr:\n${stderr}`);
  return { code, stdout, stderr };
}

/** A long-running CLI child (tail -f) whose stdout lines are collected as they come. */
export function spawnCli(args: string[], opts: { env?: Record<string, string> } = {}) {
  requireBinary();
  const proc = Bun.spawn([BIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: childEnv(opts.env), cwd: tmpdir() });
  children.add(proc);
  const lines: string[] = [];
  const done = (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  })();
  return {
    proc,
    lines,
    async waitFor(pred: (lines: string[]) => boolean, timeoutMs = 5000): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (!pred(lines)) {
        if (Date.now() > end) throw new Error(`timed out; got ${lines.length} line(s):\n${lines.slice(-5).join("\n")}`);
        if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode}; stderr: ${await new Response(proc.stderr).text()}`);
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

// ---------------------------------------------------------------------------------------------
// Callbacks

export function sign(token: string, requestTime: number | string): string {
  return createHash("sha256").update(`${token}${requestTime}`).digest("hex");
}

export interface SendOptions {
  /** Default APP; null leaves the parameter out. */
  sdkAppId?: number | string | null;
  /** Spelling of the SdkAppid parameter (Room pages: SdkAppid; Live: SdkAppId). */
  sdkAppIdParam?: string;
  /** The query's CallbackCommand; default the body's; null leaves it out. */
  command?: string | null;
  /** The body: a string is sent byte for byte; an object is JSON.stringify'd. */
  body: string | object;
  /** Adds RequestTime and Sign = sha256hex(token + RequestTime). */
  token?: string;
  requestTime?: number;
  /** Overrides the computed Sign. */
  sign?: string;
  clientIp?: string;
  optPlatform?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
}

export interface SendResult {
  status: number;
  text: string;
  json: { ActionStatus?: string; ErrorCode?: number; ErrorInfo?: string } & Record<string, unknown>;
}

export function callbackQuery(o: Omit<SendOptions, "body"> & { bodyCommand?: string }): string {
  const p = new URLSearchParams();
  if (o.sdkAppId !== null) p.set(o.sdkAppIdParam ?? "SdkAppid", String(o.sdkAppId ?? APP));
  const cmd = o.command === undefined ? o.bodyCommand : o.command;
  if (cmd !== null && cmd !== undefined) p.set("CallbackCommand", cmd);
  p.set("contenttype", "json");
  p.set("ClientIP", o.clientIp ?? "127.0.0.1");
  p.set("OptPlatform", o.optPlatform ?? "RESTAPI");
  if (o.token !== undefined || o.sign !== undefined) {
    const rt = o.requestTime ?? Math.floor(Date.now() / 1000);
    p.set("Sign", o.sign ?? sign(o.token ?? "", rt));
    p.set("RequestTime", String(rt));
  } else if (o.requestTime !== undefined) {
    p.set("RequestTime", String(o.requestTime));
  }
  return p.toString();
}

/** POSTs one callback the way Tencent does (query string, optional Sign). */
export async function sendCallback(target: Roomhook | string, o: SendOptions): Promise<SendResult> {
  const base = typeof target === "string" ? target : target.base;
  const text = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
  const url = `${base}${o.path ?? "/callback"}?${callbackQuery({ ...o, bodyCommand: bodyCommand(text) })}`;
  const res = await fetch(url, {
    method: o.method ?? "POST",
    body: text,
    headers: { "content-type": "application/json", ...o.headers },
  });
  const answer = await res.text();
  let json: SendResult["json"] = {};
  try {
    json = JSON.parse(answer);
  } catch {}
  return { status: res.status, text: answer, json };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP (for chunked bodies and requests held open across a signal)

export interface RawConn {
  write(data: string | Uint8Array): void;
  /** The first complete response on the connection (status and body). */
  response: Promise<{ status: number; headers: string; body: string }>;
  close(): void;
}

export function rawConnect(port: number): Promise<RawConn> {
  return new Promise((resolveConn, rejectConn) => {
    const sock = connect({ host: "127.0.0.1", port });
    let buf = Buffer.alloc(0);
    let settle!: (v: { status: number; headers: string; body: string }) => void;
    let fail!: (e: Error) => void;
    const response = new Promise<{ status: number; headers: string; body: string }>((res, rej) => {
      settle = res;
      fail = rej;
    });
    response.catch(() => {});
    const tryParse = (final: boolean) => {
      const s = buf.toString("latin1");
      const end = s.indexOf("\r\n\r\n");
      if (end < 0) {
        if (final) fail(new Error(`connection closed before a response: ${JSON.stringify(s)}`));
        return;
      }
      const head = s.slice(0, end);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const rest = buf.subarray(Buffer.byteLength(s.slice(0, end + 4), "latin1"));
      if (cl) {
        if (rest.length >= Number(cl[1])) settle({ status, headers: head, body: rest.subarray(0, Number(cl[1])).toString("utf8") });
        else if (final) fail(new Error("connection closed mid-body"));
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        // Decode chunks.
        let out = "";
        let r = rest.toString("latin1");
        for (;;) {
          const nl = r.indexOf("\r\n");
          if (nl < 0) break;
          const n = parseInt(r.slice(0, nl), 16);
          if (n === 0) return settle({ status, headers: head, body: Buffer.from(out, "latin1").toString("utf8") });
          if (r.length < nl + 2 + n + 2) break;
          out += r.slice(nl + 2, nl + 2 + n);
          r = r.slice(nl + 2 + n + 2);
        }
        if (final) settle({ status, headers: head, body: Buffer.from(out, "latin1").toString("utf8") });
      } else if (final) {
        settle({ status, headers: head, body: rest.toString("utf8") });
      }
    };
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    sock.on("end", () => tryParse(true));
    sock.on("close", () => tryParse(true));
    sock.on("error", (e) => {
      fail(e);
      rejectConn(e);
    });
    sock.on("connect", () =>
      resolveConn({
        write: (d) => void sock.write(d),
        response,
        close: () => sock.destroy(),
      }),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Reading the journal files directly

export interface JournalLine {
  file: string;
  raw: string;
  entry: Record<string, unknown> & { seq: number; id: string; type: string; data: Record<string, unknown> };
}

export function segmentFiles(dataDir: string, sub: "journal" | "quarantine" = "journal"): string[] {
  const dir = join(dataDir, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d{20}\.jsonl$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Every complete line of every segment, in file order. Unparseable lines throw. */
export function readJournal(dataDir: string, sub: "journal" | "quarantine" = "journal"): JournalLine[] {
  const out: JournalLine[] = [];
  for (const file of segmentFiles(dataDir, sub)) {
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n");
    lines.pop(); // after the last newline: "" or a torn tail
    for (const raw of lines) out.push({ file, raw, entry: JSON.parse(raw) });
  }
  return out;
}

export function journalText(dataDir: string, sub: "journal" | "quarantine" = "journal"): string {
  return segmentFiles(dataDir, sub)
    .map((f) => readFileSync(f, "utf8"))
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Bodies: the six official examples (src/callback/examples.ts), the update one pretty-printed as on
// Tencent's page, so one of them spans several lines as a real sender may send it.

export const OFFICIAL_EXAMPLES: Record<string, string> = {
  ...EXAMPLES,
  "Room.CallbackAfterUpdateRoomInfo": JSON.stringify(JSON.parse(EXAMPLES["Room.CallbackAfterUpdateRoomInfo"]), null, 2),
};

let uniq = 0;
/** A valid, unique Room.CallbackAfterMemberEnter body (unique RoomId and EventTime). */
export function memberEnter(roomId = `room-${process.pid}-${++uniq}`, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    CallbackCommand: "Room.CallbackAfterMemberEnter",
    Operator_Account: "user1",
    RoomId: roomId,
    MemberCount: 2,
    Type: "Enter",
    MemberList_Account: ["user1"],
    EventTime: Date.now() * 1000 + (++uniq % 1000),
    ...extra,
  });
}

/** Asserts the Tencent FAIL shape and returns it (for chaining in expect()). */
export function isFailAnswer(r: SendResult): boolean {
  return r.json.ActionStatus === "FAIL" && typeof r.json.ErrorCode === "number" && r.json.ErrorCode !== 0 && typeof r.json.ErrorInfo === "string" && r.json.ErrorInfo.length > 0;
}

export const OK_ANSWER = { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 };
