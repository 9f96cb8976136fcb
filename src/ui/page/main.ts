// The dashboard: a token gate, then four views chosen by the URL's hash (#ingest, #targets, #rooms,
// #events). Each view polls the admin API while it is shown and stops when another is chosen.
import { Api, ApiError, Unauthorized } from "./api.ts";
import { eventsView } from "./views/events.ts";
import { ingestView } from "./views/ingest.ts";
import { roomsView } from "./views/rooms.ts";
import { targetsView } from "./views/targets.ts";
import type { View, ViewContext } from "./view.ts";

const VIEWS: Record<string, View> = {
  ingest: ingestView,
  targets: targetsView,
  rooms: roomsView,
  events: eventsView,
};

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function boot(): void {
  const main = byId<HTMLElement>("view");
  const login = byId<HTMLElement>("login");
  const form = byId<HTMLFormElement>("login-form");
  const input = byId<HTMLInputElement>("token");
  const loginError = byId<HTMLElement>("login-error");
  const status = byId<HTMLElement>("status");
  let stop: (() => void) | null = null;

  const showLogin = (message: string) => {
    stop?.();
    stop = null;
    main.hidden = true;
    login.hidden = false;
    loginError.textContent = message;
    input.value = "";
    input.focus();
  };
  const api = new Api(() => {
    const had = api.token !== null;
    api.token = null;
    showLogin(had ? "That token was refused." : "");
  });
  const ctx: ViewContext = {
    api,
    report: (e) => {
      if (e instanceof Unauthorized) return;
      status.textContent = e instanceof ApiError || e instanceof Error ? e.message : String(e);
      status.className = "status error";
    },
    ok: () => {
      status.textContent = `updated ${new Date().toLocaleTimeString()}`;
      status.className = "status";
    },
  };
  const route = () => {
    stop?.();
    const name = VIEWS[location.hash.slice(1)] ? location.hash.slice(1) : "ingest";
    for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
      if (a.hash === `#${name}`) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    main.replaceChildren();
    stop = VIEWS[name]!(main, ctx);
  };
  const enter = async () => {
    try {
      await api.get("/v1/targets");
    } catch (e) {
      if (!(e instanceof Unauthorized)) ctx.report(e);
      return;
    }
    login.hidden = true;
    main.hidden = false;
    route();
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    api.token = input.value.trim();
    void enter();
  });
  window.addEventListener("hashchange", () => {
    if (login.hidden) route();
  });
  void enter();
}

boot();
