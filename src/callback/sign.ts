// Tencent's callback authentication: Sign = hex(sha256(Token + RequestTime)), RequestTime in Unix
// seconds, rejected outside ±window (reference §1.5).
import { createHash, timingSafeEqual } from "node:crypto";

export function computeSign(token: string, requestTime: string | number): string {
  return createHash("sha256").update(`${token}${requestTime}`).digest("hex");
}

export type SignProblem = "missing" | "malformed" | "stale" | "mismatch";

export function checkSign(
  token: string,
  sign: string | undefined,
  requestTime: string | undefined,
  nowS: number,
  windowS: number,
): SignProblem | null {
  if (!sign || !requestTime) return "missing";
  if (!/^\d{1,12}$/.test(requestTime)) return "malformed";
  if (Math.abs(nowS - Number(requestTime)) > windowS) return "stale";
  // Shape first (64 hex digits; public knowledge), then a constant-time comparison of the bytes.
  if (!/^[0-9a-fA-F]{64}$/.test(sign)) return "mismatch";
  const expected = Buffer.from(computeSign(token, requestTime), "latin1");
  const given = Buffer.from(sign.toLowerCase(), "latin1");
  return timingSafeEqual(given, expected) ? null : "mismatch";
}
