// `roomhook check-config`: validate and print the effective configuration with secrets masked.
import { ConfigError } from "../config/load.ts";
import { maskConfig } from "../config/mask.ts";
import { commandFlags } from "./args.ts";
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, loadFromFlags } from "./config-flags.ts";

export const CHECK_CONFIG_HELP = `roomhook check-config: validate the configuration and print the effective result.

Usage: roomhook check-config [--config FILE] [flags]

${CONFIG_FLAGS_HELP}

Prints the merged configuration (defaults < file < ROOMHOOK_* < flags) as JSON with every secret
masked. Exit 0 when valid; 1 with one line per problem, naming the key, when not.`;

export function checkConfigCommand(argv: string[], env: Record<string, string | undefined>): number {
  const flags = commandFlags(argv, CONFIG_FLAGS, CHECK_CONFIG_HELP);
  if (!flags) return 0;
  try {
    const { config, path } = loadFromFlags(flags, env);
    console.error(`config file: ${path ?? "(none; defaults, environment and flags only)"}`);
    console.log(JSON.stringify(maskConfig(config), null, 2));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`roomhook: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
