// The soak's child processes: each runs under `timeout` (bounded even if this script is killed)
// and is stopped by its pid, never by name; SIGINT/SIGTERM stop them all.
import { readFileSync } from "node:fs";
import type { Subprocess } from "bun";

const children = new Set<Subprocess>();

export function spawn(
  cmd: string[],
  maxS: number,
  opts: { stdout?: "pipe" | number; stderr?: "pipe" | number; cpu?: string; pin?: boolean } = {},
): Subprocess {
  const pin = opts.pin && opts.cpu ? ["taskset", "-c", opts.cpu] : [];
  // `timeout` bounds every child even if this script is killed; it passes SIGTERM on.
  const p = Bun.spawn(["timeout", "-k", "5", String(Math.ceil(maxS)), ...pin, ...cmd], {
    stdout: opts.stdout ?? "ignore",
    stderr: opts.stderr ?? "ignore",
    stdin: "ignore",
  });
  children.add(p);
  void p.exited.then(() => children.delete(p));
  return p;
}

export async function stop(p: Subprocess, graceMs = 20_000): Promise<number> {
  if (p.exitCode === null) p.kill("SIGTERM");
  await Promise.race([p.exited, Bun.sleep(graceMs)]);
  if (p.exitCode === null) p.kill("SIGKILL");
  return await p.exited;
}

export function cleanup() {
  for (const p of children) if (p.exitCode === null) p.kill("SIGTERM");
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
process.on("SIGTERM", () => {
  cleanup();
  process.exit(143);
});

/** The pid of the program `timeout` runs (its only child): the process to read /proc of. */
export async function childPid(p: Subprocess): Promise<number> {
  for (let i = 0; i < 100; i++) {
    try {
      const kids = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      const pid = Number(kids[0]); // taskset (PIN=1) execs the program in place: same pid
      if (pid) return pid;
    } catch {}
    await Bun.sleep(20);
  }
  throw new Error(`no child of pid ${p.pid}`);
}

export async function waitHttp(url: string, p: Subprocess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (p.exitCode !== null) throw new Error(`${what} exited (${p.exitCode}) during start-up`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`${what}: ${url} never answered`);
}
