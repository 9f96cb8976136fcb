// Tencent's query parameters, read case-insensitively (Room pages say SdkAppid, Live says SdkAppId).
// A repeated parameter counts by its first occurrence. Hand-rolled: URLSearchParams was the single
// largest cost of the whole pipeline in the profile.
export type CallbackQuery = Map<string, string>;

function decode(s: string): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  const spaced = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced; // malformed escapes stay as sent; the checks after this reject what matters
  }
}

export function parseQuery(url: string): CallbackQuery {
  const out: CallbackQuery = new Map();
  const q = url.indexOf("?");
  if (q < 0) return out;
  const hash = url.indexOf("#", q);
  const end = hash < 0 ? url.length : hash;
  let i = q + 1;
  while (i < end) {
    let amp = url.indexOf("&", i);
    if (amp < 0 || amp > end) amp = end;
    const eq = url.indexOf("=", i);
    const hasValue = eq >= 0 && eq < amp;
    const key = decode(url.slice(i, hasValue ? eq : amp)).toLowerCase();
    if (key && !out.has(key)) out.set(key, hasValue ? decode(url.slice(eq + 1, amp)) : "");
    i = amp + 1;
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
