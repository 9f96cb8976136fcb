// `roomhook emulate`: an offline stand-in for Tencent's Conference backend (SPEC §9): the REST
// subset, room/member/seat state, and the callbacks Tencent would fire. Optionally drives a seeded
// scenario by itself. Logs JSON lines on stdout; never the secret key.
import { createLogger } from "../log.ts";
import { parseCommandList } from "../tencent/callback-commands.ts";
import { Emulator } from "../emulator/emulator.ts";
import { SCENARIOS, type ScenarioName } from "../emulator/profiles.ts";
import { REST_APIS } from "../emulator/rest.ts";
import { ScenarioRunner, type ScenarioOptions } from "../emulator/scenario-runner.ts";
import { serveEmulator } from "../emulator/server.ts";
import { parseListen } from "../net/address.ts";
import { commandFlags, nonNegativeInt, str, UsageError, type Flags } from "./args.ts";
import { readSecretKey, SecretKeyError, sdkAppIdFlag } from "./secret-key.ts";

export const EMULATE_HELP = `roomhook emulate: an offline stand-in for Tencent's Conference backend, for trying roomhook,
demos and tests without a Tencent account.

Usage: roomhook emulate --sdk-app-id N [--listen HOST:PORT] [--secret-key-file F] [--identifier ADMIN[,ADMIN…]]
                        [--token T] [--callback-url URL [--commands LIST|all]]
                        [--scenario meeting|classroom [--rooms N] [--rate R] [--duration D] [--events N] [--seed S]]

  --listen HOST:PORT     where to serve (default 127.0.0.1:9000; port 0 picks a free one)
  --sdk-app-id N         the app's SDKAppID
  --secret-key-file F    the secret key REST UserSigs must verify with (else $ROOMHOOK_SECRET_KEY)
  --identifier ADMIN     the app administrator account(s) (default administrator); others get 60010
  --token T              callback token: every callback carries Sign and RequestTime
  --callback-url URL     start with this callback configuration, as if set_callback had been called
  --commands LIST|all    the commands it enables (default all)

REST (POST, Tencent's query string: sdkappid, identifier, usersig, random, contenttype=json):
  ${REST_APIS.map((a) => `v4/${a}`).join("\n  ")}
Callbacks: POSTed to the configured URL as Tencent does (query string, body shapes, 2 s timeout,
no retry), one room's in event order. OptPlatform is RESTAPI for REST-triggered events.

Its own endpoints:
  POST /emulator/enter, /emulator/leave  {"RoomId","Members":[…],"Type"?,"Reason"?,"OptPlatform"?}
                                         (leave Type: Leave, Kicked or Expired)
  POST /emulator/take-seat, /emulator/leave-seat  {"RoomId","Member_Account","Index"?}
  GET  /emulator/callbacks?since=N&limit=M   the callbacks fired, with the answers they got
  GET  /emulator/rooms?status=active|destroyed|all, /emulator/rooms/ID   its room state
  GET  /emulator/status                     callback configuration, counts, the scenario's progress

Scenarios (seeded: the same seed gives the same operations; a scenario waits while no callback is configured):
  --scenario NAME        meeting (people drift in and out, some speak from seats) or classroom
                         (a teacher, students in bursts, seats picked and freed)
  --rooms N              rooms alive at a time (default 10); a destroyed room is replaced
  --rate R               callbacks per second (default 20)
  --duration D           stop after D (e.g. 90s, 5m, 1h; default: run until stopped)
  --events N             stop after N callbacks
  --seed S               the seed (default random; printed in the log)

Stops on SIGINT/SIGTERM. Exit 0 on a clean stop, 1 when it cannot listen, 2 on a usage error.`;

const FLAGS = {
  listen: "string",
  "sdk-app-id": "string",
  "secret-key-file": "string",
  identifier: "string",
  token: "string",
  "callback-url": "string",
  commands: "string",
  scenario: "string",
  rooms: "string",
  rate: "string",
  duration: "string",
  events: "string",
  seed: "string",
} as const;

/** "90s", "5m", "1h", "1500ms", or plain seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
  if (!m) throw new UsageError(`--duration expects e.g. 90s, 5m or 1h, got "${v}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

function positive(flags: Flags, name: string, dflt: number): number {
  const v = nonNegativeInt(flags, name) ?? dflt;
  if (v === 0) throw new UsageError(`--${name} must be at least 1`);
  return v;
}

function scenarioOptions(flags: Flags): ScenarioOptions | null {
  const name = str(flags, "scenario");
  if (name === undefined) {
    for (const f of ["rooms", "rate", "duration", "events", "seed"])
      if (flags[f] !== undefined) throw new UsageError(`--${f} needs --scenario`);
    return null;
  }
  if (!SCENARIOS.includes(name as ScenarioName))
    throw new UsageError(`--scenario "${name}" is not one of ${SCENARIOS.join(", ")}`);
  const duration = str(flags, "duration");
  return {
    name: name as ScenarioName,
    rooms: positive(flags, "rooms", 10),
    rate: positive(flags, "rate", 20),
    durationMs: duration === undefined ? null : parseDuration(duration),
    maxEvents: nonNegativeInt(flags, "events") ?? null,
    seed: nonNegativeInt(flags, "seed") ?? crypto.getRandomValues(new Uint32Array(1))[0]!,
  };
}

function emulatorOf(flags: Flags, env: Record<string, string | undefined>): Emulator {
  const sdkAppId = sdkAppIdFlag(str(flags, "sdk-app-id"));
  const admins = (str(flags, "identifier") ?? "administrator")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (admins.length === 0) throw new UsageError("--identifier names no account");
  const url = str(flags, "callback-url");
  if (url !== undefined && !/^https?:\/\//i.test(url))
    throw new UsageError("--callback-url must start with http:// or https://");
  if (url === undefined && flags.commands !== undefined) throw new UsageError("--commands needs --callback-url");
  let list: string[] = [];
  try {
    list = parseCommandList(str(flags, "commands") ?? "all");
  } catch (e) {
    throw new UsageError(`--commands: ${(e as Error).message}`);
  }
  const secretKey = readSecretKey(str(flags, "secret-key-file"), env);
  return new Emulator({
    sdkAppId,
    secretKey,
    admins,
    token: str(flags, "token"),
    callback: url === undefined ? undefined : { Url: url, CallbackCommandList: list },
  });
}

export async function emulateCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const flags = commandFlags(argv, FLAGS, EMULATE_HELP);
  if (!flags) return 0;
  const listen = parseListen(str(flags, "listen") ?? "127.0.0.1:9000");
  if (typeof listen === "string") throw new UsageError(`--listen: ${listen}`);
  const scenarioOpts = scenarioOptions(flags);
  const logger = createLogger("info");
  let em: Emulator;
  try {
    em = emulatorOf(flags, env);
  } catch (e) {
    if (!(e instanceof SecretKeyError)) throw e;
    console.error(`roomhook emulate: ${e.message}`);
    return 1;
  }
  const scenario = scenarioOpts ? new ScenarioRunner(em, scenarioOpts) : undefined;
  let server: ReturnType<typeof serveEmulator>;
  try {
    server = serveEmulator(em, { hostname: listen.hostname, port: listen.port, scenario });
  } catch (e) {
    logger.fatal({ err: (e as Error).message }, "cannot listen");
    return 1;
  }
  const where = `${listen.hostname}:${server.port}`;
  logger.info(
    { listen: where, sdkAppId: em.options.sdkAppId, admins: em.options.admins, callback: em.callback },
    "emulator listening",
  );
  if (scenario) {
    scenario.start();
    logger.info({ ...scenarioOpts }, "scenario started");
    void scenario.finished.then(async (s) => {
      await em.sender.idle();
      logger.info({ ...s, callbacks: em.sender.stats() }, "scenario finished");
    });
  }
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  scenario?.stop();
  await server.stop(true);
  logger.info({ signal, callbacks: em.sender.stats() }, "emulator stopped");
  return 0;
}
