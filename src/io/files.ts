// File I/O that every durable file of roomhook shares: whole reads and writes (never a silent short
// write), directory syncs, and atomic replacement. The journal, the dead letters, the cursors and
// the dedupe snapshot all go through here, so each guarantee is written once.
import { closeSync, fsyncSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { open, rename, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

/** One write(2): returns the bytes it wrote. Tests swap in failing ones. */
export type WriteSyncFn = (fd: number, buf: Buffer, off: number, len: number) => number;

const nodeWriteSync: WriteSyncFn = (fd, buf, off, len) => writeSync(fd, buf, off, len);

/**
 * On a full disk write(2) can come back short, even with 0 bytes, without an error; looping on it
 * would spin forever, and taking it for success would make a cut-off line look durable.
 */
function noProgress(): Error {
  return Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
}

/** Writes every byte of `buf` at the file's position, or throws. */
export function writeFullySync(fd: number, buf: Buffer, write: WriteSyncFn = nodeWriteSync): void {
  let off = 0;
  while (off < buf.length) {
    const n = write(fd, buf, off, buf.length - off);
    if (n <= 0) throw noProgress();
    off += n;
  }
}

/** Reads `len` bytes at file offset `pos` into buf[0..); fewer only at the end of the file. */
export function readFullySync(fd: number, buf: Buffer, len: number, pos: number): number {
  let off = 0;
  while (off < len) {
    const n = readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

/** writeFullySync for an open FileHandle, off the event loop. */
export async function writeFully(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw noProgress();
    off += bytesWritten;
  }
}

/** Makes a created, renamed or removed directory entry durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsyncDirAsync(dir: string): Promise<void> {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

const asBytes = (data: string | Uint8Array) =>
  typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * Replaces `path` atomically: written whole to `path.tmp` (mode 0600), then renamed over it, so a
 * crash never leaves a torn file. `durable` also syncs the data and the rename (a cursor); without
 * it a crash may keep the old file (a dedupe snapshot, which only saves start-up time).
 */
export function replaceFileSync(path: string, data: string | Uint8Array, durable: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeFullySync(fd, asBytes(data));
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (durable) fsyncDir(dirname(path));
}

/** replaceFileSync(path, data, true) off the event loop: always durable. */
export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await writeFully(fh, asBytes(data));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDirAsync(dirname(path));
}
