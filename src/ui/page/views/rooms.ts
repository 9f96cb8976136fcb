// Rooms (SPEC §8): the active rooms with their member counts; a room's members, seats and
// attendance as a timeline, with the attendance as CSV.
import type { Attendance, RoomDetail, RoomList, RoomSummary } from "../../rooms-api.ts";
import { type Api, ApiError, poll } from "../api.ts";
import { h, KeyedRows, replace, row, table } from "../dom.ts";
import * as f from "../format.ts";
import type { View, ViewContext } from "../view.ts";
import { timeline } from "./timeline.ts";

const MANY_APPS = "This roomhook has more than one app: enter the SdkAppID whose rooms to show.";
const UNAVAILABLE = "This roomhook does not serve room state (GET /v1/rooms answered 404).";

function roomPath(r: Pick<RoomSummary, "roomId" | "sdkAppId">, rest = ""): string {
  return `/v1/rooms/${encodeURIComponent(r.roomId)}${rest}${rest.includes("?") ? "&" : "?"}sdkAppId=${r.sdkAppId}`;
}

async function downloadCsv(api: Api, r: RoomSummary): Promise<void> {
  const res = await api.request(roomPath(r, "/attendance?format=csv"));
  const url = URL.createObjectURL(new Blob([await res.text()], { type: "text/csv" }));
  const a = h("a", { href: url, download: `attendance-${r.roomId}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function detail(ctx: ViewContext, d: RoomDetail, a: Attendance): (HTMLElement | SVGElement)[] {
  const members = table(`Members (${d.members.length})`, ["User", "Entered"]);
  for (const m of d.members) members.body.append(row(m.userId, f.time(m.enteredAt)));
  const seats = table(`Seats (${d.seats.length})`, ["Seat", "User", "Taking", "Video", "Audio", "Updated"]);
  const lock = (b: boolean) => (b ? "locked" : "open");
  for (const s of d.seats)
    seats.body.append(
      row(
        String(s.index),
        s.userId ?? "(empty)",
        lock(s.isTakenDisabled),
        lock(s.isVideoDisabled),
        lock(s.isAudioDisabled),
        f.time(s.updatedAt),
      ),
    );
  const sessions = table("Sessions", ["User", "Entered", "Left", "How", "Duration"]);
  for (const x of a.sessions)
    sessions.body.append(
      row(
        x.userId,
        f.time(x.enteredAt),
        x.leftAt === null ? "still there" : f.time(x.leftAt),
        x.leaveType ?? "–",
        f.duration(x.durationMs),
      ),
    );
  const totals = table("Time in the room", ["User", "Sessions", "Total"]);
  for (const t of a.totals) totals.body.append(row(t.userId, String(t.sessions), f.duration(t.durationMs)));
  const csv = h(
    "button",
    { type: "button", onclick: () => void downloadCsv(ctx.api, d).catch(ctx.report) },
    "Download CSV",
  );
  return [
    h("h2", {}, `Room ${d.roomId}`),
    h(
      "p",
      {},
      `${d.roomName ?? "(no name)"} · ${d.status} · owner ${d.ownerId ?? "unknown"} · created ${f.time(d.createdAt)}`,
      d.destroyedAt ? ` · destroyed ${f.time(d.destroyedAt)}` : "",
      // Tencent's own MemberCount, when it last sent one that differs from ours: worth a look.
      d.tencentMemberCount !== null && d.tencentMemberCount !== d.memberCount
        ? ` · Tencent counted ${f.int(d.tencentMemberCount)} members`
        : "",
    ),
    members.wrap,
    seats.wrap,
    h("h3", {}, "Attendance"),
    h("p", { class: "hint" }, "Each bar is a session: green while the user is still in the room, blue once they left."),
    a.sessions.length ? timeline(a, Date.now()) : h("p", {}, "No sessions."),
    sessions.wrap,
    totals.wrap,
    csv,
  ];
}

function roomRows(body: HTMLTableSectionElement, open: (r: RoomSummary) => void) {
  return new KeyedRows<RoomSummary>(
    body,
    (r) =>
      row(h("button", { type: "button", class: "link", onclick: () => open(r) }, r.roomId), "", "", "", "", "", ""),
    (tr, r) => {
      const v = [
        r.roomName ?? "–",
        r.ownerId ?? "–",
        f.int(r.memberCount),
        f.int(r.seatedCount),
        r.status,
        f.time(r.updatedAt),
      ];
      v.forEach((text, i) => {
        const cell = tr.cells[i + 1]!;
        if (cell.textContent !== text) cell.textContent = text;
      });
    },
  );
}

export const roomsView: View = (root, ctx) => {
  const status = h(
    "select",
    { id: "room-status" },
    ...["active", "destroyed", "all"].map((s) => h("option", { value: s }, s)),
  );
  // SPEC §8: the list needs sdkAppId when the receiver has more than one app (empty: the one app).
  const app = h("input", {
    id: "room-app",
    inputmode: "numeric",
    placeholder: "only app",
    autocomplete: "off",
    size: 12,
  });
  const list = table("Rooms", ["Room", "Name", "Owner", "Members", "Seated", "Status", "Updated"]);
  const note = h("p", {});
  const panel = h("section", { class: "room", "aria-live": "polite" });
  let opened: RoomSummary | null = null;
  const showRoom = async () => {
    if (!opened) return;
    const [d, a] = await Promise.all([
      ctx.api.get<RoomDetail>(roomPath(opened)),
      ctx.api.get<Attendance>(roomPath(opened, "/attendance")),
    ]);
    replace(panel, ...detail(ctx, d, a));
  };
  const rows = roomRows(list.body, (r) => {
    opened = r;
    void showRoom().catch(ctx.report);
  });
  root.append(
    h("h1", {}, "Rooms"),
    h(
      "form",
      { class: "filters", onsubmit: (e: Event) => e.preventDefault() },
      h("label", { for: "room-status" }, "Status"),
      status,
      h("label", { for: "room-app" }, "SdkAppID"),
      app,
    ),
    list.wrap,
    note,
    panel,
  );
  const tick = async () => {
    let l: RoomList;
    const appId = app.value.trim();
    try {
      l = await ctx.api.get<RoomList>(
        `/v1/rooms?status=${status.value}&limit=100${appId ? `&sdkAppId=${encodeURIComponent(appId)}` : ""}`,
      );
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        note.textContent = UNAVAILABLE;
        return;
      }
      if (e instanceof ApiError && e.status === 400) {
        // More than one app configured and none entered, or not a valid id: say so, not an error.
        rows.set([], (r) => `${r.sdkAppId}/${r.roomId}`);
        note.textContent = appId ? `SdkAppID: ${e.message}` : MANY_APPS;
        ctx.ok();
        return;
      }
      throw e;
    }
    rows.set(l.rooms, (r) => `${r.sdkAppId}/${r.roomId}`);
    note.textContent = l.rooms.length ? (l.next ? "Showing the first 100 rooms." : "") : `No ${status.value} rooms.`;
    await showRoom();
    ctx.ok();
  };
  status.addEventListener("change", () => void tick().catch(ctx.report));
  app.addEventListener("change", () => void tick().catch(ctx.report));
  return poll(tick, 5000, ctx.report);
};
