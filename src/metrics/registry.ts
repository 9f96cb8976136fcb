// A tiny Prometheus registry: counters, gauges and fixed-bucket histograms with labels, rendered in
// the text exposition format 0.0.4. No dependency, and cheap on the hot path: a labelled series is a
// "child" object the caller looks up once and keeps, so an observation is a few number updates with
// no allocation (the label text is rendered when the child is created, not at every scrape).

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values may hold anything; the format escapes backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

/** HELP text escapes backslash and newline only. */
function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === "\\" ? "\\\\" : "\\n"));
}

/** Prometheus reads Go float syntax: +Inf, -Inf, NaN; JS's own number text otherwise. */
export function formatValue(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

type Kind = "counter" | "gauge" | "histogram";

abstract class Metric<C> {
  protected readonly children = new Map<string, C>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) {
      if (!LABEL_RE.test(l) || l.startsWith("__")) throw new Error(`${name}: invalid label name "${l}"`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new Error(`${name}: duplicate label names`);
  }

  abstract readonly kind: Kind;
  protected abstract make(values: readonly string[]): C;
  abstract lines(out: string[]): void;

  /** The series for these label values (in labelNames order), created on first use. Keep it. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label value(s), got ${values.length}`);
    }
    // \u0001 cannot be confused with label text a caller would plausibly use as a separator.
    const key = values.join("\u0001");
    let c = this.children.get(key);
    if (!c) {
      c = this.make(values);
      this.children.set(key, c);
    }
    return c;
  }

  /** Drops every series (for gauges recomputed at each scrape, so a gone target disappears). */
  clear(): void {
    this.children.clear();
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`);
    this.lines(out);
  }
}

export class CounterChild {
  value = 0;
  constructor(readonly labelText: string) {}
  inc(n = 1): void {
    // A counter only goes up; a negative step is a bug at the call site, not something to render.
    if (n > 0) this.value += n;
  }
}

export class Counter extends Metric<CounterChild> {
  readonly kind = "counter";
  protected make(values: readonly string[]): CounterChild {
    return new CounterChild(labelText(this.labelNames, values));
  }
  /** The unlabelled series. */
  inc(n = 1): void {
    this.labels().inc(n);
  }
  lines(out: string[]): void {
    for (const c of this.children.values()) out.push(`${this.name}${c.labelText} ${formatValue(c.value)}`);
  }
}

export class GaugeChild {
  value = 0;
  constructor(readonly labelText: string) {}
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
}

export class Gauge extends Metric<GaugeChild> {
  readonly kind = "gauge";
  protected make(values: readonly string[]): GaugeChild {
    return new GaugeChild(labelText(this.labelNames, values));
  }
  set(v: number): void {
    this.labels().set(v);
  }
  lines(out: string[]): void {
    for (const c of this.children.values()) out.push(`${this.name}${c.labelText} ${formatValue(c.value)}`);
  }
}

export class HistogramChild {
  /** Per-bucket (not cumulative) counts; the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Each bucket's label text, rendered once: `{…,le="0.005"}`. */
  readonly bucketLabels: string[];
  readonly labelText: string;

  constructor(
    private readonly bounds: readonly number[],
    names: readonly string[],
    values: readonly string[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.labelText = labelText(names, values);
    this.bucketLabels = [...bounds, Infinity].map((b) => labelText(names, values, `le="${formatValue(b)}"`));
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    // A linear scan: a dozen or so buckets, and small values (the common case) stop early.
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class Histogram extends Metric<HistogramChild> {
  readonly kind = "histogram";
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    if (labelNames.includes("le")) throw new Error(`${name}: "le" is reserved for histogram buckets`);
    if (buckets.length === 0) throw new Error(`${name}: at least one bucket`);
    for (let i = 0; i < buckets.length; i++) {
      if (!Number.isFinite(buckets[i]!)) throw new Error(`${name}: buckets must be finite (+Inf is implied)`);
      if (i > 0 && buckets[i]! <= buckets[i - 1]!) throw new Error(`${name}: buckets must rise strictly`);
    }
    this.buckets = [...buckets];
  }

  protected make(values: readonly string[]): HistogramChild {
    return new HistogramChild(this.buckets, this.labelNames, values);
  }
  observe(v: number): void {
    this.labels().observe(v);
  }
  lines(out: string[]): void {
    for (const c of this.children.values()) {
      let cum = 0;
      for (let i = 0; i < c.counts.length; i++) {
        cum += c.counts[i]!;
        out.push(`${this.name}_bucket${c.bucketLabels[i]} ${formatValue(cum)}`);
      }
      out.push(
        `${this.name}_sum${c.labelText} ${formatValue(c.sum)}`,
        `${this.name}_count${c.labelText} ${formatValue(c.count)}`,
      );
    }
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric<unknown>>();
  private readonly collectors: (() => void)[] = [];

  private add<M extends Metric<unknown>>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric "${m.name}" is already registered`);
    this.metrics.set(m.name, m);
    // An unlabelled series exists from the start, so it reads 0 rather than being absent.
    if (m.labelNames.length === 0) m.labels();
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs before every render: values that are cheaper to read at scrape than to track (sizes, states). */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** The whole exposition, text format 0.0.4. */
  render(): string {
    for (const f of this.collectors) f();
    const out: string[] = [];
    for (const m of this.metrics.values()) m.render(out);
    return `${out.join("\n")}\n`;
  }
}
