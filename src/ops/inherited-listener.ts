// The callback endpoint on a listening socket inherited from systemd (socket activation). Bun.serve
// cannot serve an existing fd (oven-sh/bun#22559), so node:net adopts it and hands each connection
// to a node:http server (through node:tls when TLS is configured); src/ops/http-bridge.ts turns the
// requests into fetch Requests for the same handlers Bun.serve mounts.
//
// The socket belongs to systemd: stop() only stops accepting (the kernel queues what arrives for
// the next process), answers what is in flight and the next request on every kept-alive connection
// with Connection: close, closes connections that stay silent, and waits for them to go.
import type { Duplex } from "node:stream";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { createSecureContext, type SecureContext, TLSSocket } from "node:tls";
import { ackResponse, ErrorCodes, fail } from "../callback/ack.ts";
import type { PeerLookup } from "../callback/ingest.ts";
import { peerOf, toRequest, writeResponse } from "./http-bridge.ts";

/** The app: (request, real TCP peer) -> response, routed as Bun.serve routes it. */
export type BridgeHandler = (request: Request, peer: PeerLookup) => Promise<Response>;

export interface TlsMaterial {
  cert: string;
  key: string;
}

/** While draining, a connection silent this long (no request in flight, no byte read) is closed. */
export const DRAIN_IDLE_MS = 500;

/** A connection silent this long is closed (Bun.serve's idleTimeout on the own socket). */
const IDLE_TIMEOUT_MS = 30_000;

interface Conn {
  raw: Socket;
  /** The socket node:http reads: `raw`, or the TLSSocket over it. */
  sock: Duplex;
  inFlight: number;
  quietSince: number;
  bytesSeen: number;
}

export class InheritedListener {
  private readonly server: NetServer;
  private readonly http: HttpServer;
  private readonly conns = new Map<Duplex, Conn>();
  private context: SecureContext | undefined;
  private draining = false;
  private bound: AddressInfo | null = null;

  private constructor(
    private readonly handler: BridgeHandler,
    tls: TlsMaterial | undefined,
  ) {
    this.setTls(tls);
    this.http = createHttpServer((req, res) => this.onRequest(req, res));
    this.server = createNetServer((raw) => this.onConnection(raw));
  }

  /**
   * Serves on `fd`, which must be a listening TCP socket; rejects otherwise (EINVAL for a closed
   * fd, a file, a datagram socket; a Unix socket has no TCP address).
   */
  static async adopt(fd: number, handler: BridgeHandler, tls: TlsMaterial | undefined): Promise<InheritedListener> {
    const l = new InheritedListener(handler, tls);
    await new Promise<void>((resolve, reject) => {
      l.server.once("error", reject);
      l.server.listen({ fd }, () => {
        l.server.off("error", reject);
        resolve();
      });
    });
    const a = l.server.address();
    if (!a || typeof a !== "object" || !a.port || (a.family !== "IPv4" && a.family !== "IPv6")) {
      l.server.close();
      throw new Error(`fd ${fd} is not a listening TCP socket (its address: ${JSON.stringify(a)})`);
    }
    l.bound = a;
    l.server.on("error", () => {}); // accept errors (EMFILE) are retried by the runtime
    return l;
  }

  /** The address the inherited socket is bound to. */
  get address(): AddressInfo {
    return this.bound!;
  }

  get tls(): boolean {
    return this.context !== undefined;
  }

  /** New TLS material for the connections that follow; open ones keep theirs. Throws on bad PEM. */
  setTls(tls: TlsMaterial | undefined): void {
    this.context = tls ? createSecureContext({ cert: tls.cert, key: tls.key }) : undefined;
  }

  private onConnection(raw: Socket): void {
    raw.on("error", () => {});
    raw.setNoDelay(true);
    raw.setTimeout(IDLE_TIMEOUT_MS, () => raw.destroy());
    let sock: Duplex = raw;
    if (this.context) {
      const t = new TLSSocket(raw, { isServer: true, secureContext: this.context });
      t.on("error", () => t.destroy());
      sock = t;
    }
    const conn: Conn = { raw, sock, inFlight: 0, quietSince: Date.now(), bytesSeen: 0 };
    this.conns.set(sock, conn);
    raw.once("close", () => {
      this.conns.delete(sock);
      if (sock !== raw) sock.destroy();
    });
    this.http.emit("connection", sock);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const conn = this.conns.get(req.socket);
    if (conn) conn.inFlight++;
    res.once("close", () => {
      if (!conn) return;
      conn.inFlight--;
      conn.quietSince = Date.now();
    });
    void this.answer(req, res);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: Response;
    try {
      response = await this.handler(await toRequest(req, this.context ? "https" : "http"), peerOf(req));
    } catch {
      response = ackResponse(fail(500, ErrorCodes.INTERNAL, "internal error"));
    }
    try {
      await writeResponse(res, response, this.draining);
    } catch {
      res.destroy();
    }
  }

  /**
   * Stops accepting (the socket stays open in systemd), lets requests in flight finish and answers
   * every connection's next request with Connection: close; connections silent for DRAIN_IDLE_MS
   * are closed. After `deadlineMs` the rest are destroyed: "timeout".
   */
  async stop(deadlineMs: number): Promise<"drained" | "timeout"> {
    this.draining = true;
    this.server.close();
    const end = Date.now() + deadlineMs;
    while (this.conns.size > 0) {
      if (Date.now() >= end) {
        for (const c of this.conns.values()) c.raw.destroy();
        return "timeout";
      }
      this.closeSilent(Date.now());
      await Bun.sleep(25);
    }
    return "drained";
  }

  /** Ends connections with nothing in flight that have read no byte for DRAIN_IDLE_MS. */
  private closeSilent(now: number): void {
    for (const c of this.conns.values()) {
      const read = c.raw.bytesRead;
      if (read !== c.bytesSeen || c.inFlight > 0) {
        c.bytesSeen = read;
        c.quietSince = now;
      } else if (now - c.quietSince >= DRAIN_IDLE_MS && !c.sock.writableEnded) {
        c.sock.end();
      }
    }
  }
}
