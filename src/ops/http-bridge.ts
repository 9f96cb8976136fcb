// The bridge between node:http and the app's fetch-style handlers, for the one case Bun.serve cannot
// serve: a listening socket inherited from systemd (Bun.serve({fd}) binds a port of its own instead,
// oven-sh/bun#22559). node:http parses the request; this file turns it into a fetch Request whose
// body streams (the ingest's bounded read still decides when to stop), and writes the Response back.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PeerLookup } from "../callback/ingest.ts";

const NO_BODY = new Set(["GET", "HEAD"]);

/** The request body as a stream that pulls from the socket only as fast as the reader reads. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on("end", () => controller.close());
        req.on("error", (e) => controller.error(e));
        // A client that breaks off mid-body: the reader sees an error, not a short body.
        req.on("aborted", () => controller.error(new Error("request aborted")));
      },
      pull() {
        req.resume();
      },
      cancel() {
        req.resume(); // drop the rest; the answer says Connection: close when it was too much
      },
    },
    { highWaterMark: 64 * 1024, size: (c) => c?.byteLength ?? 0 },
  );
}

/**
 * A body declared this small is read before the handler runs, one Buffer instead of a stream (the
 * bridge's costliest step otherwise). It is no more than the kernel's socket buffers hold for any
 * connection anyway, so an unauthenticated client gains nothing from it; larger or chunked bodies
 * stream, and the ingest's bounded read decides how much of them is read.
 */
export const PREREAD_MAX_BYTES = 64 * 1024;

function requestInit(req: IncomingMessage): RequestInit {
  // node:http has parsed and lower-cased the headers already (repeats joined with ", ").
  return { method: req.method ?? "GET", headers: req.headers as Record<string, string> };
}

function urlOf(req: IncomingMessage, scheme: "http" | "https"): string {
  const target = req.url ?? "/";
  return target.startsWith("/") ? `${scheme}://roomhook.invalid${target}` : target;
}

/**
 * An IncomingMessage as a fetch Request (origin-form targets; the Host header is not used): at once
 * for a body of at most PREREAD_MAX_BYTES (read first) or none, else with a streaming body.
 */
export function toRequest(req: IncomingMessage, scheme: "http" | "https"): Request | Promise<Request> {
  const url = urlOf(req, scheme);
  const init = requestInit(req);
  if (NO_BODY.has(init.method!)) return new Request(url, init);
  const declared = req.headers["content-length"];
  const length = declared === undefined ? Number.NaN : Number(declared);
  if (!(length <= PREREAD_MAX_BYTES) || req.headers["transfer-encoding"] !== undefined)
    return new Request(url, { ...init, body: bodyStream(req), duplex: "half" } as RequestInit);
  if (length === 0) return new Request(url, init);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // A client that breaks off mid-body: a stream that fails, as Bun.serve's body would.
    const broken = () =>
      resolve(new Request(url, { ...init, body: failedStream(), duplex: "half" } as RequestInit));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("aborted", broken);
    req.once("error", broken);
    req.once("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      resolve(new Request(url, { ...init, body }));
    });
  });
}

function failedStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.error(new Error("request aborted")) });
}

/** The real TCP peer of `req`, in the shape Bun's server.requestIP gives. */
export function peerOf(req: IncomingMessage): PeerLookup {
  const s = req.socket;
  const peer = s.remoteAddress ? { address: s.remoteAddress, port: s.remotePort ?? 0, family: s.remoteFamily } : null;
  return { requestIP: () => peer };
}

/** Writes `response` (small, buffered) to `res`; `close` adds Connection: close. */
export async function writeResponse(res: ServerResponse, response: Response, close: boolean): Promise<void> {
  const body = response.body ? await response.bytes() : undefined;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (close || headers.connection?.toLowerCase() === "close") {
    headers.connection = "close";
    res.shouldKeepAlive = false;
  }
  headers["content-length"] = String(body?.byteLength ?? 0);
  // node:http writes the head and the body separately: corked, they leave in one write (measured
  // 1.2-1.4x the requests per second of two).
  const socket = res.socket;
  socket?.cork();
  res.writeHead(response.status, headers);
  res.end(body);
  if (socket) process.nextTick(() => socket.uncork());
}
