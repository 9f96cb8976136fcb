// What every view gets, and what it gives back: a function that stops its polling.
import type { Api } from "./api.ts";

export interface ViewContext {
  api: Api;
  /** Shows an error in the status line (a refused token goes to the prompt instead). */
  report: (e: unknown) => void;
  /** Marks the status line as freshly updated. */
  ok: () => void;
}

export type View = (root: HTMLElement, ctx: ViewContext) => () => void;
