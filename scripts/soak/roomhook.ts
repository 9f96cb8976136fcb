// roomhook under soak: its config (fsync, small segments, short retention, one target on the sink)
// and its start, pinned to CPU 1 with PIN=1, its log in OUT.
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { APP, freePort, SECRET } from "../../test/support/harness.ts";
import { childPid, spawn, waitHttp } from "./procs.ts";
import { BIN, MAX_IN_FLIGHT, OUT, PIN, QUERY, RETENTION_HOURS, ROOM_STATE, SEGMENT_BYTES } from "./settings.ts";

function config(dataDir: string, port: number, adminPort: number, sinkUrl: string): string {
  return `data_dir = "${dataDir}"

[server]
listen = "127.0.0.1:${port}"

[[apps]]
sdk_app_id = ${APP}

[journal]
durability = "fsync"
segment_bytes = ${SEGMENT_BYTES}
retention_hours = ${RETENTION_HOURS}

[dedupe]
window = 100000

[rooms]
enabled = ${ROOM_STATE}

[admin]
listen = "127.0.0.1:${adminPort}"

[log]
level = "info"

[[targets]]
name = "sink"
url = "${sinkUrl}"
secret = "${SECRET}"
max_in_flight = ${MAX_IN_FLIGHT}
timeout_ms = 5000
`;
}
export interface Roomhook {
  proc: Subprocess;
  pid: number;
  port: number;
  url: string;
  admin: string;
  logFile: string;
}
export async function startRoomhook(dataDir: string, name: string, sinkUrl: string, maxS: number): Promise<Roomhook> {
  const port = freePort();
  const adminPort = freePort();
  const cfg = join(OUT, `${name}.toml`);
  writeFileSync(cfg, config(dataDir, port, adminPort, sinkUrl));
  const logFile = join(OUT, `${name}.log`);
  const out = openSync(logFile, "a");
  const proc = spawn([BIN, "serve", "--config", cfg], maxS, { stdout: out, stderr: out, cpu: "1", pin: PIN });
  closeSync(out);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, proc, name);
  const pid = await childPid(proc);
  return {
    proc,
    pid,
    port,
    url: `http://127.0.0.1:${port}/callback?${QUERY}`,
    admin: `http://127.0.0.1:${adminPort}`,
    logFile,
  };
}

/** The soak's roomhook, once started (for the report when it dies under load). */
export const running: { soak: Roomhook | null } = { soak: null };
