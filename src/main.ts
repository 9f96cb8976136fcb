#!/usr/bin/env bun
// Entry point: picks the command, maps errors to exit codes (0 ok, 1 failure, 2 usage).
import { UsageError } from "./cli/args.ts";
import { checkConfigCommand } from "./cli/check-config.ts";
import { emulateCommand } from "./cli/emulate.ts";
import { sendCommand } from "./cli/send.ts";
import { replayCommand } from "./cli/replay.ts";
import { roomsCommand } from "./cli/rooms.ts";
import { serve } from "./cli/serve.ts";
import { tailCommand } from "./cli/tail.ts";
import { tencentCommand } from "./cli/tencent.ts";
import { verifyCommand } from "./cli/verify.ts";
import { VERSION } from "./version.ts";

const HELP = `roomhook ${VERSION}: a durable receiver for Tencent Cloud Conference (TUIRoomKit) callbacks.

Usage:
  roomhook [serve] [--config FILE] [flags]   run the service (the default command)
  roomhook check-config [--config FILE]      validate; print the effective config, secrets masked
  roomhook verify [--data-dir DIR]           check the journal: lines parse, seq rises, no torn tail
  roomhook tail [--data-dir DIR] [-f] [--type GLOB] [--room ID] [--from-seq N]
                                             print journal events as JSON lines
  roomhook send --url URL --sdk-app-id N [--token T] [--command C] [--body FILE|-]
                                             send one callback exactly as Tencent would
  roomhook replay --target NAME (--from-seq N | --from-time ISO) [--data-dir DIR]
                                             move a target's cursor back (service stopped)
  roomhook tencent get-callback|set-callback|update-callback|delete-callback --sdk-app-id N
           --identifier ADMIN (--secret-key-file F | $ROOMHOOK_SECRET_KEY) [--url URL] [--commands LIST|all]
           [--region R | --endpoint URL]     the app's callback configuration at Tencent
  roomhook emulate --sdk-app-id N [--listen HOST:PORT] [--secret-key-file F] [--callback-url URL]
           [--scenario meeting|classroom --rooms N --rate R --duration D --seed S]
                                             an offline stand-in for Tencent's Conference backend
  roomhook rooms [--data-dir DIR] [--status S] [--room ID [--attendance] [--csv]] [--rebuild]
                                             room state (live rooms, members, seats, attendance)
  roomhook --version | --help                every command also takes --help

Exit codes: 0 success, 1 failure or invalid input, 2 usage error.`;

type Command = (argv: string[], env: Record<string, string | undefined>) => number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve,
  "check-config": checkConfigCommand,
  verify: verifyCommand,
  tail: (a, e) => tailCommand(a, e),
  send: (a) => sendCommand(a),
  replay: replayCommand,
  tencent: tencentCommand,
  emulate: emulateCommand,
  rooms: roomsCommand,
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V" || first === "version") {
    console.log(VERSION);
    return 0;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    console.log(HELP);
    return 0;
  }
  let command: Command | undefined;
  let args = rest;
  if (first === undefined || first.startsWith("-")) {
    command = serve;
    args = argv;
  } else {
    command = COMMANDS[first];
    if (!command) throw new UsageError(`unknown command "${first}" (see roomhook --help)`);
  }
  return await command(args, process.env);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`roomhook: ${e.message}`);
    process.exitCode = 2;
  } else {
    console.error(`roomhook: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  }
}
// Timers (e.g. the journal's disk probe) must not keep a finished command alive.
process.exit(process.exitCode);
