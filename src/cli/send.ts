// `roomhook send`: one callback exactly as Tencent sends it (query string, Sign when a token is
// given). Without --body it posts the command's documented example with a fresh EventTime.
import { readFileSync } from "node:fs";
import { EXAMPLES } from "../callback/examples.ts";
import { callbackUrl } from "../callback/outgoing.ts";
import { canonicalCommand, isKnownCommand } from "../callback/schemas.ts";
import { nonNegativeInt, commandFlags, str, UsageError } from "./args.ts";

export { callbackUrl };

export const SEND_HELP = `roomhook send: send one callback exactly as Tencent's Conference backend would.

Usage: roomhook send --url URL --sdk-app-id N [--token T] [--command C] [--body FILE|-]
                     [--client-ip IP] [--opt-platform P] [--request-time S] [--insecure] [--timeout-ms N]

  --url URL          the callback URL, e.g. http://127.0.0.1:8080/callback
  --sdk-app-id N     SdkAppid query parameter
  --token T          callback token: adds Sign=sha256(T + RequestTime) and RequestTime
  --command C        CallbackCommand (default Room.CallbackAfterMemberEnter; one of
                     ${Object.keys(EXAMPLES).join(",\n                     ")})
  --body FILE|-      the JSON body (default: the command's documented example, EventTime = now)
  --request-time S   RequestTime in Unix seconds (default now)
  --insecure         accept a self-signed TLS certificate
Prints the HTTP status and the answer. Exit 0 when acknowledged (200, ActionStatus OK), else 1.`;

/** The CallbackCommand a body names, when it is JSON naming one as a string. */
export function bodyCommand(text: string): string | undefined {
  try {
    const c = (JSON.parse(text) as { CallbackCommand?: unknown }).CallbackCommand;
    return typeof c === "string" ? c : undefined;
  } catch {
    return undefined;
  }
}

export function exampleBody(command: string, now: number): string {
  const canonical = canonicalCommand(command);
  if (!isKnownCommand(canonical)) throw new UsageError(`no example for "${command}"; pass --body`);
  // A fresh EventTime makes each send a new event rather than a duplicate of the last one.
  return EXAMPLES[canonical]
    .replace(/"EventTime":\d+/, `"EventTime":${now}`)
    .replace(/"CallbackCommand":"[^"]*"/, `"CallbackCommand":${JSON.stringify(command)}`);
}

export async function sendCommand(argv: string[]): Promise<number> {
  const flags = commandFlags(
    argv,
    {
      url: "string",
      "sdk-app-id": "string",
      token: "string",
      command: "string",
      body: "string",
      "client-ip": "string",
      "opt-platform": "string",
      "request-time": "string",
      insecure: "boolean",
      "timeout-ms": "string",
    },
    SEND_HELP,
  );
  if (!flags) return 0;
  const url = str(flags, "url");
  const sdkAppId = str(flags, "sdk-app-id");
  if (!url) throw new UsageError("--url is required");
  if (!sdkAppId) throw new UsageError("--sdk-app-id is required");
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a URL`);
  }
  const bodyArg = str(flags, "body");
  let body: string;
  let command = str(flags, "command");
  if (bodyArg !== undefined) {
    body = bodyArg === "-" ? await Bun.stdin.text() : readFileSync(bodyArg, "utf8");
    command ||= bodyCommand(body) ?? "";
  } else {
    command ??= "Room.CallbackAfterMemberEnter";
    body = exampleBody(command, Date.now());
  }
  const target = callbackUrl(url, {
    sdkAppId,
    command,
    clientIp: str(flags, "client-ip") ?? "127.0.0.1",
    optPlatform: str(flags, "opt-platform") ?? "RESTAPI",
    token: str(flags, "token"),
    requestTime: nonNegativeInt(flags, "request-time") ?? Math.floor(Date.now() / 1000),
  });
  const timeout = nonNegativeInt(flags, "timeout-ms") ?? 10_000;
  try {
    const res = await fetch(target, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      signal: AbortSignal.timeout(timeout),
      tls: flags.insecure ? { rejectUnauthorized: false } : undefined,
    });
    const text = await res.text();
    console.log(`${res.status} ${text}`);
    let ok = false;
    try {
      ok = res.status === 200 && (JSON.parse(text) as { ActionStatus?: string }).ActionStatus === "OK";
    } catch {}
    return ok ? 0 : 1;
  } catch (e) {
    console.error(`roomhook send: ${(e as Error).message}`);
    return 1;
  }
}
