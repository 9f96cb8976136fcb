// Standard Webhooks signing (https://www.standardwebhooks.com): one "v1,<base64 HMAC-SHA256>" per
// configured secret, space-separated, so a receiver can rotate its secret without losing events.
// Signed over the exact bytes sent; Bun's native HMAC (less than half node:crypto's cost per
// delivery), not the reference library, which turns buffers into strings first.

/** The HMAC key of a "whsec_<base64>" secret (the config loader has already checked the shape). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
}

export function signatureHeader(keys: readonly Buffer[], id: string, timestampS: number, body: string): string {
  const prefix = `${id}.${timestampS}.`;
  let out = "";
  for (const k of keys) {
    if (out) out += " ";
    const h = new Bun.CryptoHasher("sha256", k);
    h.update(prefix);
    h.update(body);
    out += `v1,${h.digest("base64")}`;
  }
  return out;
}

export function webhookHeaders(
  keys: readonly Buffer[],
  id: string,
  body: string,
  nowMs: number,
): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": signatureHeader(keys, id, ts, body),
    "user-agent": "roomhook",
  };
}
