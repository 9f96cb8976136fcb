// Event ids: the deterministic 128-bit id of a callback, which the dedupe window keys on and the
// journal line carries as 32 hex digits ("id", README.md "The journal").

export interface EventId {
  hex: string;
  words: Uint32Array;
}

/**
 * Deterministic: the same callback (app, command, body bytes) always gets the same id, 128 bits of
 * SHA-256 over `${sdkAppId}\n${type.length}:${type}\n` + body, as 32 hex digits. Length-prefixed, so
 * no command text can make two inputs hash alike.
 */
export function eventId(sdkAppId: number, type: string, body: Uint8Array): EventId {
  const digest = new Bun.CryptoHasher("sha256").update(idPrefix(sdkAppId, type)).update(body).digest();
  return idFromDigest(digest);
}

function idPrefix(sdkAppId: number, type: string): string {
  return `${sdkAppId}\n${type.length}:${type}\n`;
}

function idFromDigest(digest: Buffer): EventId {
  // The dedupe window keys on the same 128 bits as words; taking them here spares a hex round trip.
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = digest.readUInt32BE(i * 4);
  return { hex: digest.toString("hex", 0, 16), words };
}

/**
 * eventId for the hot path: prefix and body are copied into one scratch buffer and hashed in a single
 * call, a third of the cost of a streaming hasher (measured). Bodies too big for the scratch take the
 * streaming path; both give the same id.
 */
export class EventIdHasher {
  private readonly scratch = Buffer.allocUnsafe(16 * 1024);
  // Bun's hash output must be at least 64 bytes; SHA-256 fills the first 32.
  private readonly digest = Buffer.allocUnsafe(64);

  id(sdkAppId: number, type: string, body: Uint8Array): EventId {
    const prefix = idPrefix(sdkAppId, type);
    // A UTF-16 unit takes at most 3 UTF-8 bytes, so this bound guarantees nothing is cut off.
    if (prefix.length * 3 + body.length > this.scratch.length) return eventId(sdkAppId, type, body);
    const n = this.scratch.write(prefix, 0, "utf8");
    this.scratch.set(body, n);
    Bun.SHA256.hash(this.scratch.subarray(0, n + body.length), this.digest);
    return idFromDigest(this.digest);
  }
}
