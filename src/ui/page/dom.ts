// A small DOM builder. Text goes in only as text nodes (never as HTML): event bodies, room names
// and error messages come from outside and must not become markup.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

/** A table: a caption, header cells and a body the caller fills. */
export function table(caption: string, headers: string[]): { wrap: HTMLElement; body: HTMLTableSectionElement } {
  const body = h("tbody");
  const t = h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", { scope: "col" }, x)))),
    body,
  );
  return { wrap: h("div", { class: "scroll" }, t), body };
}

export function row(...cells: Child[]): HTMLTableRowElement {
  return h("tr", {}, ...cells.map((c) => h("td", {}, c)));
}

/** Rows kept by key across refreshes, so a focused button or an open detail survives a poll. */
export class KeyedRows<T> {
  private readonly rows = new Map<string, HTMLTableRowElement>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly create: (item: T) => HTMLTableRowElement,
    private readonly update: (tr: HTMLTableRowElement, item: T) => void,
  ) {}

  set(items: readonly T[], key: (item: T) => string): void {
    const seen = new Set<string>();
    let before: ChildNode | null = this.body.firstChild;
    for (const item of items) {
      const k = key(item);
      seen.add(k);
      let tr = this.rows.get(k);
      if (!tr) {
        tr = this.create(item);
        this.rows.set(k, tr);
      }
      this.update(tr, item);
      if (tr !== before) this.body.insertBefore(tr, before);
      before = tr.nextSibling;
    }
    for (const [k, tr] of this.rows) {
      if (!seen.has(k)) {
        tr.remove();
        this.rows.delete(k);
      }
    }
  }
}
