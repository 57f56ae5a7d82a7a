/**
 * DOM helpers of the demo page. Everything users or the server provide is
 * written with `textContent`, never parsed as HTML.
 *
 * @module
 */

import { browser, type PageElement } from "./dom.ts";

const { document } = browser;

/** Where a live link is in its life, as shown on the page. */
export type LinkState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/**
 * The element with an id.
 *
 * @param id The id.
 * @returns The element.
 * @throws {Error} When the page has no such element.
 */
export function byId(id: string): PageElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`Page has no element "#${id}"`);
  return el;
}

/**
 * Shows a link's state: its text and `data-state`; every change is added to
 * `data-seen` (space-separated), so the whole history stays visible to tools.
 *
 * @param el The status element.
 * @param state The state.
 */
export function showState(el: PageElement, state: LinkState): void {
  if (el.dataset.state === state) return;
  el.dataset.state = state;
  el.dataset.seen = `${el.dataset.seen ?? ""} ${state}`.trim();
  el.textContent = state;
}

/**
 * Appends a line to a log list: a bold author and the text, as text.
 *
 * @param list The list.
 * @param from The author.
 * @param text The message.
 */
export function appendLine(list: PageElement, from: string, text: string): void {
  const item = document.createElement("li");
  const who = document.createElement("span");
  who.className = "from";
  who.textContent = from;
  const what = document.createElement("span");
  what.className = "text";
  what.textContent = text;
  item.append(who, what);
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

/**
 * How an error reads on the page: `code: message` for coded errors.
 *
 * @param err What was thrown.
 * @returns The text.
 */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  return typeof e?.code === "string" ? `${e.code}: ${message}` : message;
}

/**
 * Shows an error (or clears it) in an alert element; the code also goes to
 * `data-code`.
 *
 * @param el The element.
 * @param err The error, or `undefined` to clear.
 */
export function showError(el: PageElement, err: unknown): void {
  el.textContent = err === undefined ? "" : describeError(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  el.dataset.code = typeof code === "string" ? code : "";
}
