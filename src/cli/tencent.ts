// `roomhook tencent get-callback|set-callback|update-callback|delete-callback`: the app's callback
// configuration at Tencent (v4/room_config/*, reference §3), called with a UserSig made from the
// secret key. Prints Tencent's answer; exit 0 only on ActionStatus OK, and a FAIL is explained.
import { ALL_CALLBACK_COMMANDS, parseCommandList } from "../tencent/callback-commands.ts";
import { explainError } from "../tencent/errors.ts";
import { DEFAULT_REGION, isRegion, REGIONS } from "../tencent/regions.ts";
import { callRest, RestError } from "../tencent/rest-client.ts";
import { commandFlags, nonNegativeInt, str, UsageError, type Flags } from "./args.ts";
import { readSecretKey, SecretKeyError, sdkAppIdFlag } from "./secret-key.ts";

const ACTIONS = {
  "get-callback": "get_callback",
  "set-callback": "set_callback",
  "update-callback": "update_callback",
  "delete-callback": "delete_callback",
} as const;
type Action = keyof typeof ACTIONS;

export const TENCENT_HELP = `roomhook tencent: read or change the app's callback configuration at Tencent (v4/room_config).

Usage: roomhook tencent get-callback    --sdk-app-id N --identifier ADMIN [key] [where]
       roomhook tencent set-callback    --sdk-app-id N --identifier ADMIN --url URL [--commands LIST|all] [key] [where]
       roomhook tencent update-callback --sdk-app-id N --identifier ADMIN --url URL [--commands LIST|all] [key] [where]
       roomhook tencent delete-callback --sdk-app-id N --identifier ADMIN [key] [where]

  set-callback creates the configuration (Tencent refuses it with 100300 when one exists);
  update-callback replaces an existing one (100301 when there is none).

  --sdk-app-id N           the app's SDKAppID
  --identifier ADMIN       an app administrator account; the UserSig is made for it
  key: --secret-key-file F the app's secret key (console: "SecretKey"), read from the file;
                           without it, from the environment variable ROOMHOOK_SECRET_KEY.
                           It is never printed or logged.
  --url URL                the callback URL Tencent POSTs to, e.g. https://hooks.example.com/callback
  --commands LIST|all      comma-separated CallbackCommands to enable (default all):
                           ${ALL_CALLBACK_COMMANDS.join(",\n                           ")}
                           ("all" sends the update command under both of its spellings)
  where: --region R        the app's region: ${Object.keys(REGIONS).join(", ")} (default ${DEFAULT_REGION})
         --endpoint URL    call this base URL instead, e.g. http://127.0.0.1:9000 (roomhook emulate)
  --timeout-ms N           how long to wait for Tencent (default 10000)

Prints Tencent's answer as JSON. Exit 0 on ActionStatus OK; 1 on FAIL (the error code explained
on stderr) or when Tencent could not be reached; 2 on a usage error.`;

const FLAGS = {
  "sdk-app-id": "string",
  identifier: "string",
  "secret-key-file": "string",
  url: "string",
  commands: "string",
  region: "string",
  endpoint: "string",
  "timeout-ms": "string",
} as const;

function endpointOf(flags: Flags): string {
  const endpoint = str(flags, "endpoint");
  const region = str(flags, "region");
  if (endpoint !== undefined) {
    if (region !== undefined) throw new UsageError("--endpoint and --region exclude each other");
    try {
      const u = new URL(endpoint);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw new UsageError(`--endpoint "${endpoint}" is not an http(s) URL`);
    }
    return endpoint;
  }
  const r = region ?? DEFAULT_REGION;
  if (!isRegion(r)) throw new UsageError(`--region "${r}" is not one of ${Object.keys(REGIONS).join(", ")}`);
  return REGIONS[r];
}

function requestBody(action: Action, flags: Flags): Record<string, unknown> {
  const url = str(flags, "url");
  const commands = str(flags, "commands");
  if (action === "get-callback" || action === "delete-callback") {
    if (url !== undefined || commands !== undefined) throw new UsageError(`${action} takes no --url or --commands`);
    return {};
  }
  if (url === undefined) throw new UsageError(`${action} needs --url`);
  if (!/^https?:\/\//i.test(url)) throw new UsageError(`--url must start with http:// or https:// (Tencent's rule)`);
  let list: string[];
  try {
    list = parseCommandList(commands ?? "all");
  } catch (e) {
    throw new UsageError(`--commands: ${(e as Error).message}`);
  }
  return { Url: url, CallbackCommandList: list };
}

export async function tencentCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(TENCENT_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(ACTIONS, sub))
    throw new UsageError(`unknown tencent command "${sub}" (one of ${Object.keys(ACTIONS).join(", ")})`);
  const action = sub as Action;
  const flags = commandFlags(rest, FLAGS, TENCENT_HELP);
  if (!flags) return 0;
  const sdkAppId = sdkAppIdFlag(str(flags, "sdk-app-id"));
  const identifier = str(flags, "identifier");
  if (!identifier) throw new UsageError("--identifier is required (an app administrator account)");
  const endpoint = endpointOf(flags);
  const body = requestBody(action, flags);
  const timeoutMs = nonNegativeInt(flags, "timeout-ms") ?? 10_000;
  try {
    const secretKey = readSecretKey(str(flags, "secret-key-file"), env);
    const call = { endpoint, service: "room_config", command: ACTIONS[action], body, timeoutMs };
    const answer = await callRest(call, { sdkAppId, identifier, secretKey });
    console.log(JSON.stringify(answer));
    if (answer.ActionStatus === "OK") return 0;
    const why = explainError(answer.ErrorCode);
    console.error(`roomhook tencent ${action}: ${answer.ErrorCode} ${answer.ErrorInfo}${why ? `: ${why}` : ""}`);
    return 1;
  } catch (e) {
    if (e instanceof RestError || e instanceof SecretKeyError) {
      console.error(`roomhook tencent ${action}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
