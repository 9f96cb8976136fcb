// The Elysia side of the callback endpoint: raw bytes in (the body is never parsed by the framework,
// so it can be stored exactly), the Tencent acknowledgement out.
import { Elysia } from "elysia";
import { ErrorCodes, ackResponse, fail } from "./ack.ts";
import type { CallbackIngest, IncomingCallback, IngestReport } from "./ingest.ts";

/** Reads a request body, giving up (null) as soon as it exceeds `limit` bytes. */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array | null> {
  if (request.headers.has("content-length")) {
    // The length was checked against the limit already, and Bun enforces it.
    const buf = new Uint8Array(await request.arrayBuffer());
    return buf.length > limit ? null : buf;
  }
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.length;
    if (total > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function callbackRoutes(path: string, ingest: CallbackIngest, onReport?: (r: IngestReport, ms: number) => void) {
  const notAllowed = () =>
    ackResponse(fail(405, ErrorCodes.METHOD_NOT_ALLOWED, "use POST for callbacks"));
  return new Elysia({ name: "callback" })
    .post(
      path,
      async ({ request, server }) => {
        const started = performance.now();
        const req: IncomingCallback = {
          url: request.url,
          remoteIp: () => server?.requestIP(request)?.address,
          headers: request.headers,
          readBody: (limit) => readLimited(request, limit),
        };
        const report = await ingest.handle(req);
        onReport?.(report, performance.now() - started);
        return ackResponse(report.answer, report.bodyUnread);
      },
      { parse: "none" },
    )
    .get(path, notAllowed)
    .put(path, notAllowed)
    .delete(path, notAllowed)
    .patch(path, notAllowed);
}
