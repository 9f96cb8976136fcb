// Ingest: callbacks per second and answers by HTTP status over the last 15 minutes, latency, the
// journal and the disk, and the refusals with their reasons (GET /v1/stats).
import type { StatsResponse } from "../../../stats/schema.ts";
import { poll } from "../api.ts";
import { lineChart, type Series } from "../chart.ts";
import { h, replace, row, table } from "../dom.ts";
import * as f from "../format.ts";
import type { View } from "../view.ts";

function recentRate(requests: readonly number[], seconds: number): number {
  // The newest second is still filling: average the `seconds` before it.
  const done = requests.slice(-seconds - 1, -1);
  return done.reduce((a, b) => a + b, 0) / Math.max(1, done.length);
}

function cards(s: StatsResponse): HTMLElement {
  const i = s.ingest;
  const total = i.requests.reduce((a, b) => a + b, 0);
  const card = (label: string, value: string, note = "") =>
    h("div", { class: "card" }, h("dt", {}, label), h("dd", {}, value, note ? h("small", {}, note) : null));
  return h(
    "dl",
    { class: "cards" },
    card("Callbacks/s", recentRate(i.requests, 10).toFixed(1), "last 10 s"),
    card("Callbacks", f.int(total), "last 15 min"),
    card("Latency p50 / p99", `${f.ms(i.last60s.p50Ms)} / ${f.ms(i.last60s.p99Ms)}`, "last minute"),
    card("Latency p50 / p99", `${f.ms(i.window.p50Ms)} / ${f.ms(i.window.p99Ms)}`, "last 15 min"),
    card(
      "Journal",
      f.bytes(s.journal.bytes),
      `${f.int(s.journal.segments)} segments, head seq ${f.int(s.journal.headSeq)}`,
    ),
    card("Quarantine", f.bytes(s.quarantine.bytes), `${f.int(s.quarantine.headSeq)} callbacks`),
    card(
      "Disk free",
      s.disk ? f.bytes(s.disk.freeBytes) : "unknown",
      s.disk ? `of ${f.bytes(s.disk.totalBytes)} (data_dir)` : "",
    ),
  );
}

function charts(s: StatsResponse): HTMLElement[] {
  const i = s.ingest;
  const byStatus: Series[] = Object.entries(i.byStatus)
    .filter(([, v]) => v.some((x) => x > 0))
    .map(([code, values]) => ({ name: code === "other" ? "other" : `HTTP ${code}`, cls: `c-${code}`, values }));
  const rate = lineChart(
    "Callbacks per second, by answer",
    [{ name: "all", cls: "c-total", values: i.requests }, ...byStatus],
    (v) => v.toFixed(v < 10 ? 1 : 0),
  );
  const latency = lineChart(
    "Answer latency per second",
    [
      { name: "p50", cls: "c-p50", values: i.p50Ms },
      { name: "p99", cls: "c-p99", values: i.p99Ms },
    ],
    (v) => f.ms(v),
  );
  return [rate, latency];
}

function refusals(s: StatsResponse): HTMLElement {
  const t = table("Refusals in the last 15 minutes", ["Code", "HTTP", "Reason", "Count", "Last seen"]);
  for (const r of s.ingest.refusals)
    t.body.append(row(String(r.code), String(r.status), r.reason, f.int(r.count), f.time(r.lastAt)));
  if (s.ingest.refusals.length === 0) t.body.append(h("tr", {}, h("td", { colspan: 5 }, "None.")));
  return t.wrap;
}

export const ingestView: View = (root, ctx) => {
  const body = h("div", { class: "stack" }, h("p", {}, "Loading…"));
  root.append(h("h1", {}, "Ingest"), body);
  return poll(
    async () => {
      const s = await ctx.api.get<StatsResponse>("/v1/stats");
      replace(body, cards(s), h("div", { class: "charts" }, ...charts(s)), refusals(s));
      ctx.ok();
    },
    2000,
    ctx.report,
  );
};
