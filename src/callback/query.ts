// Tencent's query parameters. Names are matched case-insensitively (Room pages say SdkAppid, Live
// says SdkAppId); a repeated parameter counts by its first occurrence; other parameters are ignored.
// Hand-rolled and limited to the six names we use: URLSearchParams, and later a general Map-based
// parser, were the largest single cost of the pipeline in the profile.
export interface CallbackQuery {
  sdkAppId?: string;
  command?: string;
  clientIp?: string;
  optPlatform?: string;
  sign?: string;
  requestTime?: string;
}

const FIELDS: Record<string, keyof CallbackQuery> = Object.assign(Object.create(null), {
  sdkappid: "sdkAppId",
  callbackcommand: "command",
  clientip: "clientIp",
  optplatform: "optPlatform",
  sign: "sign",
  requesttime: "requestTime",
});
// Tencent's own spellings hit on the first lookup, without lower-casing.
for (const exact of ["SdkAppid", "CallbackCommand", "ClientIP", "OptPlatform", "Sign", "RequestTime"]) {
  FIELDS[exact] = FIELDS[exact.toLowerCase()]!;
}

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
  const out: CallbackQuery = {};
  const q = url.indexOf("?");
  if (q < 0) return out;
  const hash = url.indexOf("#", q);
  const parts = url.slice(q + 1, hash < 0 ? undefined : hash).split("&");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const field = FIELDS[rawKey] ?? FIELDS[decode(rawKey).toLowerCase()];
    if (field === undefined || out[field] !== undefined) continue;
    out[field] = eq < 0 ? "" : decode(part.slice(eq + 1));
  }
  return out;
}
