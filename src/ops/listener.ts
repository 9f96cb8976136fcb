// The callback listener, the one place that binds the callback endpoint. Two modes:
// - its own socket (server.listen): Bun.serve. SIGHUP with new TLS files starts a second listener
//   on the same port (SO_REUSEPORT) and lets the old one drain, so certificates rotate without
//   refusing a single connection. Bun cannot swap TLS material on a live server.
// - a socket inherited from systemd (socket activation, src/ops/socket-activation.ts): the same
//   Bun.serve on a loopback port of its own (the "inner" server), fed by InheritedRelay
//   (src/ops/relay.ts), which accepts on the inherited socket and pipes the bytes through. TLS is
//   the inner server's, so a rotation replaces it the same way; the relay sends new connections to
//   the new one.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "bun";
import type { Config } from "../config/schema.ts";
import type { PeerLookup } from "../callback/ingest.ts";
import { ackResponse, ErrorCodes, fail } from "../callback/ack.ts";
import { methodNotAllowed } from "../callback/route.ts";
import { parseListen, type ListenAddress } from "../net/address.ts";
import { InheritedRelay } from "./relay.ts";
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

/**
 * Draining an inherited socket, how long every answer says Connection: close before the inner
 * server stops (and closes the keep-alive connections that were silent all along).
 */
export const DRAIN_IDLE_MS = 500;

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

/** The inner server's handlers: the callback sees the real peer through the relay, or is refused. */
function relayed(h: ListenerHandlers, relay: () => InheritedRelay): ListenerHandlers {
  const outside = () => ackResponse(fail(403, ErrorCodes.SOURCE_NOT_ALLOWED, "source address is not allowed"));
  return {
    fetch: h.fetch,
    handleCallback: (request, server) => {
      const inner = server as Server<undefined>;
      const peer = relay().peerFor(request, inner);
      return peer ? h.handleCallback(request, { requestIP: () => peer }) : Promise.resolve(outside());
    },
  };
}

/**
 * The callback endpoint's listener as one object: started once (on its own socket or on the one
 * systemd passed), given new TLS material on SIGHUP (a new server; the old one retires), and
 * drained at shutdown.
 */
export class CallbackListener {
  private server: Server<undefined>;
  private tls: TlsFiles | undefined;
  private readonly retiring = new Set<Server<undefined>>();
  private relay: InheritedRelay | null = null;
  private readonly handlers: ListenerHandlers;

  /**
   * Binds server.listen, or adopts `inherited` (throws when it is not a listening TCP socket).
   * `config` is the one started with: its path and address hold until a restart.
   */
  constructor(
    private readonly config: Config,
    handlers: ListenerHandlers,
    inherited: InheritedSocket | undefined,
  ) {
    this.tls = readTls(config);
    this.handlers = inherited ? relayed(handlers, () => this.relay!) : handlers;
    const listen = inherited
      ? { hostname: "127.0.0.1", port: 0 }
      : (parseListen(config.server.listen) as ListenAddress);
    this.server = startListener(config, listen.port, listen.hostname, this.tls, this.handlers);
    if (!inherited) return;
    try {
      this.relay = new InheritedRelay(inherited.fd, () => this.server.port!);
    } catch (e) {
      this.server.stop(true);
      throw e;
    }
  }

  /** host:port the endpoint is reached at (the port is chosen by the kernel for port 0). */
  get address(): string {
    const a = this.relay ? this.relay.address : { hostname: this.server.hostname!, port: this.server.port! };
    return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
  }

  /** With an inherited socket, where its inner server listens (loopback); else null. */
  get innerAddress(): string | null {
    return this.relay ? `127.0.0.1:${this.server.port}` : null;
  }

  /** The port the endpoint is reached at. */
  get port(): number {
    return this.relay ? this.relay.address.port : this.server.port!;
  }

  /** Applies new TLS material, if any: true when the server was replaced. Throws on unreadable files. */
  reload(next: Config): boolean {
    const nextTls = readTls(next);
    if (tlsFingerprint(nextTls) === tlsFingerprint(this.tls)) return false;
    const old = this.server;
    // The inner server of a relay takes a new loopback port (the relay connects there from now on);
    // an own socket's server joins the same port with SO_REUSEPORT.
    const port = this.relay ? 0 : old.port!;
    this.server = startListener(this.config, port, old.hostname!, nextTls, this.handlers);
    this.tls = nextTls;
    this.retiring.add(old);
    void retireListener(old, this.config, this.handlers).then(() => this.retiring.delete(old));
    return true;
  }

  /**
   * Stops taking connections and lets requests in flight finish; after `deadlineMs` the remaining
   * connections are closed. Resolves "timeout" when the deadline cut it short.
   *
   * Every answer from now on says Connection: close. Bun's stop(false) closes the listening socket
   * and, at once, every keep-alive connection without a request under way; a request whose bytes
   * have arrived is answered. But one still on its way over an idle connection meets a closed
   * socket. On a socket of its own that cannot be helped (the listener must close now, and Bun
   * closes both together). On an inherited socket it can: the relay stops accepting (systemd keeps
   * the socket; the kernel queues new connections for the next process) while the inner server
   * keeps its connections DRAIN_IDLE_MS longer, so busy ones leave after their next answer and
   * stop(false) cuts only connections that had been silent that long.
   */
  async stop(deadlineMs: number): Promise<"drained" | "timeout"> {
    const end = Date.now() + deadlineMs;
    const wrapped = closingHandlers(this.handlers);
    this.server.reload({ routes: routesFor(this.config, wrapped), fetch: wrapped.fetch });
    const relay = this.relay;
    if (relay) {
      relay.stopAccepting();
      if (deadlineMs > DRAIN_IDLE_MS) await Bun.sleep(DRAIN_IDLE_MS);
    }
    const all = [this.server, ...this.retiring];
    const graceful = Promise.all(all.map((s) => s.stop(false)))
      .then(() => relay && waitFor(() => relay.open === 0))
      .then(() => "drained" as const);
    const deadline = new Promise<"timeout">((r) =>
      setTimeout(() => r("timeout"), Math.max(0, end - Date.now())).unref(),
    );
    const how = await Promise.race([graceful, deadline]);
    if (how === "timeout") {
      await Promise.all(all.map((s) => s.stop(true)));
      relay?.destroyAll();
    }
    return how;
  }
}

async function waitFor(done: () => boolean): Promise<void> {
  while (!done()) await Bun.sleep(10);
}
