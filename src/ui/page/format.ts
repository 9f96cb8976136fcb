// How numbers, sizes, times and durations read on the dashboard.

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  if (n < 1) return `${(n * 1000).toFixed(0)} µs`;
  if (n < 1000) return `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`;
  return `${(n / 1000).toFixed(1)} s`;
}

export function duration(msTotal: number | null | undefined): string {
  if (msTotal === null || msTotal === undefined) return "–";
  const s = Math.round(msTotal / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** An ISO string or epoch ms as local date and time; "–" when unknown. */
export function time(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === "") return "–";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

export function int(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : n.toLocaleString("en-US");
}
