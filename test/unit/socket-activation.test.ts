// sd_listen_fds(3) as roomhook reads it: which socket (if any) systemd meant for this process.
import { describe, expect, test } from "bun:test";
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ActivationError,
  listeningTcpAddress,
  parseListenFds,
  unsetListenEnv,
} from "../../src/ops/socket-activation.ts";
import { holdSocket } from "../support/harness/socket-activation.ts";

const PID = 4242;

describe("parseListenFds", () => {
  test("LISTEN_PID of this process and LISTEN_FDS=1: fd 3", () => {
    expect(parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "1" }, PID)).toEqual({
      fd: 3,
      name: null,
      count: 1,
      chosen: "only",
    });
    expect(parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "1", LISTEN_FDNAMES: "web" }, PID)?.name).toBe("web");
  });

  test("LISTEN_PID of another process, or unset: ignored (server.listen is bound)", () => {
    expect(parseListenFds({ LISTEN_PID: "4243", LISTEN_FDS: "1" }, PID)).toBeNull();
    expect(parseListenFds({ LISTEN_FDS: "1" }, PID)).toBeNull();
    expect(parseListenFds({ LISTEN_PID: "", LISTEN_FDS: "1" }, PID)).toBeNull();
    // Even a garbage LISTEN_FDS is not ours to judge when the pid is not ours.
    expect(parseListenFds({ LISTEN_PID: "1", LISTEN_FDS: "x" }, PID)).toBeNull();
  });

  test("LISTEN_FDS=0 or unset: no socket", () => {
    expect(parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "0" }, PID)).toBeNull();
    expect(parseListenFds({ LISTEN_PID: "4242" }, PID)).toBeNull();
  });

  test("LISTEN_FDS that is not a count is fatal when the pid is ours", () => {
    expect(() => parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "two" }, PID)).toThrow(ActivationError);
    expect(() => parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "-1" }, PID)).toThrow(ActivationError);
  });

  test("several fds: the one named roomhook, else the first", () => {
    const named = parseListenFds(
      { LISTEN_PID: "4242", LISTEN_FDS: "3", LISTEN_FDNAMES: "metrics:roomhook:other" },
      PID,
    );
    expect(named).toEqual({ fd: 4, name: "roomhook", count: 3, chosen: "named" });
    const first = parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "2", LISTEN_FDNAMES: "a:b" }, PID);
    expect(first).toEqual({ fd: 3, name: "a", count: 2, chosen: "first" });
    expect(parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "2" }, PID)).toEqual({
      fd: 3,
      name: null,
      count: 2,
      chosen: "first",
    });
    // A name past LISTEN_FDS does not count.
    expect(parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "1", LISTEN_FDNAMES: "a:roomhook" }, PID)?.fd).toBe(3);
    expect(parseListenFds({ LISTEN_PID: "4242", LISTEN_FDS: "2", LISTEN_FDNAMES: "a:b:roomhook" }, PID)?.fd).toBe(3);
  });
});

test("unsetListenEnv removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES only", () => {
  const env: Record<string, string | undefined> = {
    LISTEN_PID: "1",
    LISTEN_FDS: "1",
    LISTEN_FDNAMES: "roomhook",
    HOME: "/root",
  };
  unsetListenEnv(env);
  expect(env).toEqual({ HOME: "/root" });
});

describe("listeningTcpAddress", () => {
  test("a listening TCP socket: its address from /proc/net/tcp", () => {
    const held = holdSocket();
    try {
      expect(listeningTcpAddress(held.fd)).toEqual({ hostname: "127.0.0.1", port: held.port, family: "IPv4" });
    } finally {
      held.close();
    }
  });

  test("IPv6 and IPv4-mapped addresses are read from tcp6; a socket that does not listen is refused", () => {
    const held = holdSocket();
    const ino = fstatSync(held.fd).ino;
    const dir = mkdtempSync(join(tmpdir(), "roomhook-proc-"));
    const head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    const row = (addr: string, st: string) =>
      `   0: ${addr}:1F90 00000000000000000000000000000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 ${ino} 1 0 100 0 0 10 0\n`;
    try {
      writeFileSync(join(dir, "tcp"), head);
      writeFileSync(join(dir, "tcp6"), head + row("00000000000000000000000001000000", "0A"));
      expect(listeningTcpAddress(held.fd, dir)).toEqual({ hostname: "::1", port: 8080, family: "IPv6" });
      writeFileSync(join(dir, "tcp6"), head + row("0000000000000000FFFF00000100007F", "0A"));
      expect(listeningTcpAddress(held.fd, dir)).toEqual({ hostname: "127.0.0.1", port: 8080, family: "IPv4" });
      writeFileSync(join(dir, "tcp6"), head + row("00000000000000000000000000000000", "0A"));
      expect(listeningTcpAddress(held.fd, dir).hostname).toBe("::");
      writeFileSync(join(dir, "tcp6"), head + row("00000000000000000000000001000000", "01"));
      expect(() => listeningTcpAddress(held.fd, dir)).toThrow(/not listening/);
      writeFileSync(join(dir, "tcp6"), head);
      expect(() => listeningTcpAddress(held.fd, dir)).toThrow(/not a listening TCP socket/);
    } finally {
      held.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a file, or a closed fd, is refused with a plain message", () => {
    const dir = mkdtempSync(join(tmpdir(), "roomhook-fd-"));
    const fd = openSync(join(dir, "f"), "w");
    try {
      expect(() => listeningTcpAddress(fd)).toThrow(/is not a socket/);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => listeningTcpAddress(fd)).toThrow(/is not open/);
  });
});
