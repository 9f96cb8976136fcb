// A set of 128-bit event ids in typed arrays (open addressing, linear probing). Seeding the dedupe
// window from the journal at start-up inserts 100,000 ids in a few milliseconds, where a Map of
// strings took ~60 ms; start-up to the first acknowledgement is part of what we promise.
export class IdTable {
  private readonly words: Uint32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;
  size = 0;

  constructor(readonly capacity: number) {
    let cap = 16;
    while (cap < capacity / 0.7) cap *= 2;
    this.words = new Uint32Array(cap * 4);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Inserts the id at `src[off..off+4)`; false when it was already present. */
  add(src: Uint32Array, off = 0): boolean {
    const a = src[off]!,
      b = src[off + 1]!,
      c = src[off + 2]!,
      d = src[off + 3]!;
    // Ids are SHA-256 prefixes: any word is a uniform hash already.
    for (let i = (a ^ d) & this.mask; ; i = (i + 1) & this.mask) {
      if (!this.used[i]) {
        this.used[i] = 1;
        const w = i * 4;
        this.words[w] = a;
        this.words[w + 1] = b;
        this.words[w + 2] = c;
        this.words[w + 3] = d;
        this.size++;
        return true;
      }
      const w = i * 4;
      if (this.words[w] === a && this.words[w + 1] === b && this.words[w + 2] === c && this.words[w + 3] === d)
        return false;
    }
  }

  /** Copies every id into `out` from word `off` on; returns the number of ids copied. */
  copyTo(out: Uint32Array, off: number): number {
    // Word by word: a subarray per id made a 100,000-id snapshot stall the event loop for ~30 ms.
    const words = this.words;
    let o = off;
    for (let i = 0; i < this.used.length; i++) {
      if (!this.used[i]) continue;
      const w = i * 4;
      out[o] = words[w]!;
      out[o + 1] = words[w + 1]!;
      out[o + 2] = words[w + 2]!;
      out[o + 3] = words[w + 3]!;
      o += 4;
    }
    return (o - off) / 4;
  }

  has(src: Uint32Array, off = 0): boolean {
    const a = src[off]!,
      b = src[off + 1]!,
      c = src[off + 2]!,
      d = src[off + 3]!;
    for (let i = (a ^ d) & this.mask; this.used[i]; i = (i + 1) & this.mask) {
      const w = i * 4;
      if (this.words[w] === a && this.words[w + 1] === b && this.words[w + 2] === c && this.words[w + 3] === d)
        return true;
    }
    return false;
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Parses 32 hex digits at `buf[pos..]` into `out[off..off+4)`; false when they are not hex. */
export function parseIdBytes(buf: Uint8Array, pos: number, out: Uint32Array, off: number): boolean {
  for (let w = 0; w < 4; w++) {
    let v = 0;
    for (let k = 0; k < 8; k++) {
      const h = hexVal(buf[pos + w * 8 + k]!);
      if (h < 0) return false;
      v = v * 16 + h;
    }
    out[off + w] = v;
  }
  return true;
}
