// The NATS subject an event is published on, from the target's template (README "Scaling out").
// Placeholders: {sdkAppId}, {type}, {roomId}. A subject is dot-separated tokens and may not hold
// whitespace, `*` or `>`; a room id is free text, so values are escaped: every byte outside
// [A-Za-z0-9_-] becomes %HH (UTF-8, upper-case hex), which keeps one value one token and is
// reversible (decodeURIComponent). The type keeps its dots (Room.CallbackAfterMemberEnter is two
// tokens: consumers filter on `roomhook.*.Room.>`), each part escaped the same way. A missing room
// (or an empty value) is `~`, which escaping never produces.

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;
export const PLACEHOLDERS = ["sdkAppId", "type", "roomId"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

export interface SubjectFields {
  sdkAppId: number | string;
  type: string;
  roomId: string | null;
}

const UTF8 = new TextEncoder();

/** One subject token from any text. */
export function escapeToken(value: string | null): string {
  if (value === null || value === "") return "~";
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value;
  let out = "";
  for (const b of UTF8.encode(value)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A type keeps its dots as token separators; each part is escaped. */
export function escapeType(type: string): string {
  return type.split(".").map(escapeToken).join(".");
}

/** What is wrong with a template, or null: unknown placeholders, empty tokens, wildcards. */
export function templateProblem(template: string): string | null {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      return `unknown placeholder {${m[1]}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")})`;
    }
  }
  const literal = template.replace(PLACEHOLDER, "x");
  if (/[\s*>{}]/.test(literal)) return "a subject may not hold whitespace, '*', '>' or stray braces";
  if (literal.split(".").some((t) => t === "")) return "a subject may not have an empty token (.. or a dot at an end)";
  return null;
}

export class SubjectTemplate {
  private readonly parts: (string | Placeholder)[] = [];

  constructor(readonly template: string) {
    let at = 0;
    for (const m of template.matchAll(PLACEHOLDER)) {
      this.parts.push(template.slice(at, m.index), `{${m[1]}}` as Placeholder);
      at = m.index! + m[0].length;
    }
    this.parts.push(template.slice(at));
  }

  render(f: SubjectFields): string {
    let s = "";
    for (const p of this.parts) {
      if (p === "{sdkAppId}") s += escapeToken(String(f.sdkAppId));
      else if (p === "{type}") s += escapeType(f.type);
      else if (p === "{roomId}") s += escapeToken(f.roomId);
      else s += p;
    }
    return s;
  }

  /** The stream subjects that cover every subject this renders: the tokens before the first placeholder, then `>`. */
  coveringSubjects(): string[] {
    const tokens = this.template.split(".");
    const fixed: string[] = [];
    for (const t of tokens) {
      if (t.includes("{")) break;
      fixed.push(t);
    }
    if (fixed.length === tokens.length) return [this.template];
    return [[...fixed, ">"].join(".")];
  }
}

/** NATS subject matching: `*` is one token, `>` one or more at the end. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
