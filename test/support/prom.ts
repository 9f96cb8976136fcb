// A small, strict reader of the Prometheus text format 0.0.4, so tests check what a scraper would
// read rather than grepping strings: it throws on anything a real parser would reject, and checks
// each histogram's invariants (cumulative buckets, +Inf bucket == _count).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample with exactly these labels (undefined when absent). */
  get(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of `name` whose labels include `labels`. */
  all(name: string, labels?: Record<string, string>): Sample[];
  /** Sum over the samples of `name` whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE_RE = new RegExp(`^(${NAME})(\\{.*\\})? (\\S+)$`);

function parseValue(s: string, line: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value in: ${line}`);
  return Number(s);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1; // past "{"
  const end = text.length - 1; // the "}"
  while (i < end) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`bad label at ${i} in: ${line}`);
    i += m[0].length;
    let v = "";
    for (;;) {
      if (i >= end) throw new Error(`unterminated label value in: ${line}`);
      const c = text[i]!;
      if (c === "\\") {
        const n = text[i + 1];
        if (n === "\\") v += "\\";
        else if (n === '"') v += '"';
        else if (n === "n") v += "\n";
        else throw new Error(`bad escape \\${n} in: ${line}`);
        i += 2;
      } else if (c === '"') {
        i++;
        break;
      } else if (c === "\n") {
        throw new Error(`raw newline in a label value: ${line}`);
      } else {
        v += c;
        i++;
      }
    }
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]!] = v;
    if (text[i] === ",") i++;
    else if (i !== end) throw new Error(`expected , or } at ${i} in: ${line}`);
  }
  return labels;
}

function includes(labels: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

/** The family a sample belongs to: a histogram's _bucket/_sum/_count map to its base name. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === "histogram") return base;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      if (!m) throw new Error(`bad HELP: ${line}`);
      if (help.has(m[1]!)) throw new Error(`HELP twice for ${m[1]}`);
      help.set(
        m[1]!,
        m[2]!.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\")),
      );
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      if (!m) throw new Error(`bad TYPE: ${line}`);
      if (types.has(m[1]!)) throw new Error(`TYPE twice for ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels = m[2] ? parseLabels(m[2], line) : {};
    const name = m[1]!;
    if (!familyOf(name, types)) throw new Error(`sample before its TYPE: ${line}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(m[3]!, line) });
  }
  const all = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && includes(s.labels, labels));
  const exp: Exposition = {
    types,
    help,
    samples,
    all,
    get(name, labels = {}) {
      const hits = samples.filter(
        (s) =>
          s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && includes(s.labels, labels),
      );
      if (hits.length > 1) throw new Error(`${name}: ${hits.length} series match`);
      return hits[0]?.value;
    },
    sum: (name, labels = {}) => all(name, labels).reduce((a, s) => a + s.value, 0),
  };
  checkHistograms(exp);
  return exp;
}

function checkHistograms(e: Exposition): void {
  for (const [name, type] of e.types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const b of e.all(`${name}_bucket`)) {
      const { le, ...rest } = b.labels;
      if (le === undefined) throw new Error(`${name}_bucket without le`);
      const k = JSON.stringify(Object.entries(rest).sort());
      groups.set(k, [...(groups.get(k) ?? []), b]);
    }
    for (const [k, buckets] of groups) {
      const rest = Object.fromEntries(JSON.parse(k) as [string, string][]);
      const les = buckets.map((b) => parseValue(b.labels.le!, b.labels.le!));
      for (let i = 1; i < buckets.length; i++) {
        if (!(les[i]! > les[i - 1]!)) throw new Error(`${name}${k}: le not rising`);
        if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${name}${k}: buckets not cumulative`);
      }
      if (les.at(-1) !== Infinity) throw new Error(`${name}${k}: no le="+Inf" bucket`);
      const count = e.get(`${name}_count`, rest);
      if (count === undefined || e.get(`${name}_sum`, rest) === undefined)
        throw new Error(`${name}${k}: _sum or _count missing`);
      if (buckets.at(-1)!.value !== count)
        throw new Error(`${name}${k}: +Inf bucket ${buckets.at(-1)!.value} != _count ${count}`);
    }
  }
}
