// Reading callback bodies within the size limit, and dropping refused ones politely.
/**
 * How much of a refused body is still read and thrown away so the answer can be delivered: closing
 * a socket with unread data makes the kernel send a reset, which can destroy the answer on its way.
 * Bodies beyond this are cut off with Connection: close instead.
 */
export const DISCARD_MAX_BYTES = 8 * 1024 * 1024;

/** A body over the limit: whether the rest of it was read and dropped (else the connection must close). */
export interface TooLarge {
  drained: boolean;
}

/**
 * Reads a request body of at most `limit` bytes. Past the limit it stops keeping the bytes, drops
 * the rest as it comes (up to DISCARD_MAX_BYTES) and returns TooLarge. Not async itself: the common
 * case hands Bun's promise straight back, one hop less per request.
 */
export function readLimited(request: Request, limit: number, hasLength: boolean): Promise<Uint8Array | TooLarge> {
  // With a Content-Length the caller checked it against the limit already (and the length of what
  // arrived again afterwards).
  if (hasLength) return request.bytes();
  return readChunked(request, limit);
}

async function readChunked(request: Request, limit: number): Promise<Uint8Array | TooLarge> {
  const chunks: Uint8Array[] = [];
  const total = await streamBody(request, DISCARD_MAX_BYTES, chunks, limit);
  if (total < 0) return { drained: false };
  return total > limit ? { drained: true } : Buffer.concat(chunks);
}

/**
 * Reads and drops a refused body without keeping it; the number of bytes read, or -1 once it passed
 * `max` (or the client broke off).
 */
export function discardRequestBody(request: Request, max: number): Promise<number> {
  if (request.bodyUsed) return Promise.resolve(-1);
  return streamBody(request, max);
}

/**
 * Reads the body as it streams in: its size, or -1 once it passed `max` or the client broke off.
 * With `keep`, the chunks are kept while the total stays within `keepLimit`.
 */
async function streamBody(request: Request, max: number, keep?: Uint8Array[], keepLimit = 0): Promise<number> {
  if (!request.body) return 0;
  let total = 0;
  try {
    for await (const chunk of request.body) {
      total += chunk.length;
      if (total > max) return -1;
      if (keep && total <= keepLimit) keep.push(chunk);
    }
    return total;
  } catch {
    return -1;
  }
}
