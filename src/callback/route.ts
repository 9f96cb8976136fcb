// The Elysia side of the callback endpoint: raw bytes in (the body is never parsed by the framework,
// so it can be stored exactly), the Tencent acknowledgement out.
import { Elysia } from "elysia";
import { ErrorCodes, ackResponse, fail } from "./ack.ts";
import type { CallbackIngest, IngestReport, PeerLookup } from "./ingest.ts";

/**
 * The callback handler as a plain (Request, server) -> Response function: the Elysia route below uses
 * it (tests, app.handle), and serve.ts mounts the very same function as a native Bun route, which
 * skips the framework's per-request context on the hot path.
 */
export function callbackHandler(ingest: CallbackIngest, onReport?: (r: IngestReport, ms: number) => void) {
  return async (request: Request, server: PeerLookup): Promise<Response> => {
    const started = performance.now();
    const report = await ingest.handle(request, server);
    onReport?.(report, performance.now() - started);
    return ackResponse(report.answer, report.bodyUnread);
  };
}

export const methodNotAllowed = () => ackResponse(fail(405, ErrorCodes.METHOD_NOT_ALLOWED, "use POST for callbacks"));

export function callbackRoutes(path: string, handler: ReturnType<typeof callbackHandler>) {
  return new Elysia({ name: "callback" })
    .post(path, ({ request, server }) => handler(request, server), { parse: "none" })
    .get(path, methodNotAllowed)
    .put(path, methodNotAllowed)
    .delete(path, methodNotAllowed)
    .patch(path, methodNotAllowed);
}
