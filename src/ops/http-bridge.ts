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

/** An IncomingMessage as a fetch Request (origin-form targets; the host is not trusted for routing). */
export function toRequest(req: IncomingMessage, scheme: "http" | "https"): Request {
  const target = req.url ?? "/";
  const url = target.startsWith("/") ? `${scheme}://roomhook.invalid${target}` : target;
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const method = req.method ?? "GET";
  if (NO_BODY.has(method)) return new Request(url, { method, headers });
  return new Request(url, { method, headers, body: bodyStream(req), duplex: "half" } as RequestInit);
}

/** The real TCP peer of `req`, in the shape Bun's server.requestIP gives. */
export function peerOf(req: IncomingMessage): PeerLookup {
  const s = req.socket;
  const peer = s.remoteAddress ? { address: s.remoteAddress, port: s.remotePort ?? 0, family: s.remoteFamily } : null;
  return { requestIP: () => peer };
}

/** Writes `response` (small, buffered) to `res`; `close` adds Connection: close. */
export async function writeResponse(res: ServerResponse, response: Response, close: boolean): Promise<void> {
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    res.setHeader(key, value);
  });
  if (close || response.headers.get("connection")?.toLowerCase() === "close") {
    res.setHeader("connection", "close");
    res.shouldKeepAlive = false;
  }
  if (body) res.setHeader("content-length", body.byteLength);
  res.end(body);
}
