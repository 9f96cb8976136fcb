// A snapshot of the dedupe window's ids, so start-up need not scan the last `window` journal lines
// (about 45 MB for the default 100,000). Written on clean shutdown and every few seconds while ids
// change; at start-up only the lines after the snapshot's seq are scanned. A missing, stale or
// damaged snapshot only costs time: the full scan of the journal's tail is the fallback.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceFileSync } from "../io/files.ts";

const MAGIC = 0x52484431; // "RHD1"
/** Words in front of the ids: magic, seq (2 words), count, crc, reserved. */
export const SNAPSHOT_HEADER_WORDS = 6;

export function snapshotPath(journalDir: string): string {
  return join(journalDir, "dedupe.snapshot");
}

/**
 * Writes the ids known up to `seq`, which the caller has put into `frame` from word
 * SNAPSHOT_HEADER_WORDS on (4 words each, oldest first): the header is filled in front of them, so
 * the ids are not copied again. Atomic by rename, not fsynced (a lost snapshot is harmless).
 */
export function writeSnapshot(path: string, seq: number, frame: Uint32Array, count: number): void {
  const words = SNAPSHOT_HEADER_WORDS + count * 4;
  if (frame.length < words) throw new RangeError(`snapshot frame holds ${frame.length} words, needs ${words}`);
  frame[0] = MAGIC;
  frame[1] = seq % 2 ** 32;
  frame[2] = Math.floor(seq / 2 ** 32);
  frame[3] = count;
  frame[4] = Bun.hash.crc32(new Uint8Array(frame.buffer, frame.byteOffset + SNAPSHOT_HEADER_WORDS * 4, count * 16));
  frame[5] = 0;
  replaceFileSync(path, new Uint8Array(frame.buffer, frame.byteOffset, words * 4), false);
}

/** The snapshot's seq and ids, or null when there is none or it does not check out. */
export function readSnapshot(path: string): { seq: number; words: Uint32Array; count: number } | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  if (buf.length < SNAPSHOT_HEADER_WORDS * 4 || buf.length % 4 !== 0) return null;
  const all = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const count = all[3]!;
  if (all[0] !== MAGIC || all.length !== SNAPSHOT_HEADER_WORDS + count * 4) return null;
  const words = all.subarray(SNAPSHOT_HEADER_WORDS);
  if (Bun.hash.crc32(new Uint8Array(words.buffer, words.byteOffset, words.byteLength)) !== all[4]) return null;
  return { seq: all[1]! + all[2]! * 2 ** 32, words, count };
}
