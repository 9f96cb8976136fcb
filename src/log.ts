// pino writing JSON synchronously to stdout (journald's job to store it): no transports, which hang
// in a compiled binary, and no lines lost on a crash.
import pino, { type Logger } from "pino";
import type { LogLevel } from "./config/schema.ts";

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: "roomhook" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: no config object with secrets should reach a log line, but if one does...
      redact: { paths: ["token", "*.token", "secret", "*.secret", "config.apps[*].token"], censor: "********" },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
