// Event-type globs ("Room.*", "Mic.CallbackAfterSeatInfoChanged"): * is any run of characters, ? one.
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

export function matchAny(globs: readonly string[]): (type: string) => boolean {
  const res = globs.map(globToRegExp);
  return (type) => res.some((r) => r.test(type));
}
