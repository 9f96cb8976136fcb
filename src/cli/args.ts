// A small, strict flag parser: each command declares its flags; anything else is a usage error
// (exit 2), so a typo never silently runs with a default.
export class UsageError extends Error {}

export type FlagSpec = Record<string, "string" | "boolean">;
export type Flags = Record<string, string | boolean | undefined>;

export function parseFlags(
  argv: string[],
  spec: FlagSpec,
  aliases: Record<string, string> = {},
): { flags: Flags; rest: string[] } {
  const flags: Flags = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      rest.push(a);
      continue;
    }
    let name = a.replace(/^--?/, "");
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = aliases[name] ?? name;
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === "boolean") {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
      }
      flags[name] = value;
    }
  }
  return { flags, rest };
}

export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function nonNegativeInt(flags: Flags, name: string): number | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

/**
 * A command's flags, the way every command takes them: `--help`/`-h` prints `help` and gives null
 * (the command then exits 0), and a positional argument is a usage error rather than ignored.
 */
export function commandFlags(
  argv: string[],
  spec: FlagSpec,
  help: string,
  aliases: Record<string, string> = {},
): Flags | null {
  const { flags, rest } = parseFlags(argv, { ...spec, help: "boolean" }, { h: "help", ...aliases });
  if (flags.help) {
    console.log(help);
    return null;
  }
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return flags;
}
