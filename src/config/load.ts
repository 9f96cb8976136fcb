// Builds the effective configuration: defaults < TOML file < ROOMHOOK_* environment < flags (README
// "Configuration"), then validates the whole result. Every error names the key and what was
// expected.
import { existsSync, readFileSync } from "node:fs";
import { TypeCompiler, type ValueError, ValueErrorType } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import { ConfigSchema, NatsTargetSchema, TargetSchema, type Config } from "./schema.ts";
import { natsProblems } from "./nats-problems.ts";
import { isLoopbackHost, parseCidr, parseListen } from "../net/address.ts";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

/** The quick-start overrides: the same names as flags (--sdk-app-id) and environment twins. */
export interface Overrides {
  listen?: string;
  sdkAppId?: string; // comma list
  token?: string;
  dataDir?: string;
  adminListen?: string;
  logLevel?: string;
  roomsEnabled?: string; // "true" | "false"
}

export const ENV_NAMES: Record<keyof Overrides, string> = {
  listen: "ROOMHOOK_LISTEN",
  sdkAppId: "ROOMHOOK_SDK_APP_ID",
  token: "ROOMHOOK_TOKEN",
  dataDir: "ROOMHOOK_DATA_DIR",
  adminListen: "ROOMHOOK_ADMIN_LISTEN",
  logLevel: "ROOMHOOK_LOG_LEVEL",
  roomsEnabled: "ROOMHOOK_ROOMS_ENABLED",
};

export const DEFAULT_CONFIG_PATH = "/etc/roomhook/roomhook.toml";

export function envOverrides(env: Record<string, string | undefined>): Overrides {
  const out: Overrides = {};
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof Overrides, string][]) {
    const v = env[name];
    if (v !== undefined && v !== "") out[key] = v;
  }
  return out;
}

/** Which file to read: --config, else $ROOMHOOK_CONFIG, else the system path when it exists. */
export function resolveConfigPath(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (flag) return flag;
  if (env.ROOMHOOK_CONFIG) return env.ROOMHOOK_CONFIG;
  return existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined;
}

export function readToml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError([`cannot read config file ${path}: ${(e as Error).message}`]);
  }
  try {
    return Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError([`${path} is not valid TOML: ${(e as Error).message}`]);
  }
}

function section(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = raw[key];
  if (v !== undefined) return v as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  raw[key] = fresh;
  return fresh;
}

function applyOverrides(raw: Record<string, unknown>, o: Overrides, source: (k: keyof Overrides) => string): string[] {
  const problems: string[] = [];
  if (o.dataDir !== undefined) raw.data_dir = o.dataDir;
  if (o.listen !== undefined) section(raw, "server").listen = o.listen;
  if (o.adminListen !== undefined) section(raw, "admin").listen = o.adminListen;
  if (o.logLevel !== undefined) section(raw, "log").level = o.logLevel;
  if (o.roomsEnabled !== undefined) {
    if (o.roomsEnabled === "true" || o.roomsEnabled === "false")
      section(raw, "rooms").enabled = o.roomsEnabled === "true";
    else problems.push(`${source("roomsEnabled")}: expected "true" or "false", got "${o.roomsEnabled}"`);
  }
  if (o.sdkAppId !== undefined) {
    const ids = o.sdkAppId
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = ids.filter((s) => !/^\d+$/.test(s));
    if (bad.length || ids.length === 0) {
      problems.push(`${source("sdkAppId")}: expected a comma-separated list of numeric SDKAppIDs, got "${o.sdkAppId}"`);
    } else {
      raw.apps = ids.map((id) => ({ sdk_app_id: Number(id) }));
    }
  }
  // The quick-start token applies to every app: the common case is exactly one.
  if (o.token !== undefined && Array.isArray(raw.apps)) {
    for (const app of raw.apps as Record<string, unknown>[]) if (app && typeof app === "object") app.token = o.token;
  }
  return problems;
}

/** "/apps/0/sdk_app_id" -> "apps[0].sdk_app_id" */
function keyName(path: string): string {
  if (path === "") return "(top level)";
  return path
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

const checker = TypeCompiler.Compile(ConfigSchema);
/** Each target is checked against its own kind's schema: the union's errors would name no key. */
const targetCheckers = { http: TypeCompiler.Compile(TargetSchema), nats: TypeCompiler.Compile(NatsTargetSchema) };
const targetKind = (t: unknown): "http" | "nats" =>
  t !== null && typeof t === "object" && (t as { kind?: unknown }).kind === "nats" ? "nats" : "http";

/** Keys whose values are secrets: an error names the key and the rule, never the value. */
const SECRET_KEY = /(^|\.)(token|secret|password)(\[\d+\])?$/;

function expected(schema: { anyOf?: { const?: unknown }[] }): string | null {
  const lits = schema.anyOf?.map((s) => s.const).filter((v) => v !== undefined);
  return lits?.length && lits.length === schema.anyOf!.length
    ? `expected one of ${lits.map((l) => JSON.stringify(l)).join(", ")}`
    : null;
}

function schemaProblems(value: unknown): string[] {
  const out = problemsOf(checker.Errors(value), "", (path) => path.startsWith("/targets/"));
  const targets = (value as { targets?: unknown }).targets;
  if (Array.isArray(targets)) {
    targets.forEach((t, i) => {
      out.push(...problemsOf(targetCheckers[targetKind(t)].Errors(t), `/targets/${i}`, () => false));
    });
  }
  return out;
}

function problemsOf(errors: Iterable<ValueError>, prefix: string, skip: (path: string) => boolean): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    if (skip(e.path)) continue;
    const key = keyName(prefix + e.path);
    if (seen.has(key)) continue;
    seen.add(key);
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      // Reported at the unknown key's own path; the schema is its parent's.
      const known = Object.keys((e.schema as { properties?: object }).properties ?? {});
      out.push(`${key}: unknown key (allowed here: ${known.join(", ")})`);
      continue;
    }
    if (e.value === undefined) {
      out.push(`${key}: is required`);
      continue;
    }
    const what = expected(e.schema as { anyOf?: { const?: unknown }[] }) ?? e.message;
    out.push(
      SECRET_KEY.test(key)
        ? `${key}: ${what} (value not shown: it is a secret)`
        : `${key}: ${what}, got ${JSON.stringify(e.value)}`,
    );
  }
  return out;
}

function semanticProblems(c: Config): string[] {
  const p: string[] = [];
  const listen = parseListen(c.server.listen);
  if (typeof listen === "string") p.push(`server.listen: ${listen}`);
  const admin = parseListen(c.admin.listen);
  if (typeof admin === "string") p.push(`admin.listen: ${admin}`);
  else if (!isLoopbackHost(admin.hostname) && !c.admin.token) {
    p.push(`admin.token: required because admin.listen (${c.admin.listen}) is not a loopback address`);
  }
  if (Boolean(c.server.tls_cert) !== Boolean(c.server.tls_key)) {
    p.push("server.tls_cert / server.tls_key: set both for HTTPS, or neither");
  }
  c.server.allow_from.forEach((entry, i) => {
    const r = parseCidr(entry);
    if (typeof r === "string") p.push(`server.allow_from[${i}]: ${r}`);
  });
  const ids = new Set<number>();
  c.apps.forEach((a, i) => {
    if (ids.has(a.sdk_app_id)) p.push(`apps[${i}].sdk_app_id: ${a.sdk_app_id} is listed twice`);
    ids.add(a.sdk_app_id);
  });
  const names = new Set<string>();
  c.targets.forEach((t, i) => {
    if (names.has(t.name)) p.push(`targets[${i}].name: "${t.name}" is used twice`);
    names.add(t.name);
    if (t.kind === "nats") {
      p.push(...natsProblems(t, `targets[${i}]`));
      return;
    }
    try {
      new URL(t.url);
    } catch {
      p.push(`targets[${i}].url: "${t.url}" is not a valid URL`);
    }
    const secrets = Array.isArray(t.secret) ? t.secret : [t.secret];
    secrets.forEach((s, j) => {
      if (!/^whsec_[A-Za-z0-9+/]+=*$/.test(s)) {
        p.push(
          `targets[${i}].secret${Array.isArray(t.secret) ? `[${j}]` : ""}: expected a Standard Webhooks secret "whsec_<base64>"`,
        );
      }
    });
  });
  if (c.upstream) p.push(...natsProblems(c.upstream, "upstream"));
  return p;
}

/** Defaults per target kind, before the whole: the union's own defaulting would pick neither. */
function defaultTargets(raw: Record<string, unknown>): void {
  if (!Array.isArray(raw.targets)) return;
  raw.targets = raw.targets.map((t: unknown) =>
    t !== null && typeof t === "object"
      ? Value.Default(targetKind(t) === "nats" ? NatsTargetSchema : TargetSchema, t)
      : t,
  );
}

/** Merges and validates; throws ConfigError listing every problem found. Pure apart from the file read. */
export function buildConfig(opts: { file?: Record<string, unknown>; env?: Overrides; flags?: Overrides }): Config {
  const raw: Record<string, unknown> = structuredClone(opts.file ?? {});
  for (const key of ["server", "journal", "dedupe", "admin", "log", "rooms"]) {
    if (raw[key] === undefined) raw[key] = {};
  }
  // One merged set of overrides, so that e.g. ROOMHOOK_TOKEN still applies to apps from --sdk-app-id.
  const flags = opts.flags ?? {};
  const merged: Overrides = { ...opts.env, ...flags };
  const problems = applyOverrides(raw, merged, (k) =>
    k in flags ? `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : ENV_NAMES[k],
  );
  if (raw.apps === undefined && problems.length === 0) {
    problems.push(
      "apps: at least one [[apps]] entry with sdk_app_id is required (or --sdk-app-id / ROOMHOOK_SDK_APP_ID)",
    );
  }
  defaultTargets(raw);
  const withDefaults = Value.Default(ConfigSchema, raw);
  if (problems.length === 0) problems.push(...schemaProblems(withDefaults));
  if (problems.length === 0) problems.push(...semanticProblems(withDefaults as Config));
  if (problems.length) throw new ConfigError(problems);
  return withDefaults as Config;
}

/** Reads everything from the process's world: the file, the environment, the parsed flags. */
export function loadConfig(args: { configPath?: string; flags: Overrides; env: Record<string, string | undefined> }): {
  config: Config;
  path: string | undefined;
} {
  const path = resolveConfigPath(args.configPath, args.env);
  const file = path ? readToml(path) : {};
  return { config: buildConfig({ file, env: envOverrides(args.env), flags: args.flags }), path };
}
