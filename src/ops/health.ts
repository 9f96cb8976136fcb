// Liveness and readiness on the main listener (SPEC §7). Ready means: the journal and the
// quarantine take writes, and the service is not draining for shutdown.
import { Elysia } from "elysia";
import type { SegmentWriter } from "../journal/writer.ts";

export function healthRoutes(deps: { journal: SegmentWriter; quarantine: SegmentWriter; state: { draining: boolean } }) {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  return new Elysia({ name: "health" })
    .get("/healthz", () => json(200, { status: "ok" }))
    .get("/readyz", () => {
      const problems: string[] = [];
      if (deps.state.draining) problems.push("shutting down");
      if (!deps.journal.healthy) problems.push(`journal: ${deps.journal.error?.message}`);
      if (!deps.quarantine.healthy) problems.push(`quarantine: ${deps.quarantine.error?.message}`);
      return problems.length
        ? json(503, { status: "unready", problems })
        : json(200, { status: "ready" }); // no event count here: this listener is public (see SECURITY.md)
    });
}
