// Unit tests for the configuration: src/config/load.ts, schema.ts, mask.ts (README "Configuration").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildConfig,
  ConfigError,
  DEFAULT_CONFIG_PATH,
  envOverrides,
  readToml,
  resolveConfigPath,
  type Overrides,
} from "../../src/config/load.ts";
import { type Config, DEFAULT_RETRY_DELAYS_MS, type HttpTargetConfig } from "../../src/config/schema.ts";
import { MASK, maskConfig } from "../../src/config/mask.ts";

const ONE_APP = { apps: [{ sdk_app_id: 1400000000 }] };
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** The problems buildConfig reports; fails the test when it does not throw a ConfigError. */
function problemsOf(opts: { file?: Record<string, unknown>; env?: Overrides; flags?: Overrides }): string[] {
  try {
    buildConfig(opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected buildConfig to throw a ConfigError");
}

/** Asserts exactly one problem was found, and that it is about `key`. */
function onlyProblem(opts: Parameters<typeof problemsOf>[0], key: string): string {
  const problems = problemsOf(opts);
  expect(problems).toHaveLength(1);
  expect(problems[0]!.startsWith(`${key}:`) || problems[0]!.startsWith(`${key} `)).toBe(true);
  return problems[0]!;
}

function target(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "sync", url: "http://127.0.0.1:9000/room-events", secret: SECRET, ...over };
}

describe("buildConfig: defaults", () => {
  test("fills every documented default", () => {
    const c = buildConfig({ file: ONE_APP });
    expect(c.data_dir).toBe("/var/lib/roomhook");
    expect(c.server).toEqual({
      listen: "0.0.0.0:8080",
      path: "/callback",
      max_body_bytes: 1_048_576,
      allow_from: [],
      trust_proxy: false,
    });
    expect(c.apps).toEqual([{ sdk_app_id: 1400000000, sign_window_s: 60 }]);
    expect(c.journal).toEqual({ durability: "fsync", segment_bytes: 134_217_728, retention_hours: 168 });
    expect(c.dedupe).toEqual({ window: 100_000 });
    expect(c.admin).toEqual({ listen: "127.0.0.1:8081" });
    expect(c.log).toEqual({ level: "info" });
    expect(c.targets).toEqual([]);
  });

  test("fills target defaults", () => {
    const c = buildConfig({ file: { ...ONE_APP, targets: [target()] } });
    const t = c.targets[0] as HttpTargetConfig;
    expect(t.types).toEqual(["*"]);
    expect(t.max_in_flight).toBe(16);
    expect(t.timeout_ms).toBe(5000);
    expect(t.retry_delays_ms).toEqual(DEFAULT_RETRY_DELAYS_MS);
  });

  test("keeps explicit values from the file", () => {
    const c = buildConfig({
      file: { ...ONE_APP, journal: { durability: "write" }, dedupe: { window: 0 }, log: { level: "debug" } },
    });
    expect(c.journal.durability).toBe("write");
    expect(c.dedupe.window).toBe(0);
    expect(c.log.level).toBe("debug");
  });

  test("does not modify the file object it was given", () => {
    const file = { ...ONE_APP, server: { listen: "127.0.0.1:1" } };
    const before = structuredClone(file);
    buildConfig({ file, env: { listen: "127.0.0.1:2" }, flags: { token: "tok" } });
    expect(file).toEqual(before);
  });

  test("without any app it fails, naming apps and the quick-start flag", () => {
    const p = onlyProblem({}, "apps");
    expect(p).toContain("--sdk-app-id");
  });
});

describe("buildConfig: precedence file < env < flags", () => {
  const file = { ...ONE_APP, server: { listen: "127.0.0.1:1001" }, data_dir: "/file" };

  test("file beats the default", () => {
    expect(buildConfig({ file }).server.listen).toBe("127.0.0.1:1001");
  });

  test("env beats the file", () => {
    expect(buildConfig({ file, env: { listen: "127.0.0.1:1002" } }).server.listen).toBe("127.0.0.1:1002");
  });

  test("flags beat env and file", () => {
    const c = buildConfig({ file, env: { listen: "127.0.0.1:1002" }, flags: { listen: "127.0.0.1:1003" } });
    expect(c.server.listen).toBe("127.0.0.1:1003");
  });

  test("each quick-start override lands on its key", () => {
    const c = buildConfig({
      file,
      flags: { dataDir: "/flag", adminListen: "127.0.0.1:1004", logLevel: "warn" },
    });
    expect(c.data_dir).toBe("/flag");
    expect(c.admin.listen).toBe("127.0.0.1:1004");
    expect(c.log.level).toBe("warn");
  });

  test("sdk app id comma list replaces the apps (spaces and empty items tolerated)", () => {
    const c = buildConfig({ file, env: { sdkAppId: "1400000001, 1400000002,,1400000003" } });
    expect(c.apps.map((a) => a.sdk_app_id)).toEqual([1400000001, 1400000002, 1400000003]);
  });

  test("a non-numeric sdk app id is reported under the env variable or flag name", () => {
    expect(onlyProblem({ env: { sdkAppId: "1400000001,abc" } }, "ROOMHOOK_SDK_APP_ID")).toContain("1400000001,abc");
    onlyProblem({ flags: { sdkAppId: "x" } }, "--sdk-app-id");
    onlyProblem({ flags: { sdkAppId: " , " } }, "--sdk-app-id");
  });

  test("--token is applied to every app from the file", () => {
    const c = buildConfig({
      file: { apps: [{ sdk_app_id: 1 }, { sdk_app_id: 2, token: "old" }] },
      flags: { token: "quickstart" },
    });
    expect(c.apps.map((a) => a.token)).toEqual(["quickstart", "quickstart"]);
  });

  test("--token is applied to every app from ROOMHOOK_SDK_APP_ID", () => {
    const c = buildConfig({ env: { sdkAppId: "1,2" }, flags: { token: "quickstart" } });
    expect(c.apps.map((a) => a.token)).toEqual(["quickstart", "quickstart"]);
  });

  test("ROOMHOOK_TOKEN with ROOMHOOK_SDK_APP_ID gives every app the token", () => {
    const c = buildConfig({ env: { sdkAppId: "1,2", token: "envtoken" } });
    expect(c.apps.map((a) => a.token)).toEqual(["envtoken", "envtoken"]);
  });

  // Regression guard (src/config/load.ts applyOverrides): env is applied before flags, and --sdk-app-id replaces
  // raw.apps with fresh entries, so the ROOMHOOK_TOKEN already applied is lost and callback
  // authentication is silently off. Remove `.failing` once fixed.
  test("ROOMHOOK_TOKEN still applies when the apps come from --sdk-app-id", () => {
    const c = buildConfig({ env: { token: "envtoken" }, flags: { sdkAppId: "1400000000" } });
    expect(c.apps[0]!.token).toBe("envtoken");
  });
});

describe("buildConfig: validation names the key", () => {
  test("server.listen that is not host:port", () => {
    expect(onlyProblem({ file: { ...ONE_APP, server: { listen: "8080" } } }, "server.listen")).toContain('"8080"');
  });

  test("server.listen of the wrong type", () => {
    onlyProblem({ file: { ...ONE_APP, server: { listen: 8080 } } }, "server.listen");
  });

  test("server.listen from a flag is validated too", () => {
    onlyProblem({ file: ONE_APP, flags: { listen: "0.0.0.0:99999" } }, "server.listen");
  });

  test("apps[1].sdk_app_id of the wrong type", () => {
    onlyProblem({ file: { apps: [{ sdk_app_id: 1 }, { sdk_app_id: "x" }] } }, "apps[1].sdk_app_id");
  });

  test("apps[1].sdk_app_id missing is reported as required", () => {
    expect(onlyProblem({ file: { apps: [{ sdk_app_id: 1 }, {}] } }, "apps[1].sdk_app_id")).toContain("required");
  });

  test("duplicate app ids", () => {
    const p = onlyProblem({ file: { apps: [{ sdk_app_id: 7 }, { sdk_app_id: 7 }] } }, "apps[1].sdk_app_id");
    expect(p).toContain("twice");
  });

  test("journal.durability outside its enum", () => {
    onlyProblem({ file: { ...ONE_APP, journal: { durability: "sometimes" } } }, "journal.durability");
  });

  // The configuration contract: "an error names the key and what was expected". For unions TypeBox only says
  // "Expected union value", so the operator is not told the allowed values. Remove `.failing` once fixed.
  test("journal.durability error says which values are allowed", () => {
    const p = onlyProblem({ file: { ...ONE_APP, journal: { durability: "sometimes" } } }, "journal.durability");
    expect(p).toContain("fsync");
    expect(p).toContain("write");
  });

  test("log.level outside its enum", () => {
    onlyProblem({ file: { ...ONE_APP, log: { level: "loud" } } }, "log.level");
  });

  test("server.max_body_bytes below its minimum", () => {
    onlyProblem({ file: { ...ONE_APP, server: { max_body_bytes: 10 } } }, "server.max_body_bytes");
  });

  test("unknown key server.lisen is named", () => {
    const problems = problemsOf({ file: { ...ONE_APP, server: { lisen: "0.0.0.0:1" } } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith("server.lisen:")).toBe(true);
  });

  // Regression guard (src/config/load.ts schemaProblems): TypeBox 0.34 reports an additional property at the
  // child's path with the child's value, but the code expects the parent's path and value. A scalar
  // unknown key therefore reads "server.lisen: Unexpected property, got "0.0.0.0:1"" (not "unknown
  // key", and the value is echoed, which leaks a misspelt secret such as `tokn = "..."`).
  test("unknown key server.lisen is reported as an unknown key without echoing its value", () => {
    const problems = problemsOf({ file: { ...ONE_APP, server: { lisen: "0.0.0.0:1" } } });
    expect(problems[0]!).toMatch(/^server\.lisen: unknown key/);
    expect(problems[0]!).not.toContain("0.0.0.0:1");
  });

  // Same bug, table case: an unknown section `[serve]` is reported as "serve.listen: unknown key
  // (allowed here: data_dir, server, ...)", naming a key inside it and the top-level key list.
  test("an unknown section is named itself", () => {
    const problems = problemsOf({ file: { ...ONE_APP, serve: { listen: "0.0.0.0:1" } } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!).toMatch(/^serve: unknown key/);
  });

  test("tls_cert without tls_key", () => {
    const p = onlyProblem({ file: { ...ONE_APP, server: { tls_cert: "/c.pem" } } }, "server.tls_cert / server.tls_key");
    expect(p).toContain("both");
    onlyProblem({ file: { ...ONE_APP, server: { tls_key: "/k.pem" } } }, "server.tls_cert / server.tls_key");
    expect(
      buildConfig({ file: { ...ONE_APP, server: { tls_cert: "/c.pem", tls_key: "/k.pem" } } }).server.tls_key,
    ).toBe("/k.pem");
  });

  test("admin.listen on a non-loopback address requires admin.token", () => {
    const p = onlyProblem({ file: { ...ONE_APP, admin: { listen: "0.0.0.0:8081" } } }, "admin.token");
    expect(p).toContain("0.0.0.0:8081");
    const ok = buildConfig({ file: { ...ONE_APP, admin: { listen: "0.0.0.0:8081", token: "a".repeat(16) } } });
    expect(ok.admin.token).toBe("a".repeat(16));
  });

  test("admin.listen on loopback needs no token", () => {
    for (const listen of ["127.0.0.1:8081", "[::1]:8081", "localhost:8081"]) {
      expect(buildConfig({ file: { ...ONE_APP, admin: { listen } } }).admin.listen).toBe(listen);
    }
  });

  test("a bad allow_from CIDR names its index", () => {
    const p = onlyProblem(
      { file: { ...ONE_APP, server: { allow_from: ["10.0.0.0/8", "10.0.0.0/33"] } } },
      "server.allow_from[1]",
    );
    expect(p).toContain("10.0.0.0/33");
    onlyProblem({ file: { ...ONE_APP, server: { allow_from: ["not-an-ip"] } } }, "server.allow_from[0]");
  });

  test("a target secret without whsec_ is rejected and not echoed", () => {
    const p = onlyProblem({ file: { ...ONE_APP, targets: [target({ secret: "plainsecret" })] } }, "targets[0].secret");
    expect(p).toContain("whsec_");
    expect(p).not.toContain("plainsecret");
  });

  test("a bad secret in a rotation list names its index", () => {
    onlyProblem({ file: { ...ONE_APP, targets: [target({ secret: [SECRET, "nope"] })] } }, "targets[0].secret[1]");
    expect(
      buildConfig({ file: { ...ONE_APP, targets: [target({ secret: [SECRET, "whsec_abc="] })] } }).targets,
    ).toHaveLength(1);
  });

  test("duplicate target names", () => {
    const p = onlyProblem(
      { file: { ...ONE_APP, targets: [target(), target({ url: "http://127.0.0.1:9001/" })] } },
      "targets[1].name",
    );
    expect(p).toContain('"sync"');
  });

  test("a target url that is not http(s)", () => {
    onlyProblem({ file: { ...ONE_APP, targets: [target({ url: "ftp://x/" })] } }, "targets[0].url");
  });

  test("reports every problem at once", () => {
    const problems = problemsOf({
      file: { apps: [{ sdk_app_id: 1 }, { sdk_app_id: 1 }], server: { listen: "x" }, admin: { listen: "0.0.0.0:1" } },
    });
    expect(problems.length).toBe(3);
    expect(problems.some((p) => p.startsWith("server.listen:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("admin.token:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("apps[1].sdk_app_id:"))).toBe(true);
  });

  test("ConfigError's message lists the problems", () => {
    try {
      buildConfig({ file: { ...ONE_APP, journal: { durability: "x" } } });
      throw new Error("did not throw");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain("invalid configuration");
      expect((e as Error).message).toContain("journal.durability");
    }
  });

  // Regression guard (src/config/load.ts schemaProblems): type errors append `got ${JSON.stringify(e.value)}`, so
  // a too-short admin.token or a too-long apps[].token is printed in full by check-config and logs.
  test("a too-short admin.token is not echoed in the error", () => {
    const p = onlyProblem({ file: { ...ONE_APP, admin: { token: "s3cr3t-short" } } }, "admin.token");
    expect(p).not.toContain("s3cr3t-short");
  });

  test("a too-long app token is not echoed in the error", () => {
    const token = "T".repeat(129);
    const p = onlyProblem({ file: { apps: [{ sdk_app_id: 1, token }] } }, "apps[0].token");
    expect(p).not.toContain(token);
  });
});

describe("DEFAULT_RETRY_DELAYS_MS", () => {
  test("is non-empty and non-decreasing", () => {
    expect(DEFAULT_RETRY_DELAYS_MS.length).toBeGreaterThan(0);
    for (let i = 1; i < DEFAULT_RETRY_DELAYS_MS.length; i++) {
      expect(DEFAULT_RETRY_DELAYS_MS[i]!).toBeGreaterThanOrEqual(DEFAULT_RETRY_DELAYS_MS[i - 1]!);
    }
  });

  // Regression guard (src/config/schema.ts): the configuration contract says "The default spans at least 24 hours", but the schedule
  // (which is also the one written in its commented example) sums to 85 356 000 ms = 23.71 h.
  // Remove `.failing` once fixed.
  test("spans at least 24 hours", () => {
    const total = DEFAULT_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });
});

describe("envOverrides", () => {
  test("maps every ROOMHOOK_* twin and ignores empty and unrelated variables", () => {
    const o = envOverrides({
      ROOMHOOK_LISTEN: "127.0.0.1:1",
      ROOMHOOK_SDK_APP_ID: "1,2",
      ROOMHOOK_TOKEN: "t",
      ROOMHOOK_DATA_DIR: "/d",
      ROOMHOOK_ADMIN_LISTEN: "127.0.0.1:2",
      ROOMHOOK_LOG_LEVEL: "",
      LISTEN: "nope",
    });
    expect(o).toEqual({
      listen: "127.0.0.1:1",
      sdkAppId: "1,2",
      token: "t",
      dataDir: "/d",
      adminListen: "127.0.0.1:2",
    });
  });

  test("feeds buildConfig", () => {
    const c = buildConfig({ env: envOverrides({ ROOMHOOK_SDK_APP_ID: "1400000009", ROOMHOOK_LOG_LEVEL: "error" }) });
    expect(c.apps[0]!.sdk_app_id).toBe(1400000009);
    expect(c.log.level).toBe("error");
  });
});

describe("resolveConfigPath", () => {
  test("--config wins over $ROOMHOOK_CONFIG", () => {
    expect(resolveConfigPath("/a.toml", { ROOMHOOK_CONFIG: "/b.toml" })).toBe("/a.toml");
  });

  test("$ROOMHOOK_CONFIG is used without --config", () => {
    expect(resolveConfigPath(undefined, { ROOMHOOK_CONFIG: "/b.toml" })).toBe("/b.toml");
  });

  test("falls back to the system path only when it exists", () => {
    expect(resolveConfigPath(undefined, {})).toBe(existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  });
});

describe("readToml", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "roomhook-config-test-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("parses a valid file that buildConfig accepts", () => {
    const path = join(dir, "ok.toml");
    writeFileSync(
      path,
      'data_dir = "/tmp/x"\n[server]\nlisten = "127.0.0.1:9"\n[[apps]]\nsdk_app_id = 1400000000\ntoken = "abc"\n',
    );
    const c = buildConfig({ file: readToml(path) });
    expect(c.data_dir).toBe("/tmp/x");
    expect(c.server.listen).toBe("127.0.0.1:9");
    expect(c.apps).toEqual([{ sdk_app_id: 1400000000, token: "abc", sign_window_s: 60 }]);
  });

  test("invalid TOML is a ConfigError naming the path", () => {
    const path = join(dir, "bad.toml");
    writeFileSync(path, "[server\nlisten = ");
    expect(() => readToml(path)).toThrow(ConfigError);
    try {
      readToml(path);
    } catch (e) {
      expect((e as ConfigError).problems).toHaveLength(1);
      expect((e as ConfigError).problems[0]!).toContain(path);
      expect((e as ConfigError).problems[0]!).toContain("not valid TOML");
    }
  });

  test("a missing file is a ConfigError naming the path", () => {
    const path = join(dir, "missing.toml");
    expect(() => readToml(path)).toThrow(path);
  });
});

describe("maskConfig", () => {
  const secrets = ["app-token-one", "app-token-two", "admin-token-0123456789", SECRET, "whsec_c2Vjb25k"];
  const config: Config = buildConfig({
    file: {
      apps: [{ sdk_app_id: 1, token: secrets[0] }, { sdk_app_id: 2, token: secrets[1] }, { sdk_app_id: 3 }],
      admin: { listen: "0.0.0.0:8081", token: secrets[2] },
      targets: [target({ secret: secrets[3] }), target({ name: "two", secret: [secrets[3], secrets[4]] })],
    },
  });

  test("output JSON contains none of the secrets", () => {
    const json = JSON.stringify(maskConfig(config));
    for (const s of secrets) expect(json).not.toContain(s!);
  });

  test("replaces each secret with the mask and keeps the shape", () => {
    const m = maskConfig(config);
    expect(m.apps.map((a) => a.token)).toEqual([MASK, MASK, undefined]);
    expect(m.admin.token).toBe(MASK);
    const [t0, t1] = m.targets as HttpTargetConfig[];
    expect(t0!.secret).toBe(MASK);
    expect(t1!.secret).toEqual([MASK, MASK]);
    expect(m.apps.map((a) => a.sdk_app_id)).toEqual([1, 2, 3]);
    expect(m.targets[1]!.url).toBe(config.targets[1]!.url);
  });

  test("does not modify the config it masks", () => {
    maskConfig(config);
    expect(config.apps[0]!.token).toBe(secrets[0]!);
    expect(config.admin.token).toBe(secrets[2]!);
    expect((config.targets[1] as HttpTargetConfig).secret).toEqual([secrets[3]!, secrets[4]!]);
  });
});
