// The callback endpoint on a listening socket inherited from systemd (socket activation), served by
// Bun.serve all the same. Bun.serve cannot serve an existing fd (it binds a port of its own instead,
// oven-sh/bun#22559) but Bun.listen can adopt one: so the relay accepts on the inherited socket and
// pipes each connection's bytes, untouched (TLS included), to a Bun.serve on a loopback port of its
// own, the "inner" server. Measured against node:net + node:http on the same socket (which needs
// every request converted to a fetch Request and back), the relay served 2x the requests per second
// with a trivial handler, and 1.4x with roomhook's ingest (scripts/bench/activation).
//
// The inner server sees the relay as its client. The relay remembers, for each of its loopback
// connections (keyed by the inner port and the relay's local port), the real peer, and peerFor()
// answers requestIP() with it, so allow_from and the logs judge the real address. A request that
// did not come through the relay (another local process on the inner port) has no peer.
import type { Server, Socket, SocketAddress, SocketHandler, TCPSocketListener } from "bun";
import { type BoundAddress, listeningTcpAddress } from "./socket-activation.ts";

/** Bytes queued toward one side before the other side is paused. */
const HIGH_WATER_BYTES = 256 * 1024;

interface Half {
  socket: Socket<Pipe> | null;
  queue: Uint8Array[];
  queued: number;
  /** End this side once its queue is written. */
  ending: boolean;
}

interface Pipe {
  client: Half;
  inner: Half;
  peer: SocketAddress;
  key: string | null;
  /** The inner connection has closed, or never opened. */
  innerDone: boolean;
}

/** Writes what `to` can take now, queues the rest; true when nothing is left queued. */
function flush(to: Half): boolean {
  const s = to.socket;
  if (!s) return false;
  while (to.queue.length > 0) {
    const chunk = to.queue[0]!;
    const n = s.write(chunk);
    if (n < chunk.byteLength) {
      to.queue[0] = chunk.subarray(Math.max(0, n));
      to.queued -= Math.max(0, n);
      return false;
    }
    to.queue.shift();
    to.queued -= chunk.byteLength;
  }
  if (to.ending) s.end();
  return true;
}

/** Sends `chunk` toward `to`; pauses `from` while too much waits. */
function send(to: Half, from: Half, chunk: Uint8Array): void {
  if (to.queue.length === 0 && to.socket) {
    const n = to.socket.write(chunk);
    if (n >= chunk.byteLength) return;
    chunk = chunk.subarray(Math.max(0, n));
  }
  to.queue.push(Uint8Array.from(chunk));
  to.queued += chunk.byteLength;
  if (to.queued > HIGH_WATER_BYTES) from.socket?.pause();
}

/** `to` drained: write its queue, and let the other side read again once it is empty. */
function drained(to: Half, from: Half): void {
  if (flush(to)) from.socket?.resume();
}

/** No more bytes will come for `to`: end it once what is queued has been written. */
function endAfterQueue(to: Half): void {
  to.ending = true;
  if (to.socket && to.queue.length === 0) to.socket.end();
}

const half = (): Half => ({ socket: null, queue: [], queued: 0, ending: false });

export class InheritedRelay {
  private readonly listener: TCPSocketListener<Pipe>;
  private readonly peers = new Map<string, SocketAddress>();
  private readonly pipes = new Set<Pipe>();
  /** The inherited socket's address. */
  readonly address: BoundAddress;

  /**
   * Adopts `fd` (a listening TCP socket; throws otherwise) and relays each connection to the port
   * `innerPort()` names at the time it is accepted.
   */
  constructor(
    fd: number,
    private readonly innerPort: () => number,
  ) {
    this.address = listeningTcpAddress(fd);
    const handlers: SocketHandler<Pipe> = {
      open: (client) => this.accept(client),
      data: (client, chunk) => send(client.data.inner, client.data.client, chunk),
      drain: (client) => drained(client.data.client, client.data.inner),
      end: (client) => endAfterQueue(client.data.inner),
      close: (client) => this.clientClosed(client.data),
      error: () => {},
    };
    // The typings know hostname/port and unix listeners only; fd is adopted all the same.
    this.listener = Bun.listen({ fd, socket: handlers } as unknown as Parameters<
      typeof Bun.listen
    >[0]) as unknown as TCPSocketListener<Pipe>;
  }

  /** Connections open through the relay. */
  get open(): number {
    return this.pipes.size;
  }

  /** The real peer of a request the inner server received through the relay, else null. */
  peerFor(request: Request, inner: Server<undefined>): SocketAddress | null {
    const via = inner.requestIP(request);
    return via ? (this.peers.get(`${inner.port}:${via.port}`) ?? null) : null;
  }

  private accept(client: Socket<Pipe>): void {
    const pipe: Pipe = {
      client: half(),
      inner: half(),
      peer: { address: client.remoteAddress, port: client.remotePort, family: client.remoteFamily },
      key: null,
      innerDone: false,
    };
    pipe.client.socket = client;
    client.data = pipe;
    this.pipes.add(pipe);
    const port = this.innerPort();
    void Bun.connect<Pipe>({
      hostname: "127.0.0.1",
      port,
      data: pipe,
      socket: {
        open: (inner) => {
          pipe.inner.socket = inner;
          pipe.key = `${port}:${inner.localPort}`;
          this.peers.set(pipe.key, pipe.peer);
          // What the client sent while the connect was under way may have paused it: resume once
          // that is written (else a slow connect would leave the client paused for good).
          drained(pipe.inner, pipe.client);
        },
        data: (_inner, chunk) => send(pipe.client, pipe.inner, chunk),
        drain: () => drained(pipe.inner, pipe.client),
        end: () => endAfterQueue(pipe.client),
        close: () => this.innerClosed(pipe),
        connectError: () => this.innerClosed(pipe),
        error: () => {},
      },
    }).catch(() => this.innerClosed(pipe));
  }

  private clientClosed(pipe: Pipe): void {
    pipe.client.socket = null;
    pipe.client.queue = [];
    endAfterQueue(pipe.inner);
    if (pipe.innerDone) this.pipes.delete(pipe);
  }

  private innerClosed(pipe: Pipe): void {
    if (pipe.innerDone) return;
    pipe.innerDone = true;
    if (pipe.key) this.peers.delete(pipe.key);
    pipe.inner.socket = null;
    pipe.inner.queue = [];
    endAfterQueue(pipe.client);
    if (!pipe.client.socket) this.pipes.delete(pipe);
  }

  /** Stops accepting. The socket stays open in systemd, which queues what comes for the next process. */
  stopAccepting(): void {
    this.listener.stop(false);
  }

  /** Closes every relayed connection at once (the drain deadline). */
  destroyAll(): void {
    for (const p of this.pipes) {
      p.client.socket?.terminate();
      p.inner.socket?.terminate();
    }
    this.pipes.clear();
  }
}
