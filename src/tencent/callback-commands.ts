// The values allowed in a callback configuration's CallbackCommandList (reference §3): the six
// commands, and the update alias of the 60730 sample, since which spelling Tencent's service
// accepts is unconfirmed: "all" sends both.
import { ALIASES, COMMANDS, canonicalCommand, isKnownCommand, type KnownCommand } from "../callback/schemas.ts";

export const ALL_CALLBACK_COMMANDS: readonly string[] = [...Object.keys(COMMANDS), ...Object.keys(ALIASES)];

/** The commands of `--commands LIST|all`; throws naming the first unknown one. */
export function parseCommandList(list: string): string[] {
  if (list.trim() === "all") return [...ALL_CALLBACK_COMMANDS];
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) throw new Error("the command list is empty");
  for (const n of names)
    if (!ALL_CALLBACK_COMMANDS.includes(n))
      throw new Error(`unknown callback command "${n}" (known: ${ALL_CALLBACK_COMMANDS.join(", ")}, or all)`);
  return [...new Set(names)];
}

/** Whether a configured list enables `command` (by its name or an alias of it). */
export function listEnables(list: readonly string[], command: KnownCommand): boolean {
  return list.some((n) => {
    const c = canonicalCommand(n);
    return isKnownCommand(c) && c === command;
  });
}
