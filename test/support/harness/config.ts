// roomhook TOML for the binary under test: the defaults every e2e test and fault script starts from
// (loopback listeners on port 0, one app), and targets for the fan-out.

export const APP = 1400000000;
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const TOKEN = "fault-suite-token-3b8e1d";

type TomlValue = string | number | boolean | string[] | number[];
export interface TomlConfig {
  data_dir?: string;
  server?: Record<string, TomlValue>;
  apps?: Record<string, TomlValue>[];
  journal?: Record<string, TomlValue>;
  dedupe?: Record<string, TomlValue>;
  admin?: Record<string, TomlValue>;
  log?: Record<string, TomlValue>;
  rooms?: Record<string, TomlValue>;
}

function tomlValue(v: TomlValue): string {
  if (Array.isArray(v)) return `[${(v as TomlValue[]).map(tomlValue).join(", ")}]`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function tomlTable(name: string, t: Record<string, TomlValue>, array = false): string {
  const lines = [array ? `[[${name}]]` : `[${name}]`];
  for (const [k, v] of Object.entries(t)) lines.push(`${k} = ${tomlValue(v)}`);
  return lines.join("\n");
}

export function toToml(c: TomlConfig): string {
  const parts: string[] = [];
  if (c.data_dir !== undefined) parts.push(`data_dir = ${tomlValue(c.data_dir)}`);
  for (const key of ["server", "journal", "dedupe", "admin", "log", "rooms"] as const) {
    const t = c[key];
    if (t) parts.push(tomlTable(key, t));
  }
  for (const a of c.apps ?? []) parts.push(tomlTable("apps", a, true));
  return `${parts.join("\n\n")}\n`;
}

export function defaultConfig(dataDir: string): TomlConfig {
  return {
    data_dir: dataDir,
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP }],
    admin: { listen: "127.0.0.1:0" },
    log: { level: "info" },
  };
}

export function mergeConfig(base: TomlConfig, over: TomlConfig = {}): TomlConfig {
  return {
    ...base,
    ...over,
    server: { ...base.server, ...over.server },
    journal: { ...base.journal, ...over.journal },
    dedupe: { ...base.dedupe, ...over.dedupe },
    admin: { ...base.admin, ...over.admin },
    log: { ...base.log, ...over.log },
    rooms: { ...base.rooms, ...over.rooms },
    apps: over.apps ?? base.apps,
  };
}

export interface TargetToml {
  name: string;
  url: string;
  secret?: string | string[];
  max_in_flight?: number;
  timeout_ms?: number;
  retry_delays_ms?: number[];
  rooms?: string[];
  types?: string[];
}

/** `[[targets]]` tables; what a target leaves out comes from `defaults`, then from the fault suites' values. */
export function targetsToml(targets: readonly TargetToml[], defaults: Partial<TargetToml> = {}): string {
  const t = targets.map((given) => {
    const x = { ...defaults, ...given };
    const lines = [
      "[[targets]]",
      `name = ${JSON.stringify(x.name)}`,
      `url = ${JSON.stringify(x.url)}`,
      `secret = ${JSON.stringify(x.secret ?? SECRET)}`,
      `max_in_flight = ${x.max_in_flight ?? 16}`,
      `timeout_ms = ${x.timeout_ms ?? 2000}`,
      `retry_delays_ms = ${JSON.stringify(x.retry_delays_ms ?? [20, 50, 100, 200, 500, 1000])}`,
    ];
    if (x.rooms) lines.push(`rooms = ${JSON.stringify(x.rooms)}`);
    if (x.types) lines.push(`types = ${JSON.stringify(x.types)}`);
    return lines.join("\n");
  });
  return `${t.join("\n\n")}\n`;
}

/** A roomhook TOML: loopback listeners, one app with a token (every send is signed), targets. */
export function configText(base: TomlConfig, targets: TargetToml[]): string {
  const cfg: TomlConfig = {
    server: { listen: "127.0.0.1:0" },
    apps: [{ sdk_app_id: APP, token: TOKEN, sign_window_s: 300 }],
    admin: { listen: "127.0.0.1:0" },
    log: { level: "info" }, // startRoomhook waits for the "roomhook listening" info line
    ...base,
  };
  return `${toToml(cfg)}\n${targetsToml(targets)}`;
}
