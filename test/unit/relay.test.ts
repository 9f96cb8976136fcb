// The relay of the socket-activated endpoint, in process: bytes a client sends while the relay's
// loopback connection to the inner server is still being set up are all forwarded once it opens.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { InheritedRelay } from "../../src/ops/relay.ts";
import { holdSocket } from "../support/harness.ts";

const open: { close(): void }[] = [];
afterAll(() => {
  for (const o of open) o.close();
});

describe("inherited-socket relay", () => {
  test("a client that sent more than the high-water mark before the inner connect opened is resumed", async () => {
    const outer = holdSocket();
    // Backlog 0 and three connections nobody accepts: the relay's SYN is dropped and its connect
    // completes only on the kernel's retry, about a second later.
    const inner = holdSocket("127.0.0.1", 0, 0);
    open.push(outer, inner);
    const fillers = Array.from({ length: 3 }, () => net.connect(inner.port, "127.0.0.1").on("error", () => {}));
    await Bun.sleep(200);
    const relay = new InheritedRelay(outer.fd, () => inner.port);
    const total = 2_000_000;
    const client = net.connect(outer.port, "127.0.0.1", () => client.write(Buffer.alloc(total, 0x61)));
    client.on("error", () => {});
    await Bun.sleep(400);
    let got = 0;
    const sink = Bun.listen({
      fd: inner.fd,
      socket: {
        data: (_s: unknown, d: Uint8Array) => {
          got += d.byteLength;
        },
        open() {},
        close() {},
        error() {},
      },
    } as unknown as Parameters<typeof Bun.listen>[0]);
    for (let t = 0; t < 80 && got < total; t++) await Bun.sleep(100);
    client.destroy();
    for (const f of fillers) f.destroy();
    relay.stopAccepting();
    relay.destroyAll();
    sink.stop(true);
    expect(got).toBe(total);
  }, 15_000);
});
