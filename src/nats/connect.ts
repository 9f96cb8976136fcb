// Connection options for a NATS target or upstream from its config: the servers, one way of
// authenticating (token, user/password, or a creds file), TLS. Reconnects never give up: an outage
// is waited out, the journal (or JetStream, for the upstream) holds what is pending meanwhile.
import { readFileSync } from "node:fs";
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { NatsConnectionConfig } from "../config/schema.ts";

export function servers(c: Pick<NatsConnectionConfig, "url">): string[] {
  return Array.isArray(c.url) ? c.url : [c.url];
}

/** The servers without credentials, for status and logs. */
export function publicServers(c: Pick<NatsConnectionConfig, "url">): string {
  return servers(c)
    .map((u) => {
      try {
        const p = new URL(u);
        p.username = "";
        p.password = "";
        return p.toString().replace(/\/$/, "");
      } catch {
        return "(invalid url)";
      }
    })
    .join(",");
}

export function connectionOptions(c: NatsConnectionConfig, name: string): ConnectionOptions {
  const o: ConnectionOptions = {
    servers: servers(c),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  };
  if (c.token) o.token = c.token;
  if (c.user) {
    o.user = c.user;
    o.pass = c.password;
  }
  if (c.creds_file) o.authenticator = credsAuthenticator(readFileSync(c.creds_file));
  const tlsUrl = servers(c).some((u) => u.startsWith("tls://"));
  if (c.tls_ca || c.tls_cert || tlsUrl) {
    o.tls = {
      ...(c.tls_ca ? { caFile: c.tls_ca } : {}),
      ...(c.tls_cert ? { certFile: c.tls_cert, keyFile: c.tls_key } : {}),
    };
  }
  return o;
}

export function connectNats(c: NatsConnectionConfig, name: string): Promise<NatsConnection> {
  return connect(connectionOptions(c, name));
}
