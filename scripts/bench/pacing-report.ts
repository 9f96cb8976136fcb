// The markdown report of scripts/bench/pacing (see its header for what is measured and what
// "bounded" means).

export interface Sample {
  t: number; // s since the load started
  cap: number; // roomhook_fanout_rate_cap (deliveries/s; Infinity: no cut for the ingest)
  head: number; // journal head seq
  lag: number; // the larger of the targets' lags (0 with no target)
  delivered: number; // deliveries so far, all targets together
  each: { lag: number; delivered: number }[]; // per target, in config order (t1, t2)
}
export interface LoadDone {
  rate: number;
  duration_s: number;
  elapsed_s: number;
  scheduled: number;
  sent: number;
  unsent: number;
  ok: number;
  non2xx: number;
  read_err: number;
  connect_err: number;
  timeouts: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  gen_stall_ms: number; // the longest gap between two of the generator's ticks, over all windows
}
export interface Run {
  rate: number;
  mode: "none" | "two-targets";
  samples: Sample[]; // every second during the load, the last one just after it
  drain: Sample[]; // every 0.25 s after the load
  loadEnd: number;
  drainS: number | null; // null: lag still > 0 after DRAIN_MAX
  load?: LoadDone;
  journal?: number;
  problems: string[];
}
export interface Meta {
  cmd: string;
  env: string;
  duration: number;
  drainMax: number;
  connections: number;
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const f1 = (x: number) => x.toFixed(1);

export const bound = (rate: number) => Math.max(1000, rate);

/** Least-squares slope (events/s) of the lag over the last third of the load. */
export function lastThirdSlope(r: Run): number {
  const from = (r.loadEnd * 2) / 3;
  const s = r.samples.filter((x) => x.t >= from);
  if (s.length < 2) return 0;
  const mt = s.reduce((a, x) => a + x.t, 0) / s.length;
  const ml = s.reduce((a, x) => a + x.lag, 0) / s.length;
  let num = 0;
  let den = 0;
  for (const x of s) {
    num += (x.t - mt) * (x.lag - ml);
    den += (x.t - mt) ** 2;
  }
  return den > 0 ? num / den : 0;
}

export function judge(r: Run) {
  const maxLag = Math.max(0, ...r.samples.map((x) => x.lag));
  const endLag = r.samples.at(-1)?.lag ?? 0;
  const slope = lastThirdSlope(r);
  const growth = slope * (r.loadEnd / 3);
  const bounded = endLag < bound(r.rate) && growth < 0.25 * bound(r.rate);
  const atEnd = r.samples.at(-1);
  const deliveriesPerS = atEnd && atEnd.t > 0 ? atEnd.delivered / atEnd.t : 0;
  return { maxLag, endLag, slope, growth, bounded, deliveriesPerS };
}

/** Each target's deliveries/s during the load: how the fan-out's rate was split between them. */
function each(r: Run): string {
  const s = r.samples.at(-1);
  if (!s || s.t <= 0) return "?";
  return s.each.map((x, i) => `t${i + 1} ${n0(x.delivered / s.t)}`).join(" / ");
}

/** The lowest rate cap sampled during the load, and in how many 1-s samples there was one. */
function capped(r: Run): string {
  const caps = r.samples.map((x) => x.cap).filter((c) => Number.isFinite(c));
  return caps.length ? `${n0(Math.min(...caps))}/s (${caps.length} of ${r.samples.length})` : "none";
}

function row(r: Run): string {
  const l = r.load;
  const j = judge(r);
  const ach = l ? l.ok / l.duration_s : Number.NaN;
  const lag = (ev: number) => (r.mode === "none" ? "-" : `${n0(ev)} (${f1(ev / r.rate)} s)`);
  const drain = r.mode === "none" ? "-" : r.drainS === null ? "> DRAIN_MAX" : `${f1(r.drainS)} s`;
  const checks = r.problems.length
    ? `**FAIL**: ${r.problems.join("; ")}`
    : `exit 0; journal ${n0(r.journal ?? 0)} ≥ acked ${n0(l?.ok ?? 0)}`;
  return [
    `| ${n0(r.rate)} | ${r.mode}`,
    l ? `${n0(ach)}${l.unsent ? ` (${n0(l.unsent)} unsent)` : ""}` : "?",
    l ? `${l.p50_ms.toFixed(2)} / ${l.p99_ms.toFixed(2)}` : "?",
    lag(j.maxLag),
    r.mode === "none"
      ? "-"
      : `${lag(j.endLag)}; ${r.samples
          .at(-1)
          ?.each.map((x, i) => `t${i + 1} ${n0(x.lag)}`)
          .join(" / ")}`,
    r.mode === "none" ? "-" : `${n0(j.growth)}`,
    drain,
    r.mode === "none" ? "-" : `${n0(j.deliveriesPerS)} (${each(r)})`,
    r.mode === "none" ? "-" : capped(r),
    r.mode === "none" ? "-" : j.bounded ? "yes" : "**no**",
    `${checks} |`,
  ].join(" | ");
}

function ratios(runs: Run[], rates: number[]): { rate: number; ratio: number }[] {
  const out: { rate: number; ratio: number }[] = [];
  for (const rate of rates) {
    const a = runs.find((r) => r.rate === rate && r.mode === "none")?.load;
    const b = runs.find((r) => r.rate === rate && r.mode === "two-targets")?.load;
    if (a && b) out.push({ rate, ratio: b.p99_ms / a.p99_ms });
  }
  return out;
}

function verdicts(runs: Run[], rates: number[]): string[] {
  const met = (ok: boolean) => (ok ? "**met**" : "**missed**");
  const out: string[] = [];
  const at2k = runs.find((r) => r.rate === 2000 && r.mode === "two-targets");
  if (at2k) {
    const j = judge(at2k);
    out.push(
      `- At 2,000 callbacks/s with two targets, lag under one second of events (2,000) throughout the load: max ${n0(j.maxLag)} events (${f1(j.maxLag / 2000)} s): ${met(j.maxLag < 2000)}.`,
    );
  } else out.push("- At 2,000 callbacks/s, lag under one second of events: not tested (2000 is not in RATES).");
  const rs = ratios(runs, rates);
  const txt = rs.map((x) => `${n0(x.rate)}/s ${x.ratio.toFixed(2)}x ${x.ratio <= 1.5 ? "met" : "missed"}`).join(", ");
  const all = rs.length > 0 && rs.every((x) => x.ratio <= 1.5);
  out.push(`- Ingest p99 with two targets ≤ 1.5x p99 without, at the same rate: ${txt}: ${met(all)}.`);
  const ok = rates.filter((rate) => {
    const r = runs.find((x) => x.rate === rate && x.mode === "two-targets");
    return r && !r.problems.length && judge(r).bounded;
  });
  const best = ok.length ? `${n0(Math.max(...ok))} callbacks/s` : "none of the rates tested";
  out.push(`- Highest rate tested at which the lag stayed bounded (two targets): **${best}**.`);
  return out;
}

export function report(runs: Run[], m: Meta): string {
  const rates = [...new Set(runs.map((r) => r.rate))];
  const rs = ratios(runs, rates);
  return [
    "```",
    m.cmd,
    "```",
    "",
    `${m.env}. Load: scripts/soak/load.ts, open model, ${m.connections} connections, ${m.duration} s per run; fsync durability; one roomhook at a time, fresh data dir each run; lag sampled every 1 s during the load, every 0.25 s after it (DRAIN_MAX ${m.drainMax} s).`,
    "",
    "| rate/s | mode | achieved/s | ingest p50 / p99 ms | max lag (events, s of traffic) | lag at end of load (max; per target) | lag growth over last third | drain | deliveries/s during load (per target) | lowest rate cap (s capped) | bounded | checks |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...runs.map(row),
    "",
    `p99(two targets) / p99(no target): ${rs.map((x) => `${n0(x.rate)}/s **${x.ratio.toFixed(2)}x**`).join(", ")}`,
    "",
    "Issue 12 targets:",
    ...verdicts(runs, rates),
    "",
    `Bounded: lag at the end of the load < max(1,000 events, 1 s of traffic) and its growth over the last third of the load (least-squares slope × the third's length) < 25% of that bound. Lag is the larger of the two targets' (journal head − cursor, from GET /v1/targets); seconds of traffic = events / rate. Max generator stall (load.ts gen_stall_ms): ${runs.map((r) => `${n0(r.rate)} ${r.mode} ${n0(r.load?.gen_stall_ms ?? 0)} ms`).join(", ")}.`,
  ].join("\n");
}
