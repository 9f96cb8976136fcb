// HTTPS from tls_cert/tls_key, and certificate rotation on SIGHUP without refusing connections:
// self-signed certificates made at test time with openssl, the binary spawned like a user would.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  APP,
  certFingerprint,
  cleanup,
  installCert,
  liveCert,
  memberEnter,
  requireBinary,
  runCli,
  selfSignedCert,
  servedFingerprint,
  spawnRoomhook,
  tempDir,
  toToml,
  type Roomhook,
} from "./helpers.ts";

setDefaultTimeout(30_000);
afterAll(cleanup);

async function startTls(certPath: string, keyPath: string): Promise<Roomhook> {
  requireBinary();
  const dataDir = tempDir("tls-data");
  const toml = toToml({
    data_dir: dataDir,
    server: { listen: "127.0.0.1:0", tls_cert: certPath, tls_key: keyPath },
    apps: [{ sdk_app_id: APP }],
    admin: { listen: "127.0.0.1:0" },
    log: { level: "info" },
  });
  const rh = spawnRoomhook({ dataDir, tomlText: toml });
  const line = await rh.waitForLog((l) => l.msg === "roomhook listening", 10_000);
  expect(line.tls).toBe(true);
  const listen = String(line.listen);
  rh.port = Number(listen.slice(listen.lastIndexOf(":") + 1));
  return rh;
}

async function sendHttps(port: number, ca: string, body = memberEnter()): Promise<number> {
  const url = `https://127.0.0.1:${port}/callback?SdkAppid=${APP}&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web`;
  const r = await fetch(url, { method: "POST", body, tls: { ca } });
  await r.text();
  return r.status;
}

describe("TLS", () => {
  test("serves HTTPS with the configured certificate; plain HTTP is not answered", async () => {
    const dir = tempDir("tls-certs");
    const a = selfSignedCert(dir, "a");
    const rh = await startTls(a.cert, a.key);
    try {
      expect(await servedFingerprint(rh.port)).toBe(certFingerprint(a.cert));
      expect(await sendHttps(rh.port, readFileSync(a.cert, "utf8"))).toBe(200);
      const plain = await fetch(`http://127.0.0.1:${rh.port}/healthz`).then(
        (r) => r.status,
        () => "refused",
      );
      expect(plain).not.toBe(200);
      // roomhook send speaks HTTPS too (--insecure for the self-signed certificate)
      const sent = await runCli([
        "send",
        "--url",
        `https://127.0.0.1:${rh.port}/callback`,
        "--sdk-app-id",
        String(APP),
        "--insecure",
      ]);
      expect(sent.code).toBe(0);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });

  test("SIGHUP rotates the certificate; callbacks keep being acknowledged throughout", async () => {
    const dir = tempDir("tls-certs");
    const a = selfSignedCert(dir, "a");
    const b = selfSignedCert(dir, "b");
    const live = liveCert(dir, a);
    const rh = await startTls(live.cert, live.key);
    try {
      expect(await servedFingerprint(rh.port)).toBe(certFingerprint(a.cert));
      // a steady stream of callbacks across the rotation, trusting either certificate
      const ca = `${readFileSync(a.cert, "utf8")}\n${readFileSync(b.cert, "utf8")}`;
      let stop = false;
      const statuses: (number | string)[] = [];
      const stream = (async () => {
        while (!stop) statuses.push(await sendHttps(rh.port, ca).catch((e: Error) => e.message));
      })();
      await Bun.sleep(200);
      installCert(live, b);
      const from = rh.logs.length;
      rh.proc.kill("SIGHUP");
      await rh.waitForLog((l) => String(l.msg).startsWith("TLS material reloaded"), 5000, from);
      // The old listener answers with Connection: close for RETIRE_AFTER_MS (3 s), then stops; from
      // then on every new connection gets the new certificate.
      await Bun.sleep(3500);
      stop = true;
      await stream;
      expect(statuses.length).toBeGreaterThan(5);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      for (let i = 0; i < 5; i++) expect(await servedFingerprint(rh.port)).toBe(certFingerprint(b.cert));

      // a broken certificate file: the reload is refused, the running one stays
      writeFileSync(live.cert, "not a certificate\n");
      const from2 = rh.logs.length;
      rh.proc.kill("SIGHUP");
      const failed = await rh.waitForLog((l) => String(l.msg).startsWith("reload failed"), 5000, from2);
      expect(failed.level).toBe(50);
      expect(await servedFingerprint(rh.port)).toBe(certFingerprint(b.cert));
      expect(await sendHttps(rh.port, ca)).toBe(200);
    } finally {
      expect(await rh.stop()).toBe(0);
    }
  });

  test("a certificate without its key is refused at start-up, naming both keys", async () => {
    requireBinary();
    const dir = tempDir("tls-certs");
    const a = selfSignedCert(dir, "a");
    writeFileSync(
      join(dir, "half.toml"),
      `[server]\ntls_cert = ${JSON.stringify(a.cert)}\n[[apps]]\nsdk_app_id = ${APP}\n`,
    );
    const half = await runCli(["check-config", "--config", join(dir, "half.toml")]);
    expect(half.code).toBe(1);
    expect(half.stderr).toContain("server.tls_cert / server.tls_key");
  });
});
