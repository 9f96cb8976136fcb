// Attendance as CSV (RFC 4180): one line per session, after a header line; times in ms since the
// epoch (EventTime) and as ISO 8601 for spreadsheets.
import type { Attendance } from "./schema.ts";

export const CSV_HEADER = "sdkAppId,roomId,userId,enteredAt,enteredAtIso,leftAt,leftAtIso,leaveType,reason,durationMs";

/** A field quoted when it holds a comma, a quote or a line break; a leading =+-@ is defused. */
export function csvField(v: string | number | null): string {
  if (v === null) return "";
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function attendanceCsv(a: Attendance): string {
  const rows = [CSV_HEADER];
  for (const s of a.sessions) {
    rows.push(
      [
        a.sdkAppId,
        a.roomId,
        s.userId,
        s.enteredAt,
        iso(s.enteredAt),
        s.leftAt,
        iso(s.leftAt),
        s.leaveType,
        s.reason,
        s.durationMs,
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${rows.join("\r\n")}\r\n`;
}
