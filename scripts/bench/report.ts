// Turns the per-run TSV written by scripts/bench/ingest into the markdown report.
//
//   bun scripts/bench/report.ts results.tsv
//
// Env (all optional, set by scripts/bench/ingest): BENCH_CMD, BENCH_SETTINGS, BENCH_WRK, BENCH_ENV,
// BENCH_FAILS (newline-separated problems found during the run).
// Exit status: 0 every evaluable target met; 3 at least one target missed; 1 bad input.

export {}; // a module, so top-level await is allowed

type Row = Record<string, string>;

const TARGETS = ["constant", "floor", "fsync", "norooms", "write"] as const;
const GOALS = {
  fsyncVsConstant: 0.4, // fsync req/s / constant req/s >= 0.4
  fsyncP99Ms: 10, // fsync p99 < 10 ms
  fsyncVsWrite: 0.8, // fsync req/s / write req/s >= 0.8
  roomsOnVsOff: 0.95, // fsync (rooms on) req/s / norooms req/s >= 0.95
};

const file = process.argv[2];
if (!file) {
  console.error("usage: report.ts results.tsv");
  process.exit(1);
}
const lines = (await Bun.file(file).text()).split("\n").filter((l) => l.length > 0);
const header = lines[0]!.split("\t");
const rows: Row[] = lines.slice(1).map((l) => {
  const cells = l.split("\t");
  return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""]));
});

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === "" || s === "-") return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};
const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
};
const vals = (rs: Row[], k: string) => rs.map((r) => num(r[k])).filter((x): x is number => x !== undefined);
const fmt = (x: number | undefined, digits = 2) =>
  x === undefined ? "–" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fmtInt = (x: number | undefined) => (x === undefined ? "–" : Math.round(x).toLocaleString("en-US"));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const label: Record<string, string> = {
  constant: "constant (Bun.serve, ack only)",
  floor: "floor (read, parse, group-commit fdatasync, ack)",
  fsync: 'roomhook durability="fsync"',
  write: 'roomhook durability="write"',
  norooms: 'roomhook durability="fsync", [rooms] enabled = false',
};

const out: string[] = [];
const present = TARGETS.filter((t) => rows.some((r) => r.target === t));
const rounds = [...new Set(rows.map((r) => r.round))];

out.push(`## roomhook ingest benchmark`);
out.push("");
out.push(
  `Medians over ${rounds.length} interleaved round(s). POST ${"`"}Room.CallbackAfterMemberEnter${"`"}, every body unique; ` +
    `loopback only.`,
);
out.push("");
out.push(
  "| target | req/s | p50 ms | p99 ms | server CPU (cores) | event loop busy % | RSS at end (MB) | rounds OK | non-2xx / socket errors | journal lines (acked ≤ lines ≤ sent) |",
);
out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
const med: Record<string, { rps?: number; p50?: number; p99?: number }> = {};
for (const t of present) {
  const rs = rows.filter((r) => r.target === t);
  const m = { rps: median(vals(rs, "rps")), p50: median(vals(rs, "p50_ms")), p99: median(vals(rs, "p99_ms")) };
  med[t] = m;
  const rss = median(vals(rs, "rss_kb"));
  const ok = rs.filter((r) => r.status === "OK").length;
  const errs = `${sum(vals(rs, "non2xx"))} / ${sum(vals(rs, "sock_err"))}`;
  let journal = "n/a";
  if (t !== "constant") {
    const parts = rs.map((r) => {
      const j = num(r.journal_lines);
      const a = num(r.acked);
      const sent = num(r.sent);
      if (j === undefined || a === undefined) return "?";
      if (j < a) return `**${j} < ${a} acked**`;
      if (sent !== undefined && j > sent) return `**${j} > ${sent} sent**`;
      return sent === undefined ? `${j} ≥ ${a}` : `${j} (acked ${a}, sent ${sent})`;
    });
    journal = parts.join("; ");
  }
  out.push(
    `| ${label[t]} | ${fmtInt(m.rps)} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(median(vals(rs, "cpu_cores")))} | ${fmt(median(vals(rs, "loop_busy_pct")), 0)} | ` +
      `${fmt(rss === undefined ? undefined : rss / 1024, 1)} | ${ok}/${rs.length} | ${errs} | ${journal} |`,
  );
}
out.push("");

// Ratios: the median of per-round ratios (both sides measured minutes apart in the same round).
const perRound = (a: string, b: string) => {
  const rs: number[] = [];
  for (const r of rounds) {
    const x = num(rows.find((w) => w.round === r && w.target === a)?.rps);
    const y = num(rows.find((w) => w.round === r && w.target === b)?.rps);
    if (x !== undefined && y !== undefined && y > 0) rs.push(x / y);
  }
  return rs;
};
let missed = 0;
const verdict = (ok: boolean | undefined) => {
  if (ok === undefined) return "n/a";
  if (!ok) missed++;
  return ok ? "met" : "**MISSED**";
};
const checks: string[] = [];
if (present.includes("fsync") && present.includes("constant")) {
  const rs = perRound("fsync", "constant");
  const v = median(rs);
  checks.push(
    `| fsync / constant req/s | ${fmt(v)} | ${rs.map((x) => fmt(x)).join(", ") || "–"} | ≥ ${GOALS.fsyncVsConstant} | ${verdict(v === undefined ? undefined : v >= GOALS.fsyncVsConstant)} |`,
  );
}
if (present.includes("fsync") && present.includes("write")) {
  const rs = perRound("fsync", "write");
  const v = median(rs);
  checks.push(
    `| fsync / write req/s | ${fmt(v)} | ${rs.map((x) => fmt(x)).join(", ") || "–"} | ≥ ${GOALS.fsyncVsWrite} | ${verdict(v === undefined ? undefined : v >= GOALS.fsyncVsWrite)} |`,
  );
}
if (present.includes("fsync") && present.includes("norooms")) {
  const rs = perRound("fsync", "norooms");
  const v = median(rs);
  checks.push(
    `| fsync / norooms req/s (room state on / off) | ${fmt(v)} | ${rs.map((x) => fmt(x)).join(", ") || "–"} | ≥ ${GOALS.roomsOnVsOff} | ${verdict(v === undefined ? undefined : v >= GOALS.roomsOnVsOff)} |`,
  );
}
if (present.includes("floor") && present.includes("constant")) {
  const rs = perRound("floor", "constant");
  checks.push(
    `| floor / constant req/s | ${fmt(median(rs))} | ${rs.map((x) => fmt(x)).join(", ") || "–"} | (info: what Bun allows) | |`,
  );
}
if (present.includes("fsync") && present.includes("floor")) {
  const rs = perRound("fsync", "floor");
  checks.push(
    `| fsync / floor req/s | ${fmt(median(rs))} | ${rs.map((x) => fmt(x)).join(", ") || "–"} | (info: roomhook's own share) | |`,
  );
}
if (present.includes("write") && present.includes("constant")) {
  const rs = perRound("write", "constant");
  checks.push(
    `| write / constant req/s | ${fmt(median(rs))} | ${rs.map((x) => fmt(x)).join(", ") || "–"} | (info) | |`,
  );
}
if (present.includes("fsync")) {
  const p99s = vals(
    rows.filter((r) => r.target === "fsync"),
    "p99_ms",
  );
  const v = median(p99s);
  checks.push(
    `| fsync p99 latency (ms) | ${fmt(v)} | ${p99s.map((x) => fmt(x)).join(", ") || "–"} | < ${GOALS.fsyncP99Ms} ms | ${verdict(v === undefined ? undefined : v < GOALS.fsyncP99Ms)} |`,
  );
}
if (checks.length > 0) {
  out.push("| check | value | per round | target | verdict |");
  out.push("|---|---:|---|---|---|");
  out.push(...checks);
  out.push("");
}

out.push("<details><summary>per-round results</summary>");
out.push("");
out.push(
  "| round | target | req/s | p50 ms | p99 ms | requests | acked (2xx, incl. warm-up) | sent | server CPU | event loop busy % | event loop waiting for a CPU % | machine busy % | steal % | RSS kB | peak RSS kB | journal | quarantine | exit | status | note |",
);
out.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
for (const r of rows) {
  out.push(
    `| ${r.round} | ${r.target} | ${fmtInt(num(r.rps))} | ${r.p50_ms} | ${r.p99_ms} | ${r.requests} | ${r.acked} | ${r.sent} | ${r.cpu_cores} | ${r.loop_busy_pct} | ${r.loop_runq_pct} | ${r.busy_pct} | ${r.steal_pct} | ` +
      `${r.rss_kb} | ${r.hwm_kb} | ${r.journal_lines} | ${r.quarantine_lines} | ${r.stop_rc} | ${r.status} | ${r.note} |`,
  );
}
out.push("");
out.push("</details>");
out.push("");

const fails = (process.env.BENCH_FAILS ?? "").split("\n").filter((l) => l.trim() !== "");
if (fails.length > 0) {
  out.push(`**INVALID RUN: ${fails.length} problem(s); the numbers above do not measure durable ingest as intended.**`);
  out.push("");
  for (const f of fails) out.push(`- ${f}`);
  out.push("");
}

const warns = (process.env.BENCH_WARNS ?? "").split("\n").filter((l) => l.trim() !== "");
if (warns.length > 0) {
  out.push(`Warnings:`);
  out.push("");
  for (const w of warns) out.push(`- ${w}`);
  out.push("");
}

out.push(`Command: ${"`"}${process.env.BENCH_CMD ?? "?"}${"`"}  `);
if (process.env.BENCH_SETTINGS) out.push(`Settings: ${"`"}${process.env.BENCH_SETTINGS}${"`"}  `);
if (process.env.BENCH_WRK) out.push(`Load: ${"`"}${process.env.BENCH_WRK}${"`"}  `);
if (process.env.BENCH_ENV) out.push(`Environment: ${process.env.BENCH_ENV}`);

console.log(out.join("\n"));
process.exit(missed > 0 ? 3 : 0);
