// Replaced at build time (scripts/build.ts defines ROOMHOOK_VERSION); from source it reads package.json.
declare const ROOMHOOK_VERSION: string | undefined;
export const VERSION: string = typeof ROOMHOOK_VERSION === "string" ? ROOMHOOK_VERSION : "0.1.0-dev";
