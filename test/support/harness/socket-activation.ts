// systemd socket activation without systemd: the test process holds a listening TCP socket (as
// roomhook.socket would) and spawns dist/roomhook with it as fd 3 and LISTEN_FDS/LISTEN_PID set,
// LISTEN_PID being the child's own pid (a shell sets it and execs the binary, keeping its pid).
// The socket outlives every child, so restarts can be driven against one port. The socket is made
// with libc through bun:ffi so that this process never accepts on it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Subprocess } from "bun";
import { dlopen, FFIType, ptr } from "bun:ffi";
import { defaultConfig, mergeConfig, toToml } from "./config.ts";
import { BIN, childEnv, requireBinary, Roomhook, type StartOptions, tempDir, track, waitListening } from "./process.ts";

/** A listening socket held by this process, like the one systemd keeps for roomhook.socket. */
export interface HeldSocket {
  fd: number;
  port: number;
  /** Closes this process's fd (children that hold it keep the socket open). */
  close(): void;
}

// libc through bun:ffi: a node:net server would accept connections itself (its event loop polls
// the socket), taking them from the child. A bare socket that nobody here polls only queues them.
const libc = dlopen(`libc.so.6`, {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
});
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000; // the child gets it through dup2, which clears the flag
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;

/** A listening TCP socket on an IPv4 host:port (port 0: any), never accepted on in this process. */
export function holdSocket(host = "127.0.0.1", port = 0, backlog = 511): HeldSocket {
  const octets = host.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) throw new Error(`not an IPv4 address: ${host}`);
  const { symbols: c } = libc;
  const fd = c.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error("socket() failed");
  const one = new Int32Array([1]);
  c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, ptr(one), 4);
  const sa = new Uint8Array(16);
  const view = new DataView(sa.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  sa.set(octets, 4);
  if (c.bind(fd, ptr(sa), 16) !== 0 || c.listen(fd, backlog) !== 0) {
    c.close(fd);
    throw new Error(`cannot bind and listen on ${host}:${port}`);
  }
  const out = new Uint8Array(16);
  const len = new Uint32Array([16]);
  c.getsockname(fd, ptr(out), ptr(len));
  let open = true;
  return {
    fd,
    port: new DataView(out.buffer).getUint16(2, false),
    close() {
      if (open) c.close(fd);
      open = false;
    },
  };
}

export interface ActivatedOptions extends StartOptions {
  /** The fd passed as fd 3 (a HeldSocket's fd, or any fd for failure tests). */
  fd: number;
  /** LISTEN_PID: the child's own pid (default) or another one (then the child must ignore it). */
  listenPid?: "child" | number;
  /** LISTEN_FDS (default "1"). */
  listenFds?: string;
  /** LISTEN_FDNAMES, unset by default. */
  fdNames?: string;
  /** More fds after fd 3 (fd 4, 5, ...), for LISTEN_FDS > 1. */
  moreFds?: number[];
}

/** Spawns dist/roomhook serve socket-activated; does not wait (start-up failures). */
export function spawnActivated(opts: ActivatedOptions): Roomhook {
  requireBinary();
  const dataDir = opts.dataDir ?? join(tempDir("data"), "data");
  const configPath = join(tempDir("cfg"), "roomhook.toml");
  writeFileSync(configPath, opts.tomlText ?? toToml(mergeConfig(defaultConfig(dataDir), opts.config)));
  const env: Record<string, string> = { ...opts.env, LISTEN_FDS: opts.listenFds ?? "1" };
  if (opts.fdNames !== undefined) env.LISTEN_FDNAMES = opts.fdNames;
  const self = (opts.listenPid ?? "child") === "child";
  if (!self) env.LISTEN_PID = String(opts.listenPid);
  // exec keeps the shell's pid, so $$ is the pid roomhook will run as.
  const script = self ? 'LISTEN_PID=$$ exec "$0" "$@"' : 'exec "$0" "$@"';
  const argv = ["sh", "-c", script, opts.binary ?? BIN, "serve", "--config", configPath, ...(opts.args ?? [])];
  const proc = Bun.spawn(argv, {
    stdio: ["ignore", "pipe", "pipe", opts.fd, ...(opts.moreFds ?? [])],
    env: childEnv(env),
    cwd: tmpdir(),
  }) as unknown as Subprocess<"ignore", "pipe", "pipe">;
  const forget = track(proc);
  void proc.exited.then(forget);
  return new Roomhook(proc, dataDir, configPath);
}

/** Spawns socket-activated and waits until it listens (and /healthz answers, unless `https`). */
export async function startActivated(opts: ActivatedOptions & { https?: boolean }): Promise<Roomhook> {
  return await waitListening(spawnActivated(opts), opts.timeoutMs ?? 10_000, !opts.https);
}
