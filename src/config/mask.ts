// Secrets never leave the process: check-config, logs and errors show this masked copy instead.
import type { Config } from "./schema.ts";

export const MASK = "********";

export function maskConfig(c: Config): Config {
  const m = structuredClone(c);
  for (const app of m.apps) if (app.token !== undefined) app.token = MASK;
  if (m.admin.token !== undefined) m.admin.token = MASK;
  for (const t of m.targets) {
    if (t.kind === "nats") maskNats(t);
    else t.secret = Array.isArray(t.secret) ? t.secret.map(() => MASK) : MASK;
  }
  if (m.upstream) maskNats(m.upstream);
  return m;
}

/** A NATS token and password are secrets; a creds file is a path, shown as is. */
function maskNats(c: { token?: string; password?: string }): void {
  if (c.token !== undefined) c.token = MASK;
  if (c.password !== undefined) c.password = MASK;
}
