// Real nats-server processes for the NATS tests: one server or a 3-node cluster on loopback ports,
// JetStream on, each with a temp store dir that survives a restart of the same node. A test that
// needs nats-server fails (never skips) when it is missing: .ci/run installs Debian's.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager, type StoredMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Subprocess } from "bun";
import { until } from "../until.ts";
import { freePort, tempDir, track } from "./process.ts";

export function requireNatsServer(): string {
  const path = Bun.which("nats-server");
  if (!path) throw new Error("nats-server is not installed: apt-get install -y nats-server (.ci/run does)");
  return path;
}

export interface NatsNodePorts {
  client: number;
  monitor: number;
  cluster: number;
}

/** One nats-server; stop/kill and start again keep its ports and store dir. */
export class NatsNode {
  proc: Subprocess | null = null;
  private forget: (() => void) | null = null;
  readonly configPath: string;

  constructor(
    readonly name: string,
    readonly ports: NatsNodePorts,
    readonly storeDir: string,
    config: string,
  ) {
    this.configPath = join(storeDir, "..", `${name}.conf`);
    writeFileSync(this.configPath, config);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  async start(): Promise<this> {
    this.proc = Bun.spawn([requireNatsServer(), "-c", this.configPath], { stdout: "ignore", stderr: "pipe" });
    this.forget = track(this.proc);
    await until(
      `nats-server ${this.name} to be healthy`,
      async () => {
        if (this.proc?.exitCode !== null) throw new Error(`nats-server ${this.name} exited: ${await this.stderr()}`);
        const r = await fetch(`http://127.0.0.1:${this.ports.monitor}/healthz`).catch(() => null);
        return r?.ok ?? false;
      },
      { timeoutMs: 20_000, stepMs: 50 },
    );
    return this;
  }

  private async stderr(): Promise<string> {
    const s = this.proc?.stderr;
    return s && typeof s !== "number" ? (await new Response(s).text()).slice(-2000) : "";
  }

  /** SIGKILL: the node is gone at once, as on a lost VM. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill(9);
    await p.exited;
    this.forget?.();
    this.proc = null;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill("SIGTERM");
    await p.exited;
    this.forget?.();
    this.proc = null;
  }
}

function nodeConfig(name: string, ports: NatsNodePorts, storeDir: string, routes: string[] | null): string {
  const lines = [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${ports.client}`,
    `http: 127.0.0.1:${ports.monitor}`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
  ];
  if (routes)
    lines.push(
      `cluster { name: rh, listen: 127.0.0.1:${ports.cluster}, routes: [${routes.map((r) => JSON.stringify(r)).join(", ")}] }`,
    );
  return `${lines.join("\n")}\n`;
}

function ports(): NatsNodePorts {
  return { client: freePort(), monitor: freePort(), cluster: freePort() };
}

/** One JetStream server on loopback, started. */
export async function startNats(): Promise<NatsNode> {
  requireNatsServer();
  const dir = tempDir("nats");
  const p = ports();
  return new NatsNode("n1", p, join(dir, "store"), nodeConfig("n1", p, join(dir, "store"), null)).start();
}

/** Three JetStream servers in one cluster on loopback (an R3 stream needs all three to start). */
export async function startNatsCluster(): Promise<NatsNode[]> {
  requireNatsServer();
  const dir = tempDir("nats-cluster");
  const all = [ports(), ports(), ports()];
  const routes = all.map((p) => `nats-route://127.0.0.1:${p.cluster}`);
  const nodes = all.map(
    (p, i) =>
      new NatsNode(
        `n${i + 1}`,
        p,
        join(dir, `store-${i + 1}`),
        nodeConfig(`n${i + 1}`, p, join(dir, `store-${i + 1}`), routes),
      ),
  );
  await Promise.all(nodes.map((n) => n.start()));
  return nodes;
}

/** Every message of a stream, in stream order (a direct read by sequence, no consumer). */
export async function streamMessages(servers: string[], stream: string): Promise<StoredMsg[]> {
  const nc: NatsConnection = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: StoredMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) out.push(m);
    }
    return out;
  } finally {
    await nc.close();
  }
}

type NatsTomlValue = string | number | boolean | string[];

function tomlTable(header: string, t: Record<string, NatsTomlValue | undefined>): string {
  const lines = [header];
  for (const [k, v] of Object.entries(t)) if (v !== undefined) lines.push(`${k} = ${JSON.stringify(v)}`);
  return `${lines.join("\n")}\n`;
}

/** A `[[targets]]` table of kind "nats" (values as in the config file). */
export function natsTargetToml(t: Record<string, NatsTomlValue | undefined>): string {
  return tomlTable("[[targets]]", { kind: "nats", name: "bus", subject: "roomhook.{sdkAppId}.{type}", ...t });
}

/** The `[upstream]` table of a hub. */
export function upstreamToml(t: Record<string, NatsTomlValue | undefined>): string {
  return tomlTable("[upstream]", { kind: "nats", ...t });
}

/** How many messages a stream holds and its last sequence (0s when it does not exist yet). */
export async function streamState(servers: string[], stream: string): Promise<{ messages: number; lastSeq: number }> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    return { messages: info.state.messages, lastSeq: info.state.last_seq };
  } catch {
    return { messages: 0, lastSeq: 0 };
  } finally {
    await nc.close();
  }
}
