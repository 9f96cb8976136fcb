// Raw HTTP over a socket, for chunked bodies and requests held open across a signal (fetch can do
// neither).
import { connect } from "node:net";

export interface RawConn {
  write(data: string | Uint8Array): void;
  /** The first complete response on the connection (status and body). */
  response: Promise<{ status: number; headers: string; body: string }>;
  close(): void;
}

export function rawConnect(port: number): Promise<RawConn> {
  return new Promise((resolveConn, rejectConn) => {
    const sock = connect({ host: "127.0.0.1", port });
    let buf = Buffer.alloc(0);
    let settle!: (v: { status: number; headers: string; body: string }) => void;
    let fail!: (e: Error) => void;
    const response = new Promise<{ status: number; headers: string; body: string }>((res, rej) => {
      settle = res;
      fail = rej;
    });
    response.catch(() => {});
    const tryParse = (final: boolean) => {
      const s = buf.toString("latin1");
      const end = s.indexOf("\r\n\r\n");
      if (end < 0) {
        if (final) fail(new Error(`connection closed before a response: ${JSON.stringify(s)}`));
        return;
      }
      const head = s.slice(0, end);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const rest = buf.subarray(Buffer.byteLength(s.slice(0, end + 4), "latin1"));
      if (cl) {
        if (rest.length >= Number(cl[1]))
          settle({ status, headers: head, body: rest.subarray(0, Number(cl[1])).toString("utf8") });
        else if (final) fail(new Error("connection closed mid-body"));
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        // Decode chunks.
        let out = "";
        let r = rest.toString("latin1");
        for (;;) {
          const nl = r.indexOf("\r\n");
          if (nl < 0) break;
          const n = parseInt(r.slice(0, nl), 16);
          if (n === 0) return settle({ status, headers: head, body: Buffer.from(out, "latin1").toString("utf8") });
          if (r.length < nl + 2 + n + 2) break;
          out += r.slice(nl + 2, nl + 2 + n);
          r = r.slice(nl + 2 + n + 2);
        }
        if (final) settle({ status, headers: head, body: Buffer.from(out, "latin1").toString("utf8") });
      } else if (final) {
        settle({ status, headers: head, body: rest.toString("utf8") });
      }
    };
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    sock.on("end", () => tryParse(true));
    sock.on("close", () => tryParse(true));
    sock.on("error", (e) => {
      fail(e);
      rejectConn(e);
    });
    sock.on("connect", () =>
      resolveConn({
        write: (d) => void sock.write(d),
        response,
        close: () => sock.destroy(),
      }),
    );
  });
}
