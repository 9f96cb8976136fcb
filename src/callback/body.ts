// Reading callback bodies within the size limit, and dropping refused ones politely.
/**
 * How much of a refused body is still read and thrown away so the answer can be delivered: closing
 * a socket with unread data makes the kernel send a reset, which can destroy the answer on its way.
 * Bodies beyond this are cut off with Connection: close instead.
 */
export const DISCARD_MAX_BYTES = 8 * 1024 * 1024;

/** Reads a request body, giving up (null) as soon as it exceeds `limit` bytes. */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array | null> {
  if (request.headers.has("content-length")) {
    // The length was checked against the limit already, and Bun enforces it.
    const buf = new Uint8Array(await request.arrayBuffer());
    return buf.length > limit ? null : buf;
  }
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    total += value.length;
    if (total > limit) {
      reader.releaseLock();
      return null;
    }
    chunks.push(value);
  }
}

/** Reads and drops the rest of a refused body, up to `max` bytes; true when it was all read. */
export async function discardBody(request: Request, max = DISCARD_MAX_BYTES): Promise<boolean> {
  if (!request.body || request.bodyUsed) return !request.body;
  let total = 0;
  try {
    for await (const chunk of request.body) {
      total += chunk.length;
      if (total > max) return false;
    }
    return true;
  } catch {
    return false;
  }
}
