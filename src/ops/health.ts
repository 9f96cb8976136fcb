// Liveness and readiness on the main listener (README "Operations"). Ready means: the journal and
// the quarantine take writes, and the service is not draining for shutdown.
import { Elysia } from "elysia";
import type { SegmentWriter } from "../journal/writer.ts";
import { jsonResponse } from "../http/json.ts";

export function healthRoutes(deps: {
  journal: SegmentWriter;
  quarantine: SegmentWriter;
  state: { draining: boolean };
}) {
  return new Elysia({ name: "health" })
    .get("/healthz", () => jsonResponse(200, { status: "ok" }))
    .get("/readyz", () => {
      const problems: string[] = [];
      if (deps.state.draining) problems.push("shutting down");
      if (!deps.journal.healthy) problems.push(`journal: ${deps.journal.error?.message}`);
      if (!deps.quarantine.healthy) problems.push(`quarantine: ${deps.quarantine.error?.message}`);
      return problems.length
        ? jsonResponse(503, { status: "unready", problems })
        : jsonResponse(200, { status: "ready" }); // no event count here: this listener is public (see SECURITY.md)
    });
}
