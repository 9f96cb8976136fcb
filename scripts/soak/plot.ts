// The soak's plot: a gnuplot script over soak.csv (four panels: throughput, latency, memory,
// journal and fan-out), rendered to a PNG by scripts/soak/soak.ts.
import { COLS, type Row } from "./sample.ts";
import { SAMPLE } from "./settings.ts";

export function gnuplot(csv: string, png: string, rate: number, duration: number, xmax: number, title: string): string {
  // columns (1-based) of COLS
  const c = (k: keyof Row) => COLS.indexOf(k) + 1;
  return `set terminal pngcairo size 1200,1500 font "sans,10"
set output "${png}"
set datafile separator ","
set datafile missing ""
set key autotitle columnhead
set key outside top center horizontal samplen 3 spacing 1 font "sans,9"
set grid
set multiplot layout 4,1 title "${title}" font "sans,12"
set lmargin 12
set rmargin 12
set xrange [0:${xmax}]
set arrow 1 from ${duration}, graph 0 to ${duration}, graph 1 nohead dt 2 lc rgb "#888888"
set label 1 "load ends" at ${duration}, graph 0.95 offset 0.5,0 tc rgb "#888888"

set key title "throughput (${SAMPLE} s windows)" font "sans,11"
set ylabel "per second"
set yrange [0:*]
plot "${csv}" using 1:(strcol(2) eq "load" ? $${c("rps")} : 1/0) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#1f77b4" title "acknowledged req/s", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("target_rps")} : 1/0) with lines dt 3 lw 1.5 lc rgb "#1f77b4" title "target ${rate}/s", \\
     "${csv}" using 1:${c("delivered_rps")} with lines lw 1.5 lc rgb "#2ca02c" title "deliveries/s to the target"

set key title "latency from the intended send time (per ${SAMPLE} s window)" font "sans,11"
set ylabel "ms"
set logscale y
set yrange [*:*]
plot "${csv}" using 1:(strcol(2) eq "load" ? $${c("p99_ms")} : 1/0) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#d62728" title "p99", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("p50_ms")} : 1/0) with linespoints pt 7 ps 0.4 lw 1.5 lc rgb "#ff7f0e" title "p50", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("max_ms")} : 1/0) with lines lw 1 dt 2 lc rgb "#999999" title "max", \\
     "${csv}" using 1:(strcol(2) eq "load" ? $${c("fsync_mean_ms")} : 1/0) with lines lw 1 lc rgb "#2ca02c" title "journal write+fdatasync, mean"
unset logscale y

set key title "roomhook memory" font "sans,11"
set ylabel "MiB"
set yrange [0:*]
plot "${csv}" using 1:${c("rss_mib")} with linespoints pt 7 ps 0.4 lw 2 lc rgb "#9467bd" title "RSS (/proc)", \\
     "${csv}" using 1:${c("heap_used_mib")} with lines lw 1.5 lc rgb "#8c564b" title "JS heap used"

set key title "journal and fan-out" font "sans,11"
set ylabel "segments"
set y2label "lag (events)"
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
set xlabel "seconds since the load started"
plot "${csv}" using 1:${c("segments")} with steps lw 2.5 lc rgb "#17becf" title "segments on disk", \\
     "${csv}" using 1:${c("segments_created")} with steps lw 1.5 dt 2 lc rgb "#1f77b4" title "created (cumulative: rolls + 1)", \\
     "${csv}" using 1:${c("segments_removed")} with steps lw 1.5 lc rgb "#7f7f7f" title "removed by retention (cumulative)", \\
     "${csv}" using 1:${c("lag")} axes x1y2 with lines lw 2 lc rgb "#e377c2" title "target lag, events (right axis)"
unset multiplot
`;
}
