// Tencent's query parameters. Names are matched case-insensitively (Room pages say SdkAppid, Live
// says SdkAppId); a repeated parameter counts by its first occurrence; other parameters are ignored.
// Hand-rolled and limited to the six names we use: URLSearchParams, then a Map-based parser, then a
// lookup object were each the largest single cost of the pipeline in the profile.
export interface CallbackQuery {
  sdkAppId?: string;
  command?: string;
  clientIp?: string;
  optPlatform?: string;
  sign?: string;
  requestTime?: string;
}

type Field = keyof CallbackQuery;

/** The field a parameter name stands for: Tencent's own spelling, or the name lower-cased. */
function knownField(name: string): Field | undefined {
  switch (name) {
    case "SdkAppid":
    case "sdkappid":
      return "sdkAppId";
    case "CallbackCommand":
    case "callbackcommand":
      return "command";
    case "ClientIP":
    case "clientip":
      return "clientIp";
    case "OptPlatform":
    case "optplatform":
      return "optPlatform";
    case "Sign":
    case "sign":
      return "sign";
    case "RequestTime":
    case "requesttime":
      return "requestTime";
  }
  return undefined;
}

/** Tencent's spellings match at once; any other name is decoded and lower-cased first. */
function fieldOf(raw: string): Field | undefined {
  // contenttype comes with every callback and is never used: skip the decoding for it.
  if (raw === "contenttype") return undefined;
  return knownField(raw) ?? knownField(decode(raw).toLowerCase());
}

function decode(s: string): string {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) return s;
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
  const end = hash < 0 ? url.length : hash;
  for (let start = q + 1; start < end; ) {
    let amp = url.indexOf("&", start);
    if (amp < 0 || amp > end) amp = end;
    const eq = url.indexOf("=", start);
    const hasValue = eq >= 0 && eq < amp;
    const field = fieldOf(url.slice(start, hasValue ? eq : amp));
    if (field !== undefined && out[field] === undefined) out[field] = hasValue ? decode(url.slice(eq + 1, amp)) : "";
    start = amp + 1;
  }
  return out;
}
