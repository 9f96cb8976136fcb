// The callback listener, the one place that binds the callback endpoint. Two modes:
// - its own socket (server.listen): Bun.serve. SIGHUP with new TLS files starts a second listener
//   on the same port (SO_REUSEPORT) and lets the old one drain, so certificates rotate without
//   refusing a single connection. Bun cannot swap TLS material on a live server.
// - a socket inherited from systemd (socket activation, src/ops/socket-activation.ts): served by
//   InheritedListener (node:net + node:http, src/ops/inherited-listener.ts), whose TLS context is
//   swapped in place for the connections that follow.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "bun";
import type { Config } from "../config/schema.ts";
import type { PeerLookup } from "../callback/ingest.ts";
import { methodNotAllowed } from "../callback/route.ts";
import { parseListen, type ListenAddress } from "../net/address.ts";
import { DRAIN_IDLE_MS, InheritedListener, type BridgeHandler } from "./inherited-listener.ts";
import type { InheritedSocket } from "./socket-activation.ts";

export interface ListenerHandlers {
  handleCallback: (request: Request, peer: PeerLookup) => Promise<Response>;
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

const NOT_ALLOWED = new Set(["GET", "PUT", "DELETE", "PATCH"]);

/** The routes of routesFor() as one function, for the inherited socket's node:http bridge. */
export function bridgeHandler(c: Config, h: ListenerHandlers): BridgeHandler {
  const path = c.server.path;
  return async (request, peer) => {
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const q = url.indexOf("?", start);
    if (url.slice(start, q < 0 ? undefined : q) === path) {
      if (request.method === "POST") return h.handleCallback(request, peer);
      if (NOT_ALLOWED.has(request.method)) return methodNotAllowed();
    }
    return h.fetch(request);
  };
}

/** Every answer of `h` says Connection: close (a listener that is retiring or draining). */
function closingHandlers(h: ListenerHandlers): ListenerHandlers {
  const closing =
    <A extends unknown[]>(f: (...a: A) => Response | Promise<Response>) =>
    async (...a: A): Promise<Response> => {
      const r = await f(...a);
      r.headers.set("connection", "close");
      return r;
    };
  return { handleCallback: closing(h.handleCallback), fetch: closing(h.fetch) };
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
  const wrapped = closingHandlers(h);
  old.reload({ routes: routesFor(c, wrapped), fetch: wrapped.fetch });
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
 * The callback endpoint's listener as one object: started once (on its own socket or on the one
 * systemd passed), given new TLS material on SIGHUP, and drained at shutdown.
 */
export class CallbackListener {
  private server: Server<undefined> | null = null;
  private inherited: InheritedListener | null = null;
  private tls: TlsFiles | undefined;
  private readonly retiring = new Set<Server<undefined>>();

  /** `config` is the one started with: its path and address hold until a restart. */
  private constructor(
    private readonly config: Config,
    private readonly handlers: ListenerHandlers,
  ) {
    this.tls = readTls(config);
  }

  /** Binds server.listen, or adopts `inherited` (rejects when it is not a listening TCP socket). */
  static async open(
    config: Config,
    handlers: ListenerHandlers,
    inherited?: InheritedSocket,
  ): Promise<CallbackListener> {
    const l = new CallbackListener(config, handlers);
    if (inherited) {
      l.inherited = await InheritedListener.adopt(inherited.fd, bridgeHandler(config, handlers), l.tls);
    } else {
      const listen = parseListen(config.server.listen) as ListenAddress;
      l.server = startListener(config, listen.port, listen.hostname, l.tls, handlers);
    }
    return l;
  }

  /** host:port actually bound (the port is chosen by the kernel for port 0). */
  get address(): string {
    if (this.inherited) {
      const a = this.inherited.address;
      return a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    }
    return `${this.server!.hostname}:${this.server!.port}`;
  }

  /** The bound port. */
  get port(): number {
    return this.inherited ? this.inherited.address.port : this.server!.port!;
  }

  /** Applies new TLS material, if any: true when it changed. Throws on unreadable files. */
  reload(next: Config): boolean {
    const nextTls = readTls(next);
    if (tlsFingerprint(nextTls) === tlsFingerprint(this.tls)) return false;
    if (this.inherited) {
      this.inherited.setTls(nextTls);
      this.tls = nextTls;
      return true;
    }
    const old = this.server!;
    const fresh = startListener(this.config, old.port!, old.hostname!, nextTls, this.handlers);
    this.server = fresh;
    this.tls = nextTls;
    this.retiring.add(old);
    void retireListener(old, this.config, this.handlers).then(() => this.retiring.delete(old));
    return true;
  }

  /**
   * Stops taking connections and lets requests in flight finish; after `deadlineMs` the remaining
   * connections are closed. Resolves "timeout" when the deadline cut it short.
   *
   * Own socket: Bun's stop(false) closes idle keep-alive connections at once, under a client that
   * may be sending on one that very moment. So for DRAIN_IDLE_MS first every answer says
   * Connection: close (busy connections leave after their next request), and only then does it
   * stop: what it still cuts had been silent that long. Requests whose bytes have arrived are
   * answered either way.
   */
  async stop(deadlineMs: number): Promise<"drained" | "timeout"> {
    if (this.inherited) return this.inherited.stop(deadlineMs);
    const started = Date.now();
    const server = this.server!;
    if (deadlineMs > DRAIN_IDLE_MS) {
      const wrapped = closingHandlers(this.handlers);
      server.reload({ routes: routesFor(this.config, wrapped), fetch: wrapped.fetch });
      await Bun.sleep(DRAIN_IDLE_MS);
    }
    const all = [server, ...this.retiring];
    const graceful = Promise.all(all.map((s) => s.stop(false))).then(() => "drained" as const);
    const left = Math.max(0, deadlineMs - (Date.now() - started));
    const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), left).unref());
    const how = await Promise.race([graceful, deadline]);
    if (how === "timeout") await Promise.all(all.map((s) => s.stop(true)));
    return how;
  }
}
