// {data_dir}/roomhook.pid: written when serve starts, removed when it stops cleanly. Offline commands
// that change the service's state (replay) refuse to run while that process is alive. A pid left by
// a crash is recognised as stale when no such process runs (or it is not a roomhook).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function pidPath(dataDir: string): string {
  return join(dataDir, "roomhook.pid");
}

export function writePidFile(dataDir: string): void {
  writeFileSync(pidPath(dataDir), `${process.pid}\n`, { mode: 0o600 });
}

export function removePidFile(dataDir: string): void {
  try {
    if (readFileSync(pidPath(dataDir), "utf8").trim() === String(process.pid)) rmSync(pidPath(dataDir));
  } catch {}
}

/** The pid of a live roomhook serving this data_dir, or null. */
export function runningServer(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidPath(dataDir), "utf8").trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  try {
    // A reused pid belongs to something else: only a roomhook (binary or `bun src/main.ts`) counts.
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!/roomhook|main\.ts/.test(cmd)) return null;
  } catch {}
  return pid;
}
