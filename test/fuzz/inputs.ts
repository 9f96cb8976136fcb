// Hostile inputs for the callback endpoint: the request model, the fast-check arbitraries that build
// them, and the saved corpus format (test/fuzz/corpus/*.json). Every generated request knows by
// construction whether it is authenticated, so the properties can say what must never be stored.
import fc from "fast-check";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXAMPLES } from "../../src/callback/examples.ts";
import { bodyCommand } from "../../src/cli/send.ts";
import { computeSign } from "../../src/callback/sign.ts";
import { APP_ID } from "../support/app.ts";

// ---------------------------------------------------------------------------------------------
// The receiver under test

/** The app with a callback token: Sign and RequestTime are required. */
export const TOKEN_APP = APP_ID;
/** An app without a token: the SdkAppid alone authenticates (README: Sign is ignored there). */
export const OPEN_APP = APP_ID + 1;
export const TOKEN = "fuzz-Tok3n-never-echo-5c2b9e";
export const WINDOW_S = 60;
/** max_body_bytes of the fuzzed receiver: room for 100k nested arrays (200,000 bytes). */
export const MAX_BODY = 256 * 1024;
/** The receiver's clock, in Unix seconds (inputs add 0..999 ms). */
export const NOW_S = 1_764_000_000;

export function fuzzConfigFile(maxBody = MAX_BODY): Record<string, unknown> {
  return {
    server: { max_body_bytes: maxBody },
    apps: [{ sdk_app_id: TOKEN_APP, token: TOKEN, sign_window_s: WINDOW_S }, { sdk_app_id: OPEN_APP }],
  };
}

export const ENTER = "Room.CallbackAfterMemberEnter";
export const KNOWN = Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[];
export const ALIAS = "Room.CallbackUpdateRoomInfo";
/** Names that are dangerous as object keys or lookups. */
const PROTO_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "prototype", "valueOf"];
const COMMAND_NAMES = [
  ...KNOWN,
  ALIAS,
  "Room.CallbackAfterSomethingNew",
  "Room.callbackaftermemberenter",
  "",
  ...PROTO_NAMES,
];

// ---------------------------------------------------------------------------------------------
// The request model

export type Transfer = "length" | "none" | "stream" | "lie";

export interface FuzzInput {
  /** The generator that made it (reported on failure). */
  family: string;
  method: string;
  /** Everything after "?", sent as is. */
  query: string;
  headers: [string, string][];
  body: Uint8Array;
  /** length: a true Content-Length; none: no Content-Length (read as a stream); stream: chunked
   *  ReadableStream of `chunk`-byte pieces; lie: a Content-Length of `lieLength`. */
  transfer: Transfer;
  lieLength?: number;
  chunk?: number;
  /** The receiver's clock for this request: NOW_S plus this many ms. */
  clockMs: number;
  /** Authenticated by construction ("no": 401/403 unless the body is too large first). */
  auth: "ok" | "no";
  /** For auth "no": the status it must get (403 app, 401 Sign). */
  authStatus?: 401 | 403;
  /** Known answer, when the generator can promise one. */
  expectStatus?: number;
}

export function declaredLength(i: FuzzInput): number | undefined {
  if (i.transfer === "length") return i.body.length;
  if (i.transfer === "lie") return i.lieLength;
  return undefined;
}

/** The size check decides (413) before anything else: declared or actual length over the limit. */
/**
 * Whether the size check must answer 413. An unauthenticated request with a Content-Length is
 * refused without reading its body (so it can never make the server hold one): its declared length
 * decides. Only in process can that length lie; over HTTP it is the body's length by definition.
 */
export function tooLarge(i: FuzzInput, max: number): boolean {
  const d = declaredLength(i);
  if (i.auth === "no" && d !== undefined) return d > max;
  return (d !== undefined && d > max) || i.body.length > max;
}

function streamOf(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

export function toRequest(i: FuzzInput, path = "/callback"): Request {
  const headers = new Headers();
  for (const [k, v] of i.headers) headers.append(k, v);
  const d = declaredLength(i);
  if (d !== undefined) headers.set("content-length", String(d));
  const body =
    i.method === "GET" || i.method === "HEAD"
      ? undefined
      : i.transfer === "stream"
        ? streamOf(i.body, Math.max(1, i.chunk ?? 4096))
        : i.body;
  return new Request(`http://localhost${path}?${i.query}`, { method: i.method, headers, body });
}

const hex = (b: Uint8Array, n: number) => Buffer.from(b.subarray(0, n)).toString("hex");

/** A readable one-paragraph description (fast-check prints this instead of megabytes of bytes). */
export function describeInput(i: FuzzInput): string {
  const q = i.query.length > 300 ? `${i.query.slice(0, 300)}…(${i.query.length} chars)` : i.query;
  const text = Buffer.from(i.body.subarray(0, 200))
    .toString("latin1")
    .replace(/[^\x20-\x7e]/g, ".");
  return (
    `{family: ${i.family}, auth: ${i.auth}${i.authStatus ? `/${i.authStatus}` : ""}, method: ${i.method}, transfer: ${i.transfer}` +
    `${i.transfer === "lie" ? `(${i.lieLength})` : ""}, clockMs: ${i.clockMs}, headers: ${JSON.stringify(i.headers)}, ` +
    `query: ${JSON.stringify(q)}, body: ${i.body.length} bytes, head: ${JSON.stringify(text)} (hex ${hex(i.body, 32)}…)}`
  );
}

function withToString(i: FuzzInput): FuzzInput {
  Object.defineProperty(i, fc.toStringMethod, { value: () => describeInput(i), enumerable: false });
  return i;
}

// ---------------------------------------------------------------------------------------------
// Bodies

const enc = new TextEncoder();
const utf8 = (s: string) => enc.encode(s);
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

export interface BodyGen {
  family: string;
  bytes: Uint8Array;
  /** The command the body names, when it names one as a string (for the query's CallbackCommand). */
  command?: string;
  /** An unmodified, valid example: with a matching query it must be acknowledged. */
  valid?: boolean;
}

const exampleName = fc.constantFrom(...KNOWN);

/** An official example, made unique by its EventTime (so dedupe does not hide it). */
const exampleBody: fc.Arbitrary<BodyGen> = fc
  .tuple(exampleName, fc.integer({ min: 0, max: 2 ** 40 }))
  .map(([name, n]) => {
    const text = EXAMPLES[name].replace(/"EventTime":\d+/, `"EventTime":${1_700_000_000_000 + n}`);
    return { family: "example", bytes: utf8(text), command: name, valid: true };
  });

/** Values of every JSON type, for swapping into a field of another type. */
const otherValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("true", "false", "", "0", "NaN", "1e400", "-0"),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.constant({ RoomId: 1 }),
);

type Path = (string | number)[];
function paths(v: unknown, prefix: Path = []): Path[] {
  if (v === null || typeof v !== "object") return [];
  const out: Path[] = [];
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as object);
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    out.push(...paths(x, [...prefix, k]));
  }
  return out;
}

function setAt(root: unknown, p: Path, value: unknown, remove: boolean): void {
  let o = root as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = p[p.length - 1]!;
  if (remove) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
}

/** Raw JSON texts for keys and values injected at the text level (JSON.parse keeps "__proto__" as a key). */
const injectedKey = fc.oneof(
  fc.constantFrom(...PROTO_NAMES, "CallbackCommand", "EventTime", "RoomId", "RoomInfo", "SeatList", ""),
  fc.string({ maxLength: 12 }),
);
const injectedValue = fc.oneof(
  otherValue.map((v) => JSON.stringify(v) ?? "null"),
  fc.constantFrom(
    '"Room.CallbackAfterDestroyRoom"',
    "1e400",
    "-1e400",
    "12345678901234567890123",
    '"\\ud800"',
    '"\\u0000"',
    "[[[[[[]]]]]]",
    '{"__proto__":{"polluted":1}}',
  ),
);

type Mutation =
  | { op: "flip"; at: number; mask: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; len: number }
  | { op: "dup"; at: number; len: number }
  | { op: "swap-type"; path: number; value: unknown }
  | { op: "remove-field"; path: number }
  | { op: "inject-key"; key: string; value: string }
  | { op: "command"; name: string };

const frac = fc.integer({ min: 0, max: 1_000_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: frac, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: frac }),
  fc.record({ op: fc.constant("insert" as const), at: frac, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant("delete" as const), at: frac, len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant("dup" as const), at: frac, len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant("swap-type" as const), path: fc.nat(), value: otherValue }),
  fc.record({ op: fc.constant("remove-field" as const), path: fc.nat() }),
  fc.record({ op: fc.constant("inject-key" as const), key: injectedKey, value: injectedValue }),
  fc.record({
    op: fc.constant("command" as const),
    name: fc.oneof(fc.constantFrom(...COMMAND_NAMES), fc.string({ maxLength: 40 })),
  }),
);

const pos = (at: number, len: number) => Math.floor((at / 1_000_001) * (len + 1));

export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  switch (m.op) {
    case "flip": {
      if (n === 0) return bytes;
      const out = bytes.slice();
      const i = Math.min(n - 1, pos(m.at, n));
      out[i] = out[i]! ^ m.mask;
      return out;
    }
    case "truncate":
      return bytes.slice(0, pos(m.at, n));
    case "insert": {
      const i = pos(m.at, n);
      return cat(bytes.subarray(0, i), m.bytes, bytes.subarray(i));
    }
    case "delete": {
      const i = pos(m.at, n);
      return cat(bytes.subarray(0, i), bytes.subarray(i + m.len));
    }
    case "dup": {
      const i = pos(m.at, n);
      return cat(bytes.subarray(0, i + m.len), bytes.subarray(i));
    }
    case "swap-type":
    case "remove-field":
    case "command": {
      let v: unknown;
      try {
        v = JSON.parse(Buffer.from(bytes).toString("utf8"));
      } catch {
        return bytes;
      }
      if (v === null || typeof v !== "object") return bytes;
      if (m.op === "command") (v as Record<string, unknown>).CallbackCommand = m.name;
      else {
        const ps = paths(v);
        if (ps.length === 0) return bytes;
        setAt(v, ps[m.path % ps.length]!, m.op === "swap-type" ? m.value : undefined, m.op === "remove-field");
      }
      return utf8(JSON.stringify(v));
    }
    case "inject-key": {
      const i = bytes.indexOf(0x7b); // the first "{"
      if (i < 0) return bytes;
      return cat(bytes.subarray(0, i + 1), utf8(`${JSON.stringify(m.key)}:${m.value},`), bytes.subarray(i + 1));
    }
  }
}

const mutatedBody: fc.Arbitrary<BodyGen> = fc
  .tuple(exampleBody, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([ex, ms]) => {
    let b = ex.bytes;
    for (const m of ms) b = applyMutation(b, m);
    return {
      family: `mutated(${ms.map((m) => m.op).join(",")})`,
      bytes: b,
      command: bodyCommand(Buffer.from(b).toString("utf8")),
    };
  });

const randomJsonBody: fc.Arbitrary<BodyGen> = fc
  .oneof(
    fc.json({ maxDepth: 4 }),
    fc
      .tuple(
        fc.constantFrom(...COMMAND_NAMES),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
      )
      .map(([c, extra]) => JSON.stringify({ ...extra, CallbackCommand: c })),
  )
  .map((text) => ({ family: "random-json", bytes: utf8(text), command: bodyCommand(text) }));

export type DeepShape =
  | "arrays"
  | "objects"
  | "mixed"
  | "unclosed"
  | "in-unknown-command"
  | "in-known-field"
  | "in-string";

/** `depth` levels of nesting in one of several shapes (100k nested arrays is 200,000 bytes). */
export function deepBody(depth: number, shape: DeepShape): BodyGen {
  const arrays = () => "[".repeat(depth) + "]".repeat(depth);
  let text: string;
  switch (shape) {
    case "arrays":
      text = arrays();
      break;
    case "objects":
      text = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      break;
    case "mixed":
      text = `${'[{"a":'.repeat(depth)}null${"}]".repeat(depth)}`;
      break;
    case "unclosed":
      text = "[".repeat(depth);
      break;
    case "in-unknown-command":
      text = `{"CallbackCommand":"Room.CallbackAfterDeepThought","EventTime":1,"RoomId":"deep","Deep":${arrays()}}`;
      break;
    case "in-known-field":
      text = `{"CallbackCommand":"${ENTER}","EventTime":1,"RoomId":"deep","MemberList_Account":${arrays()}}`;
      break;
    case "in-string":
      text = `{"CallbackCommand":"${ENTER}","EventTime":1,"RoomId":"${"[".repeat(depth)}","MemberList_Account":["u"]}`;
      break;
  }
  return { family: `deep(${shape},${depth})`, bytes: utf8(text), command: bodyCommand(text) };
}

const deep: fc.Arbitrary<BodyGen> = fc
  .tuple(
    fc.constantFrom(2, 64, 1000, 10_000, 100_000),
    fc.constantFrom<DeepShape>(
      "arrays",
      "objects",
      "mixed",
      "unclosed",
      "in-unknown-command",
      "in-known-field",
      "in-string",
    ),
  )
  .map(([d, s]) => deepBody(d, s));

export type Filler = "string" | "escapes" | "array-strings" | "array-numbers" | "many-keys";

/**
 * A MemberEnter body (or an unknown command's) padded to exactly `size` bytes with one kind of
 * filler; the remainder goes into a final string so the size is exact (around the limit it matters).
 */
export function sizedBody(size: number, filler: Filler, unknownCommand = false, uniq = 0): BodyGen {
  const head = unknownCommand
    ? `{"CallbackCommand":"Room.CallbackAfterPadding","EventTime":${1_700_000_000_000 + uniq},"RoomId":"pad"`
    : `{"CallbackCommand":"${ENTER}","EventTime":${1_700_000_000_000 + uniq},"RoomId":"pad","MemberList_Account":["u"]`;
  const room = size - head.length - ',"Q":""}'.length;
  let pad = "";
  if (room > 16) {
    const n = room - 16; // budget for the filler, the rest for Q
    switch (filler) {
      case "string":
        pad = `,"Pad":"${"x".repeat(Math.max(0, n - 9))}"`;
        break;
      case "escapes":
        pad = `,"Pad":"${"\\u0000".repeat(Math.max(0, Math.floor((n - 9) / 6)))}"`;
        break;
      case "array-strings":
        pad = `,"Pad":[${Array(Math.max(0, Math.floor((n - 9) / 4)))
          .fill('"a"')
          .join(",")}]`;
        break;
      case "array-numbers":
        pad = `,"Pad":[${Array(Math.max(0, Math.floor((n - 9) / 2)))
          .fill("0")
          .join(",")}]`;
        break;
      case "many-keys": {
        const k = Math.max(0, Math.floor((n - 2) / 14));
        pad = Array.from({ length: k }, (_, i) => `,"k${String(i).padStart(7, "0")}":1`).join("");
        break;
      }
    }
  }
  const q = Math.max(0, size - head.length - pad.length - ',"Q":""}'.length);
  const text = `${head}${pad},"Q":"${"q".repeat(q)}"}`;
  return {
    family: `sized(${filler},${text.length})`,
    bytes: utf8(text),
    command: unknownCommand ? "Room.CallbackAfterPadding" : ENTER,
  };
}

const huge = (max: number): fc.Arbitrary<BodyGen> =>
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(max - 1, max, max + 1, 2 * max, max >> 1, max - 17),
        fc.integer({ min: 1024, max: 2 * max }),
      ),
      fc.constantFrom<Filler>("string", "escapes", "array-strings", "array-numbers", "many-keys"),
      fc.boolean(),
      fc.nat(),
    )
    .map(([size, filler, unknown, uniq]) => sizedBody(size, filler, unknown, uniq));

/** Byte sequences that are not valid UTF-8. */
export const INVALID_UTF8: Record<string, number[]> = {
  "lone continuation": [0x80],
  "0xff": [0xff],
  "overlong slash": [0xc0, 0xaf],
  "overlong nul": [0xc0, 0x80],
  "CESU surrogate": [0xed, 0xa0, 0x80],
  "truncated 3-byte": [0xe2, 0x82],
  "beyond U+10FFFF": [0xf4, 0x90, 0x80, 0x80],
  "5-byte form": [0xf8, 0x88, 0x80, 0x80, 0x80],
};

const invalidUtf8: fc.Arbitrary<BodyGen> = fc
  .tuple(
    exampleBody,
    fc.constantFrom(...Object.keys(INVALID_UTF8)),
    frac,
    fc.constantFrom("in-string", "anywhere", "utf16le", "utf16le-bom", "utf16be", "bom-prefixed"),
  )
  .map(([ex, kind, at, where]) => {
    const text = Buffer.from(ex.bytes).toString("utf8");
    let bytes: Uint8Array;
    let valid = false;
    if (where === "utf16le") bytes = new Uint8Array(Buffer.from(text, "utf16le"));
    else if (where === "utf16le-bom")
      bytes = cat(new Uint8Array([0xff, 0xfe]), new Uint8Array(Buffer.from(text, "utf16le")));
    else if (where === "utf16be") bytes = new Uint8Array(Buffer.from(text, "utf16le").swap16());
    else if (where === "bom-prefixed") {
      bytes = cat(new Uint8Array([0xef, 0xbb, 0xbf]), ex.bytes); // valid UTF-8: the decoder drops the BOM
      valid = true;
    } else {
      const i =
        where === "in-string" ? text.indexOf('"', text.indexOf("Operator_Account") + 19) : pos(at, ex.bytes.length);
      bytes = cat(
        ex.bytes.subarray(0, Math.max(0, i)),
        new Uint8Array(INVALID_UTF8[kind]!),
        ex.bytes.subarray(Math.max(0, i)),
      );
    }
    return { family: `utf8(${where}${valid ? "" : `,${kind}`})`, bytes, command: ex.command, valid };
  });

const binary: fc.Arbitrary<BodyGen> = fc.uint8Array({ maxLength: 2048 }).map((b) => ({ family: "binary", bytes: b }));
const empty: fc.Arbitrary<BodyGen> = fc
  .constantFrom("", " ", "\r\n", "{}", "[]", "null", "0", '""', "{", "}")
  .map((t) => ({ family: "tiny", bytes: utf8(t) }));

export function bodies(max = MAX_BODY): fc.Arbitrary<BodyGen> {
  return fc.oneof(
    { weight: 20, arbitrary: exampleBody },
    { weight: 30, arbitrary: mutatedBody },
    { weight: 12, arbitrary: randomJsonBody },
    { weight: 4, arbitrary: deep },
    { weight: 4, arbitrary: huge(max) },
    { weight: 10, arbitrary: invalidUtf8 },
    { weight: 10, arbitrary: binary },
    { weight: 5, arbitrary: empty },
  );
}

// ---------------------------------------------------------------------------------------------
// Query strings

const AUTH_KEYS = new Set(["sdkappid", "sign", "requesttime", "callbackcommand"]);

function decodeKey(k: string): string {
  try {
    return decodeURIComponent(k.replace(/\+/g, " ")).toLowerCase();
  } catch {
    return k.replace(/\+/g, " ").toLowerCase();
  }
}

/** encodeURIComponent for any string: a lone surrogate (a body may name one) becomes U+FFFD first. */
const pct = (s: string) => encodeURIComponent(s.toWellFormed());

/** Every character as %XX (decoded back by the receiver). */
const pctAll = (s: string) =>
  [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");

const keySpelling = (canonical: string, variants: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(canonical) },
    { weight: 3, arbitrary: fc.constantFrom(...variants) },
    { weight: 1, arbitrary: fc.constant(pctAll(canonical)) },
  );
const appKey = keySpelling("SdkAppid", ["SdkAppId", "sdkappid", "SDKAPPID", "sdkAppID", "Sdk%41ppid"]);
const signKey = keySpelling("Sign", ["sign", "SIGN", "%53ign"]);
const timeKey = keySpelling("RequestTime", ["requesttime", "REQUESTTIME", "Request%54ime"]);

/** SdkAppid values that name no configured app. */
const badAppValue = fc.oneof(
  fc.constantFrom(
    "",
    "0",
    String(APP_ID + 2),
    `${APP_ID}0`,
    `0${APP_ID}`,
    `+${APP_ID}`,
    `%20${APP_ID}`,
    `${APP_ID}%00`,
    `${APP_ID}.0`,
    "1e9",
    "0x5370FF00",
    "-1400000000",
    "NaN",
    "__proto__",
    "constructor",
    "%EF%BC%91%EF%BC%94",
    `${APP_ID}%2C${APP_ID + 1}`,
    "9".repeat(400),
  ),
  fc.stringMatching(/^[0-9]{1,10}$/).filter((s) => Number(s) !== TOKEN_APP && Number(s) !== OPEN_APP),
  fc
    .string({ maxLength: 16 })
    .map(pct)
    .filter((s) => !/^\d{1,10}$/.test(s)),
);

type SignProblem = "missing-sign" | "missing-time" | "empty-sign" | "malformed-time" | "stale" | "mismatch";

interface AuthPlan {
  pairs: [string, string][];
  auth: "ok" | "no";
  authStatus?: 401 | 403;
}

/** `arb` one time in `oneIn`, else null (fc.option's freq is the other way round: null 1 in freq). */
function sometimes<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

const skewInside = fc.integer({ min: -WINDOW_S, max: WINDOW_S });
const skewOutside = fc
  .oneof(fc.integer({ min: WINDOW_S + 1, max: WINDOW_S + 5 }), fc.integer({ min: WINDOW_S + 1, max: 10_000_000 }))
  .chain((d) => fc.constantFrom(d, -d));

function signFor(rt: string, token = TOKEN): string {
  return computeSign(token, rt);
}

const mismatchSign = (rt: string) =>
  fc.oneof(
    fc.stringMatching(/^[0-9a-f]{64}$/),
    fc.integer({ min: 0, max: 63 }).map((i) => {
      const s = signFor(rt);
      return s.slice(0, i) + (s[i] === "0" ? "1" : "0") + s.slice(i + 1);
    }),
    fc.constantFrom(
      signFor(String(Number(rt) + 1)),
      signFor(rt, `${TOKEN}x`),
      signFor(rt, ""),
      signFor(rt, TOKEN.toUpperCase()),
      computeSign("", rt),
      signFor(rt).slice(0, 63),
      `${signFor(rt)}0`,
      `${signFor(rt).slice(0, 63)}g`,
      pct(TOKEN),
      "%00".repeat(64),
    ),
  );

/** The SdkAppid/Sign/RequestTime pairs of one request, with its authentication known. */
const authPlan: fc.Arbitrary<AuthPlan> = fc
  .record({
    app: fc.constantFrom("token", "token", "open", "none"),
    appProblem: fc.constantFrom("missing", "bad-value", "misspelt"),
    signProblem: sometimes(
      fc.constantFrom<SignProblem>("missing-sign", "missing-time", "empty-sign", "malformed-time", "stale", "mismatch"),
      3,
    ),
    appKey,
    signKey,
    timeKey,
    skewIn: skewInside,
    skewOut: skewOutside,
    upper: fc.boolean(),
    leadingZeros: fc.constantFrom(0, 0, 0, 0, 1, 2),
    order: fc.constantFrom("app-sign-time", "time-sign-app", "sign-app-time"),
    badApp: badAppValue,
    malformed: fc.constantFrom(
      "-1",
      "1.5",
      "1e9",
      "17640000000000",
      " 1764000000",
      "abc",
      "0x1",
      "１７６４",
      "1764000000 ",
      "+1764000000",
    ),
    openGarbage: sometimes(fc.tuple(fc.string({ maxLength: 70 }), fc.string({ maxLength: 14 })), 3),
    seed: fc.nat(),
  })
  .chain((p) => {
    // Leading zeros keep the value (and the Sign is over the string as sent): still authenticated.
    const rt = (skew: number) => `${"0".repeat(p.leadingZeros)}${NOW_S + skew}`;
    return (p.signProblem === "mismatch" ? mismatchSign(rt(p.skewIn)) : fc.constant("")).map((wrongSign) => {
      const pairs: [string, string][] = [];
      let auth: "ok" | "no" = "ok";
      let authStatus: 401 | 403 | undefined;
      if (p.app === "none") {
        auth = "no";
        authStatus = 403;
        if (p.appProblem === "bad-value") pairs.push([p.appKey, p.badApp]);
        else if (p.appProblem === "misspelt")
          pairs.push([`${p.appKey.replace(/id$/i, "_id").replace(/%64$/i, "_id")}`, String(TOKEN_APP)]);
      } else pairs.push([p.appKey, String(p.app === "token" ? TOKEN_APP : OPEN_APP)]);

      if (p.app === "token") {
        const inside = rt(p.skewIn);
        let time: string | null = inside;
        let sign: string | null = p.upper ? signFor(inside).toUpperCase() : signFor(inside);
        switch (p.signProblem) {
          case "missing-sign":
            sign = null;
            break;
          case "missing-time":
            time = null;
            break;
          case "empty-sign":
            sign = "";
            break;
          case "malformed-time":
            time = pct(p.malformed);
            sign = signFor(p.malformed);
            break;
          case "stale":
            time = rt(p.skewOut);
            sign = signFor(time);
            break;
          case "mismatch":
            sign = wrongSign;
            break;
        }
        if (p.signProblem) {
          auth = "no";
          authStatus = 401;
        }
        if (sign !== null) pairs.push([p.signKey, sign]);
        if (time !== null) pairs.push([p.timeKey, time]);
      } else if (p.openGarbage) {
        // An app without a token ignores whatever Sign and RequestTime say.
        pairs.push([p.signKey, pct(p.openGarbage[0])], [p.timeKey, pct(p.openGarbage[1])]);
      }
      if (p.order === "time-sign-app") pairs.reverse();
      else if (p.order === "sign-app-time" && pairs.length > 1) pairs.push(pairs.shift()!);
      return { pairs, auth, authStatus };
    });
  });

/** Noise: any key that is not one of ours (after decoding), any value, malformed escapes included. */
const noisePair: fc.Arbitrary<[string, string]> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom("contenttype", "ClientIP", "OptPlatform", "x", "", "%", "%zz", "a%2", "==", "+", "%E0%A4", "%FF"),
      fc.string({ maxLength: 12 }).map(pct),
      fc.string({ maxLength: 8 }),
    ),
    fc.oneof(
      fc.string({ maxLength: 40 }).map(pct),
      fc.string({ maxLength: 20 }),
      fc.constantFrom("%", "%%", "%E0%A4%A", "%C0%AF", "a+b", "json", "127.0.0.1", "Web", "RESTAPI"),
    ),
  )
  // A raw "&" or "#" would start another parameter or the fragment: keys and values never hold one.
  .filter(([k, v]) => !AUTH_KEYS.has(decodeKey(k)) && !/[#&=]/.test(k) && !/[#&]/.test(v));

export interface QueryPlan {
  query: string;
  auth: "ok" | "no";
  authStatus?: 401 | 403;
  family: string;
}

/**
 * The whole query: the auth pairs, CallbackCommand (matching the body, another, an alias, missing),
 * noise, duplicates of the auth parameters (a garbage copy after the real one is ignored; before it,
 * it decides), and now and then an oversized value or thousands of parameters.
 */
export function queries(bodyCommand: string | undefined): fc.Arbitrary<QueryPlan> {
  return fc
    .record({
      plan: authPlan,
      cmd: fc.oneof(
        { weight: 6, arbitrary: fc.constant(bodyCommand ?? null) },
        { weight: 1, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.constantFrom(...COMMAND_NAMES) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      ),
      cmdKey: fc.constantFrom("CallbackCommand", "callbackcommand", "CALLBACKCOMMAND"),
      noise: fc.array(fc.tuple(noisePair, fc.nat()), { maxLength: 6 }),
      dupAfter: sometimes(fc.tuple(fc.constantFrom("app", "sign", "time", "cmd"), fc.string({ maxLength: 10 })), 5),
      dupBefore: sometimes(fc.tuple(fc.constantFrom("app", "sign", "time"), badAppValue), 10),
      oversized: sometimes(
        fc.oneof(
          fc.record({ kind: fc.constant("long-value" as const), n: fc.constantFrom(8 * 1024, 64 * 1024, 300 * 1024) }),
          fc.record({ kind: fc.constant("many" as const), n: fc.constantFrom(1000, 5000, 20_000) }),
          fc.record({ kind: fc.constant("long-key" as const), n: fc.constantFrom(8 * 1024, 100 * 1024) }),
        ),
        25,
      ),
      fragment: sometimes(fc.constantFrom("#", "#SdkAppid=1", `#&SdkAppid=${TOKEN_APP}`), 20),
    })
    .map((r) => {
      let { auth, authStatus } = r.plan;
      const pairs: [string, string][] = [...r.plan.pairs];
      if (r.cmd !== null) pairs.push([r.cmdKey, pct(r.cmd)]);
      for (const [p, at] of r.noise) pairs.splice(at % (pairs.length + 1), 0, p);
      const family: string[] = [];
      const firstIndex = (name: string) => pairs.findIndex(([k]) => decodeKey(k) === name);
      if (r.dupAfter) {
        const [which, v] = r.dupAfter;
        const name = { app: "sdkappid", sign: "sign", time: "requesttime", cmd: "callbackcommand" }[which];
        if (firstIndex(name) >= 0) {
          pairs.push([name, pct(v)]); // a later copy never counts
          family.push(`dup-after(${which})`);
        }
      }
      if (r.dupBefore && auth === "ok") {
        const [which, v] = r.dupBefore;
        const name = { app: "SdkAppid", sign: "Sign", time: "RequestTime" }[which];
        const first = firstIndex(name.toLowerCase());
        if (which === "app" || first >= 0) {
          // An earlier garbage copy is the one read: the request is no longer authenticated, except
          // an app without a token, which ignores Sign and RequestTime.
          const openApp = pairs.some(([k, val]) => decodeKey(k) === "sdkappid" && val === String(OPEN_APP));
          if (which === "app") {
            pairs.unshift([name, v]);
            auth = "no";
            authStatus = 403;
          } else if (!openApp) {
            pairs.splice(first, 0, [name, which === "sign" ? "0".repeat(64) : "not-a-time"]);
            auth = "no";
            authStatus = 401;
          } else pairs.splice(first, 0, [name, v]);
          family.push(`dup-before(${which})`);
        }
      }
      if (r.oversized) {
        const { kind, n } = r.oversized;
        if (kind === "long-value") pairs.push(["ClientIP", "9".repeat(n)]);
        else if (kind === "long-key") pairs.push(["k".repeat(n), "v"]);
        else for (let i = 0; i < n; i++) pairs.push([`p${i}`, "v"]);
        family.push(`oversized(${kind},${n})`);
      }
      let query = pairs.map(([k, v]) => `${k}=${v}`).join("&");
      if (r.fragment) {
        query += r.fragment; // the fragment is never part of the query
        family.push("fragment");
      }
      return { query, auth, authStatus, family: family.join("+") };
    });
}

// ---------------------------------------------------------------------------------------------
// Whole requests

const CONTENT_TYPES = [
  null,
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=----x",
  "application/octet-stream",
  "application/json; charset=utf-16",
  "application/xml",
  "",
  "garbage/;;;=",
  "application/json, text/html",
];

export const contentType = fc.constantFrom(...CONTENT_TYPES);

const extraHeaders = fc.subarray(
  [
    ["content-encoding", "gzip"],
    ["content-encoding", "br"],
    ["x-forwarded-for", "10.9.8.7, 203.0.113.9"],
    ["expect", "100-continue"],
    ["accept", "*/*"],
    ["cookie", "a=b"],
  ] as [string, string][],
  { maxLength: 2 },
);

export function requests(max = MAX_BODY): fc.Arbitrary<FuzzInput> {
  return bodies(max).chain((b) =>
    fc
      .record({
        q: queries(b.command),
        ct: contentType,
        extra: extraHeaders,
        transfer: fc.constantFrom<Transfer>("length", "length", "length", "none", "stream", "lie"),
        chunk: fc.constantFrom(1, 7, 1024, 65_536),
        lie: fc.oneof(
          fc.constantFrom(0, 1, max, max + 1, 2 ** 31),
          fc.nat({ max: 4 * max }),
          fc.constant(b.bytes.length + 1),
          fc.constant(Math.max(0, b.bytes.length - 1)),
        ),
        clockMs: fc.integer({ min: 0, max: 999 }),
      })
      .map(({ q, ct, extra, transfer, chunk, lie, clockMs }) => {
        // Byte-at-a-time streams of big bodies only slow the run down; they are covered small.
        const t: Transfer = transfer === "stream" && chunk < 1024 && b.bytes.length > 8192 ? "none" : transfer;
        const headers: [string, string][] = ct === null ? [...extra] : [["content-type", ct], ...extra];
        const input: FuzzInput = {
          family: [b.family, q.family].filter(Boolean).join("+"),
          method: "POST",
          query: q.query,
          headers,
          body: b.bytes,
          transfer: t,
          lieLength: t === "lie" ? lie : undefined,
          chunk,
          clockMs,
          auth: q.auth,
          authStatus: q.authStatus,
        };
        if (b.valid && q.auth === "ok" && !q.family.includes("oversized") && commandMatches(q.query, b.command))
          input.expectStatus = 200;
        return withToString(input);
      }),
  );
}

/** True when the query's first CallbackCommand is absent or names the body's command (or its alias). */
function commandMatches(query: string, bodyCommand: string | undefined): boolean {
  const hit = query
    .split("#")[0]!
    .split("&")
    .find((p) => decodeKey(p.split("=")[0]!) === "callbackcommand");
  if (!hit) return true;
  const v = decodeURIComponent(hit.slice(hit.indexOf("=") + 1));
  const canon = (c: string) => (c === ALIAS ? "Room.CallbackAfterUpdateRoomInfo" : c);
  return bodyCommand !== undefined && canon(v) === canon(bodyCommand);
}

/** Only requests that must be refused before the body matters (no valid app, or a bad Sign). */
export function unauthenticated(max = MAX_BODY): fc.Arbitrary<FuzzInput> {
  return requests(max).filter((i) => i.auth === "no");
}

// ---------------------------------------------------------------------------------------------
// The saved corpus

/** A piece of a body or query: text, hex or base64, optionally repeated. */
export type Part =
  | { text: string; repeat?: number }
  | { hex: string; repeat?: number }
  | { base64: string; repeat?: number };

export interface CorpusStep {
  method?: string;
  /** Parts joined; "{{sign:RT}}" becomes sha256hex(TOKEN + RT), "{{SIGN:RT}}" the same in upper case. */
  query: string | Part[];
  headers?: Record<string, string>;
  transfer?: Transfer;
  lieLength?: number;
  chunk?: number;
  body: string | Part[];
  /** The clock in Unix seconds (default NOW_S). */
  now?: number;
  expect?: { status?: number; code?: number; stored?: "none" | "journal" | "quarantine" | "duplicate" };
  /** Authenticated by construction; "no" also asserts nothing is stored. */
  auth?: "ok" | "no";
}

export interface CorpusFile {
  about: string;
  max_body_bytes?: number;
  steps: CorpusStep[];
}

function partsToBytes(parts: string | Part[]): Uint8Array {
  if (typeof parts === "string") return utf8(parts);
  return cat(
    ...parts.map((p) => {
      const one =
        "text" in p
          ? utf8(p.text)
          : "hex" in p
            ? new Uint8Array(Buffer.from(p.hex, "hex"))
            : new Uint8Array(Buffer.from(p.base64, "base64"));
      return p.repeat ? new Uint8Array(Buffer.concat(Array(p.repeat).fill(one))) : one;
    }),
  );
}

export function corpusInput(step: CorpusStep, family: string): FuzzInput {
  const query = Buffer.from(partsToBytes(step.query))
    .toString("utf8")
    .replace(/\{\{(sign|SIGN):([^}]*)\}\}/g, (_, k: string, rt: string) =>
      k === "SIGN" ? computeSign(TOKEN, rt).toUpperCase() : computeSign(TOKEN, rt),
    );
  return withToString({
    family,
    method: step.method ?? "POST",
    query,
    headers: Object.entries(step.headers ?? {}),
    body: partsToBytes(step.body),
    transfer: step.transfer ?? "length",
    lieLength: step.lieLength,
    chunk: step.chunk,
    clockMs: 0,
    auth: step.auth ?? "ok",
  });
}

export const CORPUS_DIR = join(import.meta.dir, "corpus");

export function loadCorpus(): { name: string; file: CorpusFile }[] {
  if (!existsSync(CORPUS_DIR)) return [];
  return readdirSync(CORPUS_DIR)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((name) => ({ name, file: JSON.parse(readFileSync(join(CORPUS_DIR, name), "utf8")) as CorpusFile }));
}

/** A failing generated input as a corpus file, so it can be replayed on every run once copied in. */
export function saveFailure(property: string, seed: number, input: FuzzInput, maxBody: number, error: string): string {
  const dir = process.env.FUZZ_FAILURES_DIR ?? join(tmpdir(), "roomhook-fuzz-failures");
  mkdirSync(dir, { recursive: true });
  const text = Buffer.from(input.body).toString("utf8");
  const roundTrips = Buffer.from(text, "utf8").equals(Buffer.from(input.body));
  const file: CorpusFile = {
    about: `${property} failed (seed ${seed}): ${error.split("\n")[0]}; family ${input.family}`,
    max_body_bytes: maxBody,
    steps: [
      {
        method: input.method,
        query: input.query,
        headers: Object.fromEntries(input.headers),
        transfer: input.transfer,
        lieLength: input.lieLength,
        chunk: input.chunk,
        body: roundTrips ? text : [{ base64: Buffer.from(input.body).toString("base64") }],
        now: NOW_S,
        auth: input.auth,
      },
    ],
  };
  const path = join(dir, `${property.replace(/\W+/g, "-")}-${seed}-${Date.now()}.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}
