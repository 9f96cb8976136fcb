// systemd socket activation (sd_listen_fds(3)): when systemd owns the listening socket, it passes
// it as fd 3 (SD_LISTEN_FDS_START) and says so in LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. The
// variables are for this process only: they are read once and removed from the environment, so a
// child never mistakes them for its own. Parsing and the /proc check here; src/ops/relay.ts adopts
// the socket, src/ops/listener.ts decides between it and a socket of its own.

import { fstatSync, readFileSync } from "node:fs";

/** The first passed fd; the rest follow it without gaps. */
export const SD_LISTEN_FDS_START = 3;

/** The name (FileDescriptorName= in the socket unit) picked when several sockets are passed. */
export const SOCKET_NAME = "roomhook";

export const LISTEN_VARS = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] as const;

/** The socket systemd handed over, and how it was chosen (for the log line). */
export interface InheritedSocket {
  fd: number;
  /** Its name from LISTEN_FDNAMES, or null when none was given. */
  name: string | null;
  /** How many fds were passed. */
  count: number;
  /** Why this one: the only one, the one named "roomhook", or the first of several. */
  chosen: "only" | "named" | "first";
}

/** LISTEN_PID names this process but the rest cannot be used: fatal, never a silent fallback. */
export class ActivationError extends Error {}

/**
 * The inherited socket, or null when none is meant for this process (LISTEN_PID unset or another
 * pid, LISTEN_FDS unset or 0): then the service binds server.listen itself.
 */
export function parseListenFds(env: Record<string, string | undefined>, pid: number): InheritedSocket | null {
  const listenPid = env.LISTEN_PID;
  if (listenPid === undefined || listenPid === "") return null;
  if (!/^\d+$/.test(listenPid) || Number(listenPid) !== pid) return null;
  const fds = env.LISTEN_FDS;
  if (fds === undefined || fds === "" || fds === "0") return null;
  if (!/^\d+$/.test(fds) || Number(fds) > 1024)
    throw new ActivationError(`LISTEN_FDS must be a number of file descriptors, got "${fds}"`);
  const count = Number(fds);
  const names = env.LISTEN_FDNAMES === undefined ? [] : env.LISTEN_FDNAMES.split(":");
  const nameAt = (i: number) => (names[i] === undefined || names[i] === "" ? null : names[i]!);
  if (count === 1) return { fd: SD_LISTEN_FDS_START, name: nameAt(0), count, chosen: "only" };
  const named = names.slice(0, count).indexOf(SOCKET_NAME);
  if (named >= 0) return { fd: SD_LISTEN_FDS_START + named, name: SOCKET_NAME, count, chosen: "named" };
  return { fd: SD_LISTEN_FDS_START, name: nameAt(0), count, chosen: "first" };
}

/** Removes LISTEN_* from `env` (process.env), as sd_listen_fds(unset_environment = 1) does. */
export function unsetListenEnv(env: Record<string, string | undefined>): void {
  for (const v of LISTEN_VARS) delete env[v];
}

/** Where a listening TCP socket is bound. */
export interface BoundAddress {
  hostname: string;
  port: number;
  family: "IPv4" | "IPv6";
}

const TCP_LISTEN = "0A";

function hexIPv4(h: string): string {
  // One 32-bit word in host (little-endian) order.
  return [6, 4, 2, 0].map((i) => Number.parseInt(h.slice(i, i + 2), 16)).join(".");
}

function hexIPv6(h: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++)
    for (const i of [6, 4, 2, 0]) bytes.push(Number.parseInt(h.slice(w * 8 + i, w * 8 + i + 2), 16));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const text = groups.join(":");
  if (text.startsWith("0:0:0:0:0:ffff:")) return hexIPv4(h.slice(24, 32));
  return text.replace(/(^|:)0(:0)+(:|$)/, "::");
}

/**
 * The address of `fd` if it is a listening TCP socket, read from /proc/net/tcp{,6} by its inode
 * (Bun's listener adopting an fd does not know it). Throws a plain message otherwise: a closed fd,
 * a file, a datagram or Unix socket, a TCP socket that does not listen.
 */
export function listeningTcpAddress(fd: number, proc = "/proc/net"): BoundAddress {
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(fd);
  } catch (e) {
    throw new Error(`fd ${fd} is not open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isSocket()) throw new Error(`fd ${fd} is not a socket`);
  const inode = String(st.ino);
  for (const [file, family] of [
    ["tcp", "IPv4"],
    ["tcp6", "IPv6"],
  ] as const) {
    let table: string;
    try {
      table = readFileSync(`${proc}/${file}`, "utf8");
    } catch {
      continue;
    }
    for (const line of table.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[9] !== inode) continue;
      if (f[3] !== TCP_LISTEN) throw new Error(`fd ${fd} is a TCP socket that is not listening`);
      const [host, port] = f[1]!.split(":") as [string, string];
      const hostname = family === "IPv4" ? hexIPv4(host) : hexIPv6(host);
      return { hostname, port: Number.parseInt(port, 16), family: hostname.includes(":") ? "IPv6" : "IPv4" };
    }
  }
  throw new Error(`fd ${fd} is not a listening TCP socket`);
}
