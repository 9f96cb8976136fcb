// Events: a live tail of the journal (polls /v1/events from the next seq, newest on top) with filters
// by type and room, and the quarantine with the reason each callback was refused.
import { poll } from "../api.ts";
import { h, replace, table } from "../dom.ts";
import * as f from "../format.ts";
import type { View, ViewContext } from "../view.ts";

const SHOWN = 200;
const BACKLOG = 50;

interface Envelope {
  seq: number;
  type: string;
  roomId: string | null;
  receivedAt: string;
  reason?: string;
}

/** A row: the envelope's fields, and the stored line itself (every digit of the body) on demand. */
function eventRow(line: string, withReason: boolean): HTMLTableRowElement {
  const e = JSON.parse(line) as Envelope;
  const cells = [String(e.seq), f.time(e.receivedAt), e.type, e.roomId ?? "–"];
  if (withReason) cells.push(e.reason ?? "–");
  return h(
    "tr",
    { "data-seq": e.seq },
    ...cells.map((c) => h("td", {}, c)),
    h("td", {}, h("details", {}, h("summary", {}, "Line"), h("pre", {}, line))),
  );
}

function query(type: string, room: string): string {
  const q = new URLSearchParams();
  if (type) q.set("type", type);
  if (room) q.set("room_id", room);
  const s = q.toString();
  return s ? `&${s}` : "";
}

/**
 * The last BACKLOG matching lines before the head, then whatever arrives: one bounded read a tick.
 * Under a heavy load the tail skips ahead instead of reading everything (the admin API shares the
 * process with the ingest, and nobody reads thousands of lines a second).
 */
function tail(ctx: ViewContext, body: HTMLTableSectionElement, filters: () => string, paused: () => boolean) {
  let next = 0;
  let shownFilters = "";
  const PAGE = 200;
  return async () => {
    if (paused()) return;
    const q = filters();
    if (q !== shownFilters || next === 0) {
      const head = (await ctx.api.lines(`/v1/events?limit=1&from_seq=999999999999999${q}`)).headSeq;
      next = Math.max(1, head - BACKLOG * 4);
      shownFilters = q;
      body.replaceChildren();
    }
    const r = await ctx.api.lines(`/v1/events?from_seq=${next}&limit=${PAGE}${q}`);
    for (const line of r.lines) body.prepend(eventRow(line, false));
    next = r.nextSeq;
    if (r.lines.length === PAGE && r.headSeq - next > PAGE) {
      const to = r.headSeq - BACKLOG + 1;
      body.prepend(
        h("tr", { class: "skipped" }, h("td", { colspan: 5 }, `… skipped seqs ${next} to ${to - 1} to keep up`)),
      );
      next = to;
    }
    while (body.rows.length > SHOWN) body.lastElementChild!.remove();
    ctx.ok();
  };
}

async function quarantine(ctx: ViewContext, body: HTMLTableSectionElement): Promise<void> {
  const head = (await ctx.api.lines("/v1/quarantine?limit=1&from_seq=999999999999999")).headSeq;
  const r = await ctx.api.lines(`/v1/quarantine?from_seq=${Math.max(1, head - BACKLOG + 1)}&limit=${BACKLOG}`);
  replace(body, ...r.lines.reverse().map((l) => eventRow(l, true)));
  if (r.lines.length === 0) body.append(h("tr", {}, h("td", { colspan: 6 }, "Nothing is in quarantine.")));
}

export const eventsView: View = (root, ctx) => {
  const type = h("input", { id: "filter-type", placeholder: "Room.* or a full type", autocomplete: "off" });
  const room = h("input", { id: "filter-room", placeholder: "RoomId", autocomplete: "off" });
  let isPaused = false;
  const pause = h("button", { type: "button", "aria-pressed": "false" }, "Pause tail");
  pause.addEventListener("click", () => {
    isPaused = !isPaused;
    pause.setAttribute("aria-pressed", String(isPaused));
    pause.textContent = isPaused ? "Resume tail" : "Pause tail";
  });
  const applied = { type: "", room: "" };
  const form = h(
    "form",
    { class: "filters" },
    h("label", { for: "filter-type" }, "Type"),
    type,
    h("label", { for: "filter-room" }, "Room"),
    room,
    h("button", { type: "submit" }, "Apply"),
    pause,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    applied.type = type.value.trim();
    applied.room = room.value.trim();
  });
  const events = table("Live tail (newest first)", ["Seq", "Received", "Type", "Room", ""]);
  const q = table("Quarantine (newest first)", ["Seq", "Received", "Type", "Room", "Reason", ""]);
  root.append(h("h1", {}, "Events"), form, events.wrap, h("h2", {}, "Quarantine"), q.wrap);
  const step = tail(
    ctx,
    events.body,
    () => query(applied.type, applied.room),
    () => isPaused,
  );
  let sinceQuarantine = 0;
  return poll(
    async () => {
      await step();
      if (sinceQuarantine++ % 5 === 0) await quarantine(ctx, q.body);
    },
    1000,
    ctx.report,
  );
};
