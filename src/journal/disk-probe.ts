// After a failed write or sync the journal answers 503 until the disk takes writes again. This is
// the check: 64 KiB written whole and synced next to the journal, through the same write(2) the
// writer uses (tests make it fail), then removed.
import { closeSync, fdatasyncSync, openSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { type WriteSyncFn, writeFullySync } from "../io/files.ts";

const PROBE_BYTES = 64 * 1024;

export function diskTakesWrites(dir: string, write: WriteSyncFn): boolean {
  const probe = join(dir, ".probe");
  try {
    const fd = openSync(probe, "w", 0o600);
    try {
      writeFullySync(fd, Buffer.alloc(PROBE_BYTES), write);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
    return true;
  } catch {
    try {
      unlinkSync(probe);
    } catch {}
    return false;
  }
}
