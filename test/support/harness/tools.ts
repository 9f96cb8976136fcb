// Tools outside the binary: the host's (mount, strace: the disk-fault tests need them) and the
// repository's own scripts, which tests run as processes: test/ never imports scripts/
// (test/README.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, ROOT, tempDir, track } from "./process.ts";

/** Whether this process may mount a tmpfs (root): the disk-full faults need one. */
export function canMountTmpfs(): boolean {
  const d = mkdtempSync(join(tmpdir(), "roomhook-mountcheck-"));
  try {
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d]);
    if (r.status !== 0) return false;
    spawnSync("umount", [d]);
    return true;
  } finally {
    rmdirSync(d);
  }
}

/** Whether strace is installed: EIO is injected into the running binary with it. */
export function hasStrace(): boolean {
  return spawnSync("strace", ["-V"]).status === 0;
}

export interface ToolRun {
  code: number | null;
  /** What the tool wrote to $RESULT (JSON), or null when it wrote nothing. */
  result: unknown;
}

/**
 * Runs `script` (a path under the repository, e.g. scripts/faults/crash-loop) with `env` added and
 * RESULT set to a temp file; its output goes to ours, so a seed it prints shows in the test's log.
 * Killed (SIGTERM, then SIGKILL) after `timeoutMs`.
 */
export async function runTool(script: string, env: Record<string, string>, timeoutMs: number): Promise<ToolRun> {
  const resultFile = join(tempDir("tool"), "result.json");
  const proc = Bun.spawn([join(ROOT, script)], {
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
    env: childEnv({ BUN: process.execPath, ...env, RESULT: resultFile }),
    cwd: ROOT,
  });
  const untrack = track(proc);
  const timer = setTimeout(() => proc.kill("SIGTERM"), timeoutMs);
  const killer = setTimeout(() => proc.kill(9), timeoutMs + 10_000);
  const code = await proc.exited;
  clearTimeout(timer);
  clearTimeout(killer);
  untrack();
  return { code, result: existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, "utf8")) : null };
}
