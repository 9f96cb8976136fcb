// Certificates for the HTTPS tests: self-signed ones made with openssl at test time, the files the
// service is pointed at (replaced to rotate them), and the certificate a connection is served.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed P-256 certificate for 127.0.0.1 and localhost, valid for a day. */
export function selfSignedCert(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"];
  args.push("-subj", `/CN=roomhook-test-${name}`, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  execFileSync("openssl", [...args, "-keyout", key, "-out", cert], { stdio: "ignore" });
  return { cert, key };
}

/** Copies `from` over `live` (the paths in the config): a rotation, once SIGHUP is sent. */
export function installCert(live: CertFiles, from: CertFiles): void {
  copyFileSync(from.cert, live.cert);
  copyFileSync(from.key, live.key);
}

/** The live files in `dir`, holding `first` for now. */
export function liveCert(dir: string, first: CertFiles): CertFiles {
  const live = { cert: join(dir, "live.crt"), key: join(dir, "live.key") };
  installCert(live, first);
  return live;
}

export const certFingerprint = (certPath: string): string => new X509Certificate(readFileSync(certPath)).fingerprint256;

/** The fingerprint of the certificate a fresh TLS connection to `port` is served. */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? "";
      s.end();
      resolve(fp);
    });
    s.on("error", reject);
  });
}
