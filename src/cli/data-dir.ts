// Offline commands find the data directory like the service does: --data-dir, else the environment,
// else the config file's data_dir, else the built-in default.
import { existsSync } from "node:fs";
import { readToml, resolveConfigPath } from "../config/load.ts";
import { str, type Flags } from "./args.ts";

export const DEFAULT_DATA_DIR = "/var/lib/roomhook";

export function resolveDataDir(flags: Flags, env: Record<string, string | undefined>): string {
  const fromFlag = str(flags, "data-dir");
  if (fromFlag) return fromFlag;
  if (env.ROOMHOOK_DATA_DIR) return env.ROOMHOOK_DATA_DIR;
  const path = resolveConfigPath(str(flags, "config"), env);
  if (path && existsSync(path)) {
    const d = readToml(path).data_dir;
    if (typeof d === "string" && d) return d;
  }
  return DEFAULT_DATA_DIR;
}
