// Unit tests for the small pure helpers: the flag parser (src/cli/args.ts), event-type globs
// (src/journal/glob.ts) and the journal line format (src/journal/line.ts, README "The journal").
import { describe, expect, test } from "bun:test";
import { commandFlags, nonNegativeInt, parseFlags, str, UsageError, type FlagSpec } from "../../src/cli/args.ts";
import { globToRegExp, matchAny } from "../../src/journal/glob.ts";
import {
  envelopeHead,
  eventId,
  EventIdHasher,
  peekSeqId,
  renderLine,
  singleLine,
  type EnvelopeFields,
} from "../../src/journal/line.ts";
import { createHash } from "node:crypto";
import { EXAMPLES } from "../../src/callback/examples.ts";

const SPEC: FlagSpec = { config: "string", follow: "boolean", type: "string", "from-seq": "string" };
const ALIASES = { f: "follow", c: "config" };

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("parseFlags", () => {
  test("string flag with a separate value, boolean flag, positional", () => {
    const r = parseFlags(["serve", "--config", "/a.toml", "--follow"], SPEC);
    expect(r.flags).toEqual({ config: "/a.toml", follow: true });
    expect(r.rest).toEqual(["serve"]);
  });

  test("--name=value, including an empty value and a value containing =", () => {
    expect(parseFlags(["--config=/a.toml"], SPEC).flags.config).toBe("/a.toml");
    expect(parseFlags(["--config="], SPEC).flags.config).toBe("");
    expect(parseFlags(["--type=a=b"], SPEC).flags.type).toBe("a=b");
  });

  test("a value may start with a dash when given separately", () => {
    expect(parseFlags(["--type", "-x"], SPEC).flags.type).toBe("-x");
  });

  test("the last occurrence wins", () => {
    expect(parseFlags(["--config", "a", "--config", "b"], SPEC).flags.config).toBe("b");
  });

  test("unknown option is a UsageError naming it", () => {
    expect(usageError(() => parseFlags(["--nope"], SPEC)).message).toContain("--nope");
    expect(usageError(() => parseFlags(["--nope=1"], SPEC)).message).toContain("--nope");
    usageError(() => parseFlags(["-x"], SPEC, ALIASES));
  });

  test("a string flag without a value is a UsageError", () => {
    expect(usageError(() => parseFlags(["--config"], SPEC)).message).toContain("needs a value");
  });

  test("a boolean flag with a value is a UsageError", () => {
    expect(usageError(() => parseFlags(["--follow=yes"], SPEC)).message).toContain("--follow");
  });

  test("aliases map to the long name, with either dash style", () => {
    expect(parseFlags(["-f", "-c", "/a.toml"], SPEC, ALIASES).flags).toEqual({ follow: true, config: "/a.toml" });
    expect(parseFlags(["--c=/b.toml"], SPEC, ALIASES).flags.config).toBe("/b.toml");
  });

  test('"--" ends the options: everything after it is positional', () => {
    const r = parseFlags(["--follow", "--", "--config", "x", "-f"], SPEC, ALIASES);
    expect(r.flags).toEqual({ follow: true });
    expect(r.rest).toEqual(["--config", "x", "-f"]);
  });

  test('a lone "-" is positional (stdin)', () => {
    expect(parseFlags(["-"], SPEC).rest).toEqual(["-"]);
  });

  test("no arguments: no flags, no rest", () => {
    expect(parseFlags([], SPEC)).toEqual({ flags: {}, rest: [] });
  });
});

describe("commandFlags", () => {
  test("--help and -h print the help and give null; flags and aliases otherwise parse as declared", () => {
    const printed: unknown[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(...a);
    try {
      expect(commandFlags(["--help"], SPEC, "HELP TEXT")).toBeNull();
      expect(commandFlags(["-f", "-h"], SPEC, "HELP TEXT", ALIASES)).toBeNull();
    } finally {
      console.log = log;
    }
    expect(printed).toEqual(["HELP TEXT", "HELP TEXT"]);
    expect(commandFlags(["-f", "--type", "Room.*"], SPEC, "HELP", ALIASES)).toEqual({ follow: true, type: "Room.*" });
  });

  test("a positional argument is a usage error that names it, not silently ignored", () => {
    expect(usageError(() => commandFlags(["--follow", "stray"], SPEC, "HELP")).message).toBe(
      'unexpected argument "stray"',
    );
    expect(usageError(() => commandFlags(["--", "-x"], SPEC, "HELP")).message).toBe('unexpected argument "-x"');
  });
});

describe("str", () => {
  test("returns strings only", () => {
    const { flags } = parseFlags(["--config", "/a", "--follow"], SPEC);
    expect(str(flags, "config")).toBe("/a");
    expect(str(flags, "follow")).toBeUndefined();
    expect(str(flags, "type")).toBeUndefined();
  });
});

describe("nonNegativeInt", () => {
  test("parses digits, absent is undefined", () => {
    expect(nonNegativeInt({ "from-seq": "42" }, "from-seq")).toBe(42);
    expect(nonNegativeInt({ "from-seq": "0" }, "from-seq")).toBe(0);
    expect(nonNegativeInt({}, "from-seq")).toBeUndefined();
  });

  test("anything else is a UsageError naming the flag and value", () => {
    for (const v of ["-1", "1.5", "abc", "", " 1", "1e3"]) {
      const e = usageError(() => nonNegativeInt({ "from-seq": v }, "from-seq"));
      expect(e.message).toContain("--from-seq");
    }
  });
});

describe("globToRegExp", () => {
  test("is anchored at both ends", () => {
    expect(globToRegExp("Room").test("Room.CallbackAfterCreateRoom")).toBe(false);
    expect(globToRegExp("CallbackAfterCreateRoom").test("Room.CallbackAfterCreateRoom")).toBe(false);
    expect(globToRegExp("Room.CallbackAfterCreateRoom").test("Room.CallbackAfterCreateRoom")).toBe(true);
  });

  test('"Room.*" matches Room commands but not Mic ones', () => {
    const re = globToRegExp("Room.*");
    expect(re.test("Room.CallbackAfterCreateRoom")).toBe(true);
    expect(re.test("Room.CallbackUpdateRoomInfo")).toBe(true);
    expect(re.test("Room.")).toBe(true);
    expect(re.test("Mic.CallbackAfterSeatInfoChanged")).toBe(false);
  });

  test("dots are literal", () => {
    const re = globToRegExp("Room.*");
    expect(re.test("RoomXCallbackAfterCreateRoom")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });

  test('"?" is exactly one character', () => {
    const re = globToRegExp("Mic.CallbackAfterSeatInfoChange?");
    expect(re.test("Mic.CallbackAfterSeatInfoChanged")).toBe(true);
    expect(re.test("Mic.CallbackAfterSeatInfoChange")).toBe(false);
    expect(re.test("Mic.CallbackAfterSeatInfoChangedd")).toBe(false);
  });

  test('"*" alone matches anything, including the empty string', () => {
    const re = globToRegExp("*");
    expect(re.test("")).toBe(true);
    expect(re.test("Mic.CallbackAfterSeatInfoChanged")).toBe(true);
  });

  test("other regex metacharacters are literal", () => {
    expect(globToRegExp("a+b").test("a+b")).toBe(true);
    expect(globToRegExp("a+b").test("aab")).toBe(false);
    expect(globToRegExp("(x)|y").test("(x)|y")).toBe(true);
    expect(globToRegExp("(x)|y").test("y")).toBe(false);
    expect(globToRegExp("[ab]").test("a")).toBe(false);
    expect(globToRegExp("$^\\{}").test("$^\\{}")).toBe(true);
  });

  test("is case-sensitive", () => {
    expect(globToRegExp("room.*").test("Room.CallbackAfterCreateRoom")).toBe(false);
  });
});

describe("matchAny", () => {
  test("matches when any glob matches", () => {
    const m = matchAny(["Room.*", "Mic.CallbackAfterSeatInfoChanged"]);
    expect(m("Room.CallbackAfterMemberLeave")).toBe(true);
    expect(m("Mic.CallbackAfterSeatInfoChanged")).toBe(true);
    expect(m("Mic.CallbackAfterSomethingElse")).toBe(false);
  });

  test("an empty list matches nothing", () => {
    expect(matchAny([])("Room.CallbackAfterCreateRoom")).toBe(false);
  });
});

const enc = (s: string) => new TextEncoder().encode(s);

describe("eventId", () => {
  const body = enc(EXAMPLES["Room.CallbackAfterMemberEnter"]);
  const type = "Room.CallbackAfterMemberEnter";

  test("is 32 hex characters and deterministic", () => {
    const id = eventId(1400000000, type, body).hex;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(eventId(1400000000, type, enc(EXAMPLES["Room.CallbackAfterMemberEnter"])).hex).toBe(id);
  });

  test("differs for a different app, command or body", () => {
    const id = eventId(1400000000, type, body).hex;
    expect(eventId(1400000001, type, body).hex).not.toBe(id);
    expect(eventId(1400000000, "Room.CallbackAfterMemberLeave", body).hex).not.toBe(id);
    expect(eventId(1400000000, type, enc(`${EXAMPLES["Room.CallbackAfterMemberEnter"]} `)).hex).not.toBe(id);
  });

  test("is the first 128 bits of SHA-256 over the length-prefixed app, command and body", () => {
    const expected = createHash("sha256")
      .update(`1400000000\n${type.length}:${type}\n`)
      .update(body)
      .digest("hex")
      .slice(0, 32);
    expect(eventId(1400000000, type, body).hex).toBe(expected);
  });

  test("the hot-path hasher gives the same id as eventId, for small and big bodies and any command", () => {
    const h = new EventIdHasher();
    const big = enc("x".repeat(40_000));
    for (const [app, t, b] of [
      [1400000000, type, body],
      [1, "Room.Ünknown-命令", body],
      [7, type, big],
      [7, "y".repeat(6000), enc("z".repeat(1000))], // prefix alone beyond the scratch bound
      [7, type, new Uint8Array(0)],
    ] as const) {
      const id = h.id(app, t, b);
      expect(id.hex).toBe(eventId(app, t, b).hex);
      expect([...id.words]).toEqual([...eventId(app, t, b).words]);
    }
    // The scratch buffer is reused: a later, shorter body must not see the earlier one's tail.
    expect(h.id(1, type, enc("ab")).hex).toBe(eventId(1, type, enc("ab")).hex);
  });

  test("the field boundaries are not ambiguous", () => {
    // Same concatenated text, split differently between app id, type and body.
    expect(eventId(1, "2a", enc("b")).hex).not.toBe(eventId(12, "a", enc("b")).hex);
    expect(eventId(1, "a", enc("bc")).hex).not.toBe(eventId(1, "ab", enc("c")).hex);
  });
});

describe("envelopeHead + renderLine", () => {
  const raw = EXAMPLES["Mic.CallbackAfterSeatInfoChanged"];
  const fields: EnvelopeFields = {
    id: "0123456789abcdef0123456789abcdef",
    type: "Mic.CallbackAfterSeatInfoChanged",
    sdkAppId: 1400000000,
    roomId: "rid-123",
    eventTime: 1670574414123,
    receivedAt: "2026-11-25T17:00:00.123Z",
    clientIp: "127.0.0.1",
    optPlatform: "Web",
  };
  const line = renderLine(7, envelopeHead(fields), raw);

  test("is one newline-terminated line", () => {
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(line.includes("\r")).toBe(false);
  });

  test("starts with seq then id", () => {
    expect(line.startsWith(`{"seq":7,"id":"${fields.id}",`)).toBe(true);
  });

  test("parses to the envelope with data equal to the body", () => {
    const parsed = JSON.parse(line);
    expect(parsed).toEqual({ seq: 7, ...fields, data: JSON.parse(raw) });
  });

  test("keeps an 18-digit account id digit for digit in the raw text", () => {
    expect(raw).toContain("144115233775727695");
    expect(line).toContain('"Member_Account":144115233775727695');
    // JSON.parse would have rounded it: proof that the body was spliced, not re-serialised.
    expect(JSON.stringify(JSON.parse(raw))).not.toContain("144115233775727695");
  });

  test("keeps the body bytes as received (key order, spacing)", () => {
    const body = '{ "z" : 1,  "a":[ 1.50 ,2] }';
    expect(renderLine(1, envelopeHead(fields), body)).toContain(`"data":${body}}`);
  });

  test("null fields and a quarantine reason", () => {
    const head = envelopeHead({
      ...fields,
      roomId: null,
      eventTime: null,
      clientIp: null,
      optPlatform: null,
      reason: 'bad "x"',
    });
    const parsed = JSON.parse(renderLine(2, head, "{}"));
    expect(parsed.roomId).toBeNull();
    expect(parsed.eventTime).toBeNull();
    expect(parsed.reason).toBe('bad "x"');
    expect(parsed.data).toEqual({});
  });

  test("strings with quotes, backslashes and newlines are escaped in the head", () => {
    const head = envelopeHead({ ...fields, type: 'Room."x"\\\n' });
    const l = renderLine(3, head, "{}");
    expect(l.indexOf("\n")).toBe(l.length - 1);
    expect(JSON.parse(l).type).toBe('Room."x"\\\n');
  });
});

describe("singleLine", () => {
  test("returns the same string when there is no CR or LF", () => {
    const s = '{"a":"x\\ny"}';
    expect(singleLine(s)).toBe(s);
  });

  test("replaces CR and LF between tokens, keeping the JSON value", () => {
    const body = '{\r\n  "a": 1,\n  "b": "x\\ny",\r  "c": [1,\n2]\r\n}';
    const out = singleLine(body);
    expect(out).not.toMatch(/[\r\n]/);
    expect(out.length).toBe(body.length);
    expect(JSON.parse(out)).toEqual(JSON.parse(body));
    expect(JSON.parse(out).b).toBe("x\ny");
  });

  test("a multi-line body still renders to one parseable line", () => {
    const body = '{\n"RoomId":"r1",\n"N":144115233775727695\n}';
    const line = renderLine(
      1,
      envelopeHead({
        id: "i",
        type: "t",
        sdkAppId: 1,
        roomId: "r1",
        eventTime: null,
        receivedAt: "",
        clientIp: null,
        optPlatform: null,
      }),
      singleLine(body),
    );
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(JSON.parse(line).data.RoomId).toBe("r1");
    expect(line).toContain("144115233775727695");
  });
});

describe("peekSeqId", () => {
  test("reads seq and id from a rendered line", () => {
    const head = envelopeHead({
      id: "abc123",
      type: "t",
      sdkAppId: 1,
      roomId: null,
      eventTime: null,
      receivedAt: "",
      clientIp: null,
      optPlatform: null,
    });
    expect(peekSeqId(renderLine(123456789012, head, "{}"))).toEqual({ seq: 123456789012, id: "abc123" });
  });

  test("null for lines that do not start like an envelope", () => {
    for (const l of [
      "",
      "{}",
      '{"id":"x","seq":1}',
      '{"seq":"1","id":"x"}',
      '{"seq":-1,"id":"x"}',
      ' {"seq":1,"id":"x"}',
    ]) {
      expect(peekSeqId(l)).toBeNull();
    }
  });
});
