// Attendance as a timeline: one row per user, a bar per session from entering to leaving (an open
// session runs to now). Each bar's title says who, when and why they left.
import type { Attendance } from "../../rooms-api.ts";
import { svg } from "../dom.ts";
import * as f from "../format.ts";

const WIDTH = 1000;
const LABEL = 180;
const ROW = 26;

export function timeline(a: Attendance, now: number): SVGElement {
  const sessions = a.sessions;
  const users = [...new Set(sessions.map((s) => s.userId))];
  const start = Math.min(...sessions.map((s) => s.enteredAt), now);
  const end = Math.max(...sessions.map((s) => s.leftAt ?? now), start + 1);
  const x = (t: number) => LABEL + ((t - start) / (end - start)) * (WIDTH - LABEL - 10);
  const height = users.length * ROW + 30;
  const label = `Attendance from ${f.time(start)} to ${f.time(end)}: ${users.length} users, ${sessions.length} sessions`;
  return svg(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${height}`, class: "timeline", role: "img", "aria-label": label },
    ...users.map((u, i) =>
      svg("text", { x: 4, y: i * ROW + 18, class: "who" }, u.length > 22 ? `${u.slice(0, 21)}…` : u),
    ),
    ...sessions.map((s) => {
      const y = users.indexOf(s.userId) * ROW + 5;
      const x0 = x(s.enteredAt);
      const w = Math.max(2, x(s.leftAt ?? now) - x0);
      const why = s.leftAt === null ? "still there" : `left ${f.time(s.leftAt)} (${s.leaveType ?? "unknown"})`;
      return svg(
        "rect",
        { x: x0, y, width: w, height: ROW - 8, rx: 3, class: s.leftAt === null ? "open" : "closed" },
        svg("title", {}, `${s.userId}: entered ${f.time(s.enteredAt)}, ${why}, ${f.duration(s.durationMs)}`),
      );
    }),
    svg("text", { x: LABEL, y: height - 6, class: "tick" }, f.time(start)),
    svg("text", { x: WIDTH - 10, y: height - 6, class: "tick end" }, f.time(end)),
  );
}
