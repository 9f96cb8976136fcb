// Tencent's query parameters, read case-insensitively (Room pages say SdkAppid, Live says SdkAppId).
// A repeated parameter counts by its first occurrence.
export type CallbackQuery = Map<string, string>;

export function parseQuery(url: string): CallbackQuery {
  const out: CallbackQuery = new Map();
  const q = url.indexOf("?");
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
    const key = k.toLowerCase();
    if (!out.has(key)) out.set(key, v);
  }
  return out;
}

export const Q = {
  sdkAppId: "sdkappid",
  command: "callbackcommand",
  clientIp: "clientip",
  optPlatform: "optplatform",
  sign: "sign",
  requestTime: "requesttime",
} as const;
