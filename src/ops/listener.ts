// The callback listener. Built so it can be replaced while running: SIGHUP with new TLS files starts
// a second listener on the same port (SO_REUSEPORT) and lets the old one drain, so certificates
// rotate without refusing a single connection. Bun cannot swap TLS material on a live server.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "bun";
import type { Config } from "../config/schema.ts";
import { methodNotAllowed } from "../callback/route.ts";
import { parseListen, type ListenAddress } from "../net/address.ts";

export interface ListenerHandlers {
  handleCallback: (request: Request, server: Server<undefined>) => Promise<Response>;
  fetch: (request: Request) => Response | Promise<Response>;
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/** Reads the configured certificate and key (both or neither; the config loader checked that). */
export function readTls(c: Config): TlsFiles | undefined {
  if (!c.server.tls_cert || !c.server.tls_key) return undefined;
  return { cert: readFileSync(c.server.tls_cert, "utf8"), key: readFileSync(c.server.tls_key, "utf8") };
}

/** Identifies TLS material without keeping the key around in a comparable form. */
export function tlsFingerprint(tls: TlsFiles | undefined): string {
  return tls ? createHash("sha256").update(tls.cert).update("\0").update(tls.key).digest("hex") : "plain";
}

function routesFor(c: Config, h: ListenerHandlers) {
  return {
    [c.server.path]: {
      POST: h.handleCallback,
      GET: methodNotAllowed,
      PUT: methodNotAllowed,
      DELETE: methodNotAllowed,
      PATCH: methodNotAllowed,
    },
  };
}

/** How long a replaced listener keeps answering (with Connection: close) before it stops. */
export const RETIRE_AFTER_MS = 3_000;

/**
 * Retires a listener that a new one (same port) has replaced. Stopping it at once would close its
 * idle keep-alive connections under clients that may be sending on them that very moment; instead
 * every answer it still gives says Connection: close, so clients move to new connections (which
 * the new listener takes), and only then does it stop, letting requests in flight finish.
 */
export function retireListener(
  old: Server<undefined>,
  c: Config,
  h: ListenerHandlers,
  afterMs = RETIRE_AFTER_MS,
): Promise<void> {
  const closing =
    <A extends unknown[]>(f: (...a: A) => Response | Promise<Response>) =>
    async (...a: A): Promise<Response> => {
      const r = await f(...a);
      r.headers.set("connection", "close");
      return r;
    };
  const wrapped: ListenerHandlers = { handleCallback: closing(h.handleCallback), fetch: closing(h.fetch) };
  old.reload({ routes: routesFor(c, { ...wrapped, handleCallback: wrapped.handleCallback }), fetch: wrapped.fetch });
  return new Promise((resolve) => {
    setTimeout(() => void old.stop(false).then(resolve, resolve), afterMs).unref();
  });
}

export function startListener(
  c: Config,
  port: number,
  hostname: string,
  tls: TlsFiles | undefined,
  h: ListenerHandlers,
): Server<undefined> {
  return Bun.serve({
    hostname,
    port,
    tls,
    reusePort: true,
    development: false,
    // Our own check answers 413 (Tencent-style body, a log line) from Content-Length before reading,
    // and cuts chunked bodies while streaming; Bun's limit must never pre-empt it with a bare 413.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 30,
    // The callback path is a native route to the same handler the Elysia app mounts: measured
    // faster under load than going through the framework; everything else is the Elysia app.
    routes: routesFor(c, h),
    fetch: h.fetch,
  });
}

/**
 * The callback endpoint's listener as one object: started once, replaced on SIGHUP when the TLS
 * files changed (the old one retires), and stopped with every retiring one at shutdown.
 */
export class CallbackListener {
  private server: Server<undefined>;
  private tls: TlsFiles | undefined;
  private readonly retiring = new Set<Server<undefined>>();

  /** `config` is the one started with: its path and address hold until a restart. */
  constructor(
    private readonly config: Config,
    private readonly handlers: ListenerHandlers,
  ) {
    const listen = parseListen(config.server.listen) as ListenAddress;
    this.tls = readTls(config);
    this.server = startListener(config, listen.port, listen.hostname, this.tls, handlers);
  }

  /** host:port actually bound (the port is chosen by the kernel for port 0). */
  get address(): string {
    return `${this.server.hostname}:${this.server.port}`;
  }

  /** Applies new TLS material, if any: true when the listener was replaced. Throws on unreadable files. */
  reload(next: Config): boolean {
    const nextTls = readTls(next);
    if (tlsFingerprint(nextTls) === tlsFingerprint(this.tls)) return false;
    const fresh = startListener(this.config, this.server.port!, this.server.hostname!, nextTls, this.handlers);
    const old = this.server;
    this.server = fresh;
    this.tls = nextTls;
    this.retiring.add(old);
    void retireListener(old, this.config, this.handlers).then(() => this.retiring.delete(old));
    return true;
  }

  /**
   * Stops taking connections and lets requests in flight finish; after `deadlineMs` the remaining
   * connections are closed. Resolves "timeout" when the deadline cut it short.
   */
  async stop(deadlineMs: number): Promise<"drained" | "timeout"> {
    const all = [this.server, ...this.retiring];
    const graceful = Promise.all(all.map((s) => s.stop(false))).then(() => "drained" as const);
    const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), deadlineMs).unref());
    const how = await Promise.race([graceful, deadline]);
    if (how === "timeout") await Promise.all(all.map((s) => s.stop(true)));
    return how;
  }
}
