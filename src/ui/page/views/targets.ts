// Targets: each target's state, lag, in flight, counts and last error, with Pause / Resume; a
// target's dead letters with Redeliver; replay from a seq or a time.
import type { DeadLetterMeta } from "../../../delivery/dead-letters.ts";
import type { TargetStatus } from "../../../delivery/worker.ts";
import { poll } from "../api.ts";
import { h, KeyedRows, replace, row, table } from "../dom.ts";
import * as f from "../format.ts";
import type { View, ViewContext } from "../view.ts";

interface TargetList {
  headSeq: number;
  targets: TargetStatus[];
}

interface DeadLetterPage {
  target: string;
  total: number;
  entries: DeadLetterMeta[];
}

const path = (name: string) => encodeURIComponent(name);

function lastError(t: TargetStatus): string {
  const e = t.lastError;
  return e ? `${e.message} (seq ${e.seq}, ${f.time(e.at)})` : "–";
}

function targetRows(
  body: HTMLTableSectionElement,
  ctx: ViewContext,
  open: (name: string) => void,
  refresh: () => void,
) {
  const act = async (t: TargetStatus, verb: "pause" | "resume") => {
    try {
      await ctx.api.post(`/v1/targets/${path(t.name)}/${verb}`);
      refresh();
    } catch (e) {
      ctx.report(e);
    }
  };
  return new KeyedRows<TargetStatus>(
    body,
    (t) => {
      const tr = row(...Array.from({ length: 10 }, () => ""));
      tr.dataset.target = t.name;
      return tr;
    },
    (tr, t) => {
      const cells = tr.cells;
      // Actions come second, so on a phone they are on screen without scrolling the table.
      const text = [
        t.name,
        null,
        t.state + (t.paused ? ` (${t.paused.reason})` : ""),
        `${f.int(t.cursor)} / ${f.int(t.headSeq)}`,
        f.int(t.lag),
        f.int(t.inFlight),
        f.int(t.delivered),
        f.int(t.failedAttempts),
        f.int(t.deadLetters),
        lastError(t),
      ];
      text.forEach((v, i) => {
        if (v !== null && cells[i]!.textContent !== v) cells[i]!.textContent = v;
      });
      cells[2]!.className = `state ${t.state}`;
      const verb = t.state === "paused" ? "resume" : "pause";
      const label = verb === "pause" ? "Pause" : "Resume";
      const actions = cells[1]!;
      actions.className = "actions";
      const current = actions.querySelector<HTMLButtonElement>("button.toggle");
      if (current?.textContent === label) return;
      const hadFocus = current !== null && document.activeElement === current;
      const toggle = h("button", { type: "button", class: "toggle", onclick: () => act(t, verb) }, label);
      replace(actions, toggle, " ", h("button", { type: "button", onclick: () => open(t.name) }, "Dead letters"));
      if (hadFocus) toggle.focus();
    },
  );
}

function deadLetters(ctx: ViewContext, panel: HTMLElement, name: string, refresh: () => void): Promise<void> {
  const redeliver = async (ids?: string[]) => {
    try {
      await ctx.api.post(`/v1/dead-letters/${path(name)}/redeliver`, ids ? { ids } : {});
      refresh();
    } catch (e) {
      ctx.report(e);
    }
  };
  return ctx.api.get<DeadLetterPage>(`/v1/dead-letters/${path(name)}?limit=200`).then((page) => {
    const t = table(`Dead letters of ${name}: ${page.total}`, [
      "Seq",
      "Type",
      "Room",
      "Attempts",
      "Last error",
      "Dead since",
      "",
    ]);
    for (const d of page.entries) {
      t.body.append(
        row(
          String(d.seq),
          d.type,
          d.roomId ?? "–",
          String(d.attempts),
          d.lastError,
          f.time(d.deadAt),
          h("button", { type: "button", onclick: () => redeliver([d.id]) }, "Redeliver"),
        ),
      );
    }
    if (page.entries.length === 0) t.body.append(h("tr", {}, h("td", { colspan: 7 }, "None.")));
    const all = page.total > 0 ? h("button", { type: "button", onclick: () => redeliver() }, "Redeliver all") : null;
    replace(panel, t.wrap, all);
  });
}

/** The replay form, and the function that keeps its list of targets current. */
function replayForm(ctx: ViewContext, refresh: () => void): { form: HTMLElement; setNames: (n: string[]) => void } {
  const select = h("select", { id: "replay-target", required: true });
  const seq = h("input", { id: "replay-seq", type: "number", min: 1, inputmode: "numeric" });
  const when = h("input", { id: "replay-time", type: "datetime-local", step: 1 });
  const result = h("p", { role: "status" });
  const form = h(
    "form",
    { class: "replay" },
    h("h2", {}, "Replay"),
    h(
      "p",
      {},
      "Move a target's cursor back: its events are sent again from that seq, or from the first event at or after that time.",
    ),
    h("label", { for: "replay-target" }, "Target"),
    select,
    h("label", { for: "replay-seq" }, "From seq"),
    seq,
    h("label", { for: "replay-time" }, "or from time"),
    when,
    h("button", { type: "submit" }, "Replay"),
    result,
  );
  let shown = "";
  const setNames = (names: string[]) => {
    if (names.join("\n") === shown) return;
    shown = names.join("\n");
    const keep = select.value;
    replace(select, ...names.map((n) => h("option", { value: n, selected: n === keep }, n)));
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = seq.value
      ? { from_seq: Number(seq.value) }
      : when.value
        ? { from_time: new Date(when.value).toISOString() }
        : null;
    if (!body) {
      result.textContent = "Give a seq or a time.";
      return;
    }
    try {
      const r = await ctx.api.post<{ fromSeq: number }>(`/v1/targets/${path(select.value)}/replay`, body);
      result.textContent = `${select.value} replays from seq ${r.fromSeq}.`;
      refresh();
    } catch (err) {
      result.textContent = err instanceof Error ? err.message : String(err);
    }
  });
  return { form, setNames };
}

export const targetsView: View = (root, ctx) => {
  const t = table("Targets", [
    "Target",
    "Actions",
    "State",
    "Cursor / head",
    "Lag",
    "In flight",
    "Delivered",
    "Failed attempts",
    "Dead letters",
    "Last error",
  ]);
  const panel = h("section", { class: "dead-letters", "aria-live": "polite" });
  const empty = h("p", { hidden: true }, "No targets are configured.");
  let openName: string | null = null;
  // The dead letters are read again only when their count moves, so a focused button stays put.
  let shownCount = -1;
  let refreshNow = () => {};
  const open = (name: string) => {
    openName = name;
    shownCount = -1;
    void deadLetters(ctx, panel, name, () => refreshNow()).catch(ctx.report);
  };
  const rows = targetRows(t.body, ctx, open, () => refreshNow());
  const replay = replayForm(ctx, () => refreshNow());
  root.append(h("h1", {}, "Targets"), t.wrap, empty, panel, replay.form);
  const tick = async () => {
    const list = await ctx.api.get<TargetList>("/v1/targets");
    replay.setNames(list.targets.map((x) => x.name));
    rows.set(list.targets, (x) => x.name);
    empty.hidden = list.targets.length > 0;
    const count = list.targets.find((x) => x.name === openName)?.deadLetters;
    if (openName && count !== undefined && count !== shownCount) {
      shownCount = count;
      await deadLetters(ctx, panel, openName, () => refreshNow());
    }
    ctx.ok();
  };
  refreshNow = () => void tick().catch(ctx.report);
  return poll(tick, 2000, ctx.report);
};
