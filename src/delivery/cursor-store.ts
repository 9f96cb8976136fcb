// A target's persisted state, {data_dir}/cursors/<name>.json: the cursor (every event with seq <=
// cursor is delivered, dead-lettered or filtered out) and whether the target is paused. Replaced
// atomically: temp file, fsync, rename, fsync of the directory.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceFile, replaceFileSync } from "../io/files.ts";

export interface CursorState {
  seq: number;
  paused: { reason: string; at: string } | null;
}

export function cursorsDir(dataDir: string): string {
  return join(dataDir, "cursors");
}

export function cursorPath(dataDir: string, name: string): string {
  return join(cursorsDir(dataDir), `${name}.json`);
}

/** The saved state, or null when the target has none yet. Throws on a corrupt file: never guess. */
export function loadCursor(dataDir: string, name: string): CursorState | null {
  let text: string;
  try {
    text = readFileSync(cursorPath(dataDir, name), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const v = JSON.parse(text) as { seq?: unknown; paused?: unknown };
  if (typeof v.seq !== "number" || !Number.isInteger(v.seq) || v.seq < 0)
    throw new Error(`${cursorPath(dataDir, name)}: no valid "seq"`);
  const p = v.paused as CursorState["paused"] | undefined;
  return { seq: v.seq, paused: p && typeof p.reason === "string" ? { reason: p.reason, at: String(p.at) } : null };
}

function render(name: string, s: CursorState): string {
  return `${JSON.stringify({ target: name, seq: s.seq, paused: s.paused, savedAt: new Date().toISOString() })}\n`;
}

export function saveCursorSync(dataDir: string, name: string, s: CursorState): void {
  mkdirSync(cursorsDir(dataDir), { recursive: true, mode: 0o700 });
  replaceFileSync(cursorPath(dataDir, name), render(name, s), true);
}

/** The same, off the event loop (the periodic save while delivering). */
export async function saveCursor(dataDir: string, name: string, s: CursorState): Promise<void> {
  mkdirSync(cursorsDir(dataDir), { recursive: true, mode: 0o700 });
  await replaceFile(cursorPath(dataDir, name), render(name, s));
}
