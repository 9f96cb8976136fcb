// Secrets never leave the process: check-config, logs and errors show this masked copy instead.
import type { Config } from "./schema.ts";

export const MASK = "********";

export function maskConfig(c: Config): Config {
  const m = structuredClone(c);
  for (const app of m.apps) if (app.token !== undefined) app.token = MASK;
  if (m.admin.token !== undefined) m.admin.token = MASK;
  for (const t of m.targets) t.secret = Array.isArray(t.secret) ? t.secret.map(() => MASK) : MASK;
  return m;
}
