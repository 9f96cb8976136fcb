// A listening TCP socket the way systemd's roomhook.socket holds one: made with socket(2), bind(2)
// and listen(2) through libc, so this process never accepts on it (a node:net server would take
// connections meant for the child). Passed to dist/roomhook as fd 3 with LISTEN_FDS/LISTEN_PID,
// it lets a test restart the service while the kernel queues connections, as systemd does.
import { dlopen, FFIType, ptr } from "bun:ffi";

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;

let libc: ReturnType<typeof openLibc> | null = null;

function openLibc() {
  const i32 = FFIType.i32;
  return dlopen("libc.so.6", {
    socket: { args: [i32, i32, i32], returns: i32 },
    setsockopt: { args: [i32, i32, i32, FFIType.ptr, FFIType.u32], returns: i32 },
    bind: { args: [i32, FFIType.ptr, FFIType.u32], returns: i32 },
    listen: { args: [i32, i32], returns: i32 },
    getsockname: { args: [i32, FFIType.ptr, FFIType.ptr], returns: i32 },
    close: { args: [i32], returns: i32 },
  }).symbols;
}

export interface ListeningSocket {
  fd: number;
  port: number;
  close(): void;
}

/** An IPv4 listening socket on `host:port` (port 0: the kernel picks), with a deep backlog. */
export function listeningSocket(host = "127.0.0.1", port = 0, backlog = 4096): ListeningSocket {
  libc ??= openLibc();
  const c = libc;
  const fd = c.socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw new Error("socket(2) failed");
  const one = new Int32Array([1]);
  c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, ptr(one), 4);
  const addr = Buffer.alloc(16);
  addr.writeUInt16LE(AF_INET, 0);
  addr.writeUInt16BE(port, 2);
  addr.set(host.split(".").map(Number), 4);
  if (c.bind(fd, ptr(addr), 16) !== 0 || c.listen(fd, backlog) !== 0) {
    c.close(fd);
    throw new Error(`cannot listen on ${host}:${port}`);
  }
  const bound = Buffer.alloc(16);
  const len = new Uint32Array([16]);
  c.getsockname(fd, ptr(bound), ptr(len));
  return { fd, port: bound.readUInt16BE(2), close: () => void c.close(fd) };
}
