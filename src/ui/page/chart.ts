// A line chart in SVG, one point per second. The drawing stretches to its box (the axis text is HTML
// around it, so it never distorts); a null value is a gap in its line.
import { h, svg } from "./dom.ts";

export interface Series {
  name: string;
  /** The CSS class that colours the line and its legend entry. */
  cls: string;
  values: readonly (number | null)[];
}

const HEIGHT = 100;

function path(values: readonly (number | null)[], max: number): string {
  let d = "";
  let pen = false;
  values.forEach((v, x) => {
    if (v === null) {
      pen = false;
      return;
    }
    const y = HEIGHT - (v / max) * HEIGHT;
    d += `${pen ? "L" : "M"}${x} ${y.toFixed(2)}`;
    pen = true;
  });
  return d;
}

export function lineChart(title: string, series: readonly Series[], format: (v: number) => string): HTMLElement {
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  const drawing = svg(
    "svg",
    { viewBox: `0 0 ${n - 1} ${HEIGHT}`, preserveAspectRatio: "none", class: "plot", "aria-hidden": "true" },
    svg("line", { x1: 0, y1: HEIGHT, x2: n - 1, y2: HEIGHT, class: "axis" }),
    ...series.map((s) => svg("path", { d: path(s.values, max), class: `line ${s.cls}` })),
  );
  const last = (s: Series) => {
    for (let i = s.values.length - 1; i >= 0; i--) if (s.values[i] !== null) return s.values[i]!;
    return null;
  };
  const summary = series.map((s) => `${s.name}: ${last(s) === null ? "none" : format(last(s)!)}`).join(", ");
  return h(
    "figure",
    { class: "chart", role: "img", "aria-label": `${title}; latest ${summary}` },
    h("figcaption", {}, title),
    h("div", { class: "ymax" }, format(max)),
    drawing,
    h("div", { class: "xaxis" }, h("span", {}, `${Math.round(n / 60)} min ago`), h("span", {}, "now")),
    h(
      "ul",
      { class: "legend" },
      ...series.map((s) =>
        h("li", { class: s.cls }, `${s.name} `, h("b", {}, last(s) === null ? "–" : format(last(s)!))),
      ),
    ),
  );
}
