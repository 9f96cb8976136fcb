// Bearer-token check for the admin listener: both sides hashed first, so the constant-time compare
// sees equal lengths and the token's length does not leak through timing.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function bearerMatches(header: string | null, token: string): boolean {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const given = digest(m ? m[1]! : "");
  return timingSafeEqual(given, digest(token)) && m !== null;
}
