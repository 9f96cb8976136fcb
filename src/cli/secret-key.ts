// The app's secret key for UserSigs: from --secret-key-file, else $ROOMHOOK_SECRET_KEY. It is only
// ever returned, never printed: errors name the file, not its content. A missing source is a usage
// error (exit 2); a file that cannot be read or is empty is a failure (SecretKeyError, exit 1).
import { readFileSync } from "node:fs";
import { UsageError } from "./args.ts";

export class SecretKeyError extends Error {}

export function readSecretKey(file: string | undefined, env: Record<string, string | undefined>): string {
  let key: string;
  if (file !== undefined) {
    try {
      key = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new SecretKeyError(
        `cannot read --secret-key-file ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    if (key === "") throw new SecretKeyError(`--secret-key-file ${file} is empty`);
    return key;
  }
  key = env.ROOMHOOK_SECRET_KEY?.trim() ?? "";
  if (key === "") throw new UsageError("the secret key is required: --secret-key-file FILE or ROOMHOOK_SECRET_KEY");
  return key;
}

export function sdkAppIdFlag(value: string | undefined): number {
  if (value === undefined) throw new UsageError("--sdk-app-id is required");
  if (!/^\d{1,10}$/.test(value) || Number(value) === 0 || Number(value) > 0xffffffff)
    throw new UsageError(`--sdk-app-id expects a positive integer, got "${value}"`);
  return Number(value);
}
