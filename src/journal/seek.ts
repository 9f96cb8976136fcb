// Where to start reading a segment for a seq: seqs rise in file order, so a bisection over byte
// offsets (a small read at each probe, the first whole line after it) finds a line start at or
// before the wanted seq in ~20 reads, where a scan from byte 0 reads the whole segment (up to
// segment_bytes, 128 MiB by default). The admin API's tail (GET /v1/events?from_seq=<near the
// head>, which the dashboard polls every second) needs this to cost nothing on a large journal.
import type { FileHandle } from "node:fs/promises";
import { seqAt } from "./line-codec.ts";

const PROBE = 64 * 1024;
/** Below this span a plain scan is cheaper than more probes. */
const CLOSE_ENOUGH = 256 * 1024;

/** The seq and start of the first whole line starting after `at`; null when none can be read. */
async function lineAfter(fh: FileHandle, buf: Buffer, at: number): Promise<{ offset: number; seq: number } | null> {
  const { bytesRead } = await fh.read(buf, 0, buf.length, at);
  const data = buf.subarray(0, bytesRead);
  const nl = data.indexOf(0x0a);
  if (nl < 0) return null;
  const next = data.indexOf(0x0a, nl + 1);
  const seq = seqAt(data, nl + 1, next < 0 ? data.length : next);
  return seq < 0 ? null : { offset: at + nl + 1, seq };
}

/**
 * A byte offset in the segment (of `size` bytes) where a line starts whose seq is below `fromSeq`,
 * or 0: every line with seq >= fromSeq starts at or after it. A line it cannot read (another
 * shape, longer than a probe) ends the bisection early, which is still correct, only slower.
 */
export async function offsetBefore(fh: FileHandle, size: number, fromSeq: number): Promise<number> {
  let lo = 0;
  let hi = size;
  const buf = Buffer.allocUnsafe(PROBE);
  while (hi - lo > CLOSE_ENOUGH) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const line = await lineAfter(fh, buf, mid);
    if (line === null) break;
    if (line.seq < fromSeq) lo = line.offset;
    else hi = mid;
  }
  return lo;
}
