// The soak's verdict, one line per promise (scripts/soak/soak --help states the limits): rate held,
// memory flat, p99 stable, journal rolled and retention removed segments, fan-out kept up, no
// non-2xx, every ack journaled, verify ok and a clean stop.
import type { Row } from "./sample.ts";
import { DRAIN_MAX, DURATION, SAMPLE, SEGMENT_BYTES } from "./settings.ts";

export const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx ? sxy / sxx : 0;
}
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");

/** The load generator's totals (its "done" line, scripts/soak/load.ts). */
export type Done = Record<string, number> & { statuses?: Record<string, number> };

/** Distinct ids are counted up to this many lines, to keep this process's memory bounded. */
export const ID_CHECK_MAX = 2_000_000;

/** Everything the verdict is made from. */
export interface Facts {
  rate: number;
  rows: Row[];
  loadRows: Row[];
  done: Done;
  loaderRc: number;
  lagAtLoadEnd: number;
  drainedAfter: number;
  afterDrain: string;
  afterDrainOk: boolean;
  last: Row;
  created: number;
  segmentsLeft: number;
  bytesLeft: number;
  removedByLog: number;
  retentionPasses: number;
  eventsRemoved: number;
  linesLeft: number;
  lastSeq: number;
  distinctIds: number;
  quarantineLines: number;
  acked: number;
  sent: number;
  accepted: number;
  otherOutcomes: number;
  journaled: number;
  verifyExit: number;
  verifyLast: string;
  stopRc: number;
  problems: string[];
}

export interface VerdictLine {
  ok: boolean;
  line: string;
}

export function verdict(f: Facts): VerdictLine[] {
  return [
    rateHeld(f),
    memoryFlat(f),
    p99Stable(f),
    journalRolled(f),
    fanoutKeptUp(f),
    noErrors(f),
    everyAckJournaled(f),
    verifiedAndStopped(f),
  ];
}

const thirds = (loadRows: Row[]) => {
  const n = loadRows.length;
  const third = Math.max(1, Math.floor(n / 3));
  return { firstThird: loadRows.slice(0, third), lastThird: loadRows.slice(n - third) };
};

function rateHeld({ rate, loadRows, done }: Facts): VerdictLine {
  const meanRps =
    loadRows.reduce((a, r) => a + r.completed, 0) /
    Math.max(
      1e-9,
      loadRows.reduce((a, r) => a + r.completed / Math.max(1e-9, r.rps), 0),
    );
  const minRps = Math.min(...loadRows.map((r) => r.rps));
  const maxBacklog = Math.max(...loadRows.map((r) => r.backlog));
  return {
    ok: meanRps >= 0.97 * rate && minRps >= 0.85 * rate && maxBacklog <= rate && (done.unsent ?? Infinity) <= rate,
    line: `rate held: target ${rate} req/s, achieved ${f1(meanRps)} mean, ${f1(minRps)} lowest ${SAMPLE} s window; largest send backlog ${maxBacklog} (open model: a stall queues requests; limit 1 s of traffic), ${done.unsent} due but unsent when the load ended`,
  };
}

function memoryFlat({ loadRows, rows }: Facts): VerdictLine {
  const refT = Math.min(120, DURATION / 3);
  const refRow = loadRows.reduce(
    (best, r) => (Math.abs(r.t_s - refT) < Math.abs(best.t_s - refT) ? r : best),
    loadRows[0]!,
  );
  const after = loadRows.filter((r) => r.t_s >= refRow.t_s);
  const endRss = loadRows.at(-1)!.rss_mib;
  const rssSlope = slope(
    after.map((r) => r.t_s / 60),
    after.map((r) => r.rss_mib),
  ); // MiB/min
  const span = (after.at(-1)!.t_s - refRow.t_s) / 60;
  const grow = (endRss - refRow.rss_mib) / refRow.rss_mib;
  const trendGrow = (rssSlope * span) / refRow.rss_mib;
  return {
    ok: Math.abs(grow) <= 0.2 && trendGrow <= 0.1,
    line: `memory flat: RSS ${f1(refRow.rss_mib)} MiB at t=${refRow.t_s.toFixed(0)} s -> ${f1(endRss)} MiB at the end (${grow >= 0 ? "+" : ""}${(grow * 100).toFixed(1)} %, limit 20 %); trend ${f2(rssSlope)} MiB/min (${(trendGrow * 100).toFixed(1)} % over ${span.toFixed(1)} min, limit 10 %); peak ${f1(Math.max(...rows.map((r) => r.rss_mib)))} MiB`,
  };
}

function p99Stable({ loadRows, done }: Facts): VerdictLine {
  const { firstThird, lastThird } = thirds(loadRows);
  const p99First = median(firstThird.map((r) => r.p99_ms));
  const p99Last = median(lastThird.map((r) => r.p99_ms));
  const maxStall = Math.max(...loadRows.map((r) => (Number.isFinite(r.gen_stall_ms) ? r.gen_stall_ms : 0)));
  return {
    ok: p99Last <= 2 * p99First,
    line: `p99 stable: median of window p99s ${f2(p99First)} ms (first third) -> ${f2(p99Last)} ms (last third), ratio ${f2(p99Last / p99First)} (limit 2); whole run p50 ${done.p50_ms} ms, p99 ${done.p99_ms} ms, p99.9 ${done.p999_ms} ms, max ${done.max_ms} ms (from the intended send time); service p99 ${done.svc_p99_ms} ms; fsync mean ${f2(median(loadRows.map((r) => r.fsync_mean_ms)))} ms x ${f1(median(loadRows.map((r) => r.batch_mean)))} events (medians); load generator's longest stall ${f1(maxStall)} ms`,
  };
}

function journalRolled(f: Facts): VerdictLine {
  const { created, segmentsLeft, removedByLog, retentionPasses, eventsRemoved, rows } = f;
  const rolls = created - 1;
  const removedSeen = created - segmentsLeft;
  return {
    ok: rolls >= 1 && removedByLog >= 1 && removedByLog === removedSeen && f.afterDrainOk,
    line: `journal rolled ${rolls} times (${created} segments of ${(SEGMENT_BYTES / 1048576).toFixed(1)} MiB), retention removed ${removedByLog} segments in ${retentionPasses} passes (${Number.isFinite(eventsRemoved) ? eventsRemoved : "-"} events; ${removedSeen} gone from the directory); ${segmentsLeft} segments, ${f1(f.bytesLeft / 1048576)} MiB left at the end; peak ${Math.max(...rows.map((r) => r.segments))} segments, ${f1(Math.max(...rows.map((r) => r.journal_mib)))} MiB${f.afterDrain}`,
  };
}

function fanoutKeptUp({ rate, loadRows, lagAtLoadEnd, drainedAfter, last }: Facts): VerdictLine {
  const { firstThird, lastThird } = thirds(loadRows);
  const lagFirst = median(firstThird.map((r) => r.lag));
  const lagLast = median(lastThird.map((r) => r.lag));
  const lagSlope = slope(
    lastThird.map((r) => r.t_s),
    lastThird.map((r) => r.lag),
  ); // events/s
  const lagOk =
    lagAtLoadEnd <= Math.max(1000, 2 * rate) && lagLast <= Math.max(1000, 2 * lagFirst) && lagSlope <= 0.02 * rate;
  return {
    ok: lagOk && last.lag === 0 && last.dead_letters === 0 && last.delivered === last.head_seq,
    line:
      `fan-out kept up: lag ${lagAtLoadEnd} events at the end of the load (${f2(lagAtLoadEnd / rate)} s of traffic; limit max(1000, 2 s)), median ${f1(lagFirst)} -> ${f1(lagLast)} (first -> last third), trend ${f1(lagSlope)} events/s over the last third; ` +
      `${Number.isFinite(drainedAfter) ? `drained to 0 ${drainedAfter.toFixed(1)} s after the load` : `NOT drained after ${DRAIN_MAX} s (lag ${last.lag})`}; deliveries during the load ${f1(median(loadRows.slice(1).map((r) => r.delivered_rps)))}/s (median) vs ${rate} ingested/s; ${last.delivered} delivered in all (head seq ${last.head_seq}), ${last.failed_attempts} failed attempts, ${last.dead_letters} dead letters, state ${last.target_state}`,
  };
}

function noErrors({ done, sent, otherOutcomes, loaderRc }: Facts): VerdictLine {
  const errs = (done.non2xx ?? NaN) + (done.read_err ?? 0) + (done.connect_err ?? 0) + (done.timeouts ?? 0);
  return {
    ok: errs === 0 && otherOutcomes === 0 && loaderRc === 0,
    line: `no non-2xx: ${done.non2xx} non-2xx, ${done.read_err} read errors, ${done.connect_err} connect errors, ${done.timeouts} timeouts (no answer 5 s after sending), of ${sent} sent; statuses ${JSON.stringify(done.statuses ?? {})}; roomhook outcomes other than accepted: ${otherOutcomes}`,
  };
}

function everyAckJournaled(f: Facts): VerdictLine {
  const { acked, accepted, sent, lastSeq, journaled, linesLeft, eventsRemoved, distinctIds, quarantineLines } = f;
  const accountOk =
    acked <= accepted &&
    accepted <= sent &&
    accepted === lastSeq &&
    journaled === lastSeq &&
    linesLeft === lastSeq - eventsRemoved &&
    distinctIds === Math.min(linesLeft, ID_CHECK_MAX) &&
    quarantineLines === 0;
  return {
    ok: accountOk,
    line: `every ack journaled: acked ${acked} <= head seq ${lastSeq} <= sent ${sent}; metrics: ${accepted} accepted (answered 200), ${journaled} journaled; on disk ${linesLeft} lines (= head ${lastSeq} - ${eventsRemoved} removed by retention: ${linesLeft === lastSeq - eventsRemoved ? "no gap" : "MISMATCH"}), ${distinctIds} distinct ids${linesLeft > ID_CHECK_MAX ? ` in the first ${ID_CHECK_MAX}` : ""}; quarantine ${quarantineLines}`,
  };
}

function verifiedAndStopped({ verifyExit, verifyLast, stopRc, problems }: Facts): VerdictLine {
  return {
    ok: verifyExit === 0 && stopRc === 0,
    line: `roomhook verify: exit ${verifyExit} (${verifyLast}); exit ${stopRc} after SIGTERM; ${problems.length} warn/error log lines`,
  };
}
