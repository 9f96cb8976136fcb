// The room state's series on /metrics, read at scrape time from the projection's shared figures.
import type { Registry } from "../metrics/registry.ts";
import type { RoomsBackend } from "./backend.ts";

export function roomsMetrics(r: Registry, stats: () => ReturnType<RoomsBackend["stats"]>, now = Date.now): void {
  const p = "roomhook_rooms_";
  const active = r.gauge(`${p}active`, "Rooms whose latest lifecycle event is not a destroy.");
  const members = r.gauge(`${p}members`, "Members present in active rooms, by roomhook's own count.");
  const mismatch = r.gauge(
    `${p}member_count_mismatch`,
    "Active rooms whose MemberCount from Tencent differs from roomhook's own count (lost callbacks?).",
  );
  const lag = r.gauge(`${p}projection_lag_events`, "Journal head seq minus the seq the room state has applied.");
  const applied = r.gauge(`${p}applied_seq`, "The last journal seq the room state has applied.");
  const age = r.gauge(
    `${p}snapshot_age_seconds`,
    "Seconds since the room-state snapshot was written (-1 before the first one).",
  );
  const gaps = r.gauge(
    `${p}journal_gap_events`,
    "Journal lines the projection never saw (removed before it read them).",
  );
  r.onCollect(() => {
    const s = stats();
    active.set(s.activeRooms);
    members.set(s.members);
    mismatch.set(s.countMismatches);
    lag.set(Math.max(0, s.headSeq - s.appliedSeq));
    applied.set(s.appliedSeq);
    age.set(s.snapshotSavedAt === null ? -1 : Math.max(0, (now() - s.snapshotSavedAt) / 1000));
    gaps.set(s.gaps);
  });
}
