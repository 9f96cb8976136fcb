// Parsing of "host:port" listen addresses and CIDR allowlists, shared by config validation and the
// request path. Pure functions: no I/O.
import { isIP } from "node:net";

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** "0.0.0.0:8080", "127.0.0.1:0", "[::1]:8080", "localhost:8080". Port 0 means "any free port". */
export function parseListen(value: string): ListenAddress | string {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) return `expected host:port (e.g. 0.0.0.0:8080 or [::1]:8080), got "${value}"`;
  const hostname = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  if (port > 65535) return `port ${port} is out of range`;
  if (m[1] && isIP(hostname) !== 6) return `"${hostname}" is not an IPv6 address`;
  return { hostname, port };
}

export function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "::1") return true;
  return isIP(hostname) === 4 && hostname.startsWith("127.");
}

/** A parsed CIDR block; IPv4 addresses are kept in IPv4-mapped IPv6 form so one matcher serves both. */
export interface Cidr {
  bytes: Uint8Array; // 16 bytes
  prefix: number; // 0..128
}

function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[12 + i] = Number(p);
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | null {
  if (isIP(s) !== 6) return null;
  let tail: Uint8Array | null = null;
  let str = s;
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hextets.
  const lastColon = str.lastIndexOf(":");
  if (str.slice(lastColon + 1).includes(".")) {
    tail = parseIPv4(str.slice(lastColon + 1));
    if (!tail) return null;
    str = `${str.slice(0, lastColon + 1)}${((tail[12]! << 8) | tail[13]!).toString(16)}:${((tail[14]! << 8) | tail[15]!).toString(16)}`;
  }
  const [head = "", rest] = str.split("::");
  const h = head ? head.split(":") : [];
  const r = rest !== undefined && rest !== "" ? rest.split(":") : [];
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const groups = [...h, ...Array(fill).fill("0"), ...r];
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 address into 16 bytes (IPv4 as ::ffff:a.b.c.d), or null. */
export function parseIp(s: string): Uint8Array | null {
  const zoneless = s.split("%")[0]!;
  return isIP(zoneless) === 4 ? parseIPv4(zoneless) : parseIPv6(zoneless);
}

export function parseCidr(value: string): Cidr | string {
  const parts = value.trim().split("/");
  if (parts.length > 2) return `"${value}" is not an IP address or CIDR block`;
  const [addr = "", len] = parts;
  const bytes = parseIp(addr);
  if (!bytes) return `"${value}" is not an IP address or CIDR block`;
  const v4 = isIP(addr) === 4;
  const max = v4 ? 32 : 128;
  const n = len === undefined ? max : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > max || (len !== undefined && !/^\d+$/.test(len))) {
    return `"${value}" has an invalid prefix length (0-${max})`;
  }
  return { bytes, prefix: v4 ? n + 96 : n };
}

export function cidrContains(cidr: Cidr, ip: Uint8Array): boolean {
  let bits = cidr.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.bytes[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}

/** The allowlist that allows every address; callers compare against it to skip the address lookup. */
export const ANY = (_ip: string | undefined): boolean => true;

/** An allowlist; empty means "any address". An unparseable address never matches a non-empty list. */
export function makeAllowlist(entries: readonly string[]): (ip: string | undefined) => boolean {
  const cidrs = entries.map((e) => {
    const c = parseCidr(e);
    // Config validation rejects these first; a silently dropped entry could open the list to all.
    if (typeof c === "string") throw new Error(c);
    return c;
  });
  if (cidrs.length === 0) return ANY;
  return (ip) => {
    const bytes = ip ? parseIp(ip) : null;
    return bytes !== null && cidrs.some((c) => cidrContains(c, bytes));
  };
}
