// sd_listen_fds(3) as roomhook reads it: which socket (if any) systemd meant for this process.
import { describe, expect, test } from "bun:test";
import { ActivationError, parseListenFds, unsetListenEnv } from "../../src/ops/socket-activation.ts";

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
