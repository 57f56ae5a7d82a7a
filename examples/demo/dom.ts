/**
 * The part of the browser's DOM the demo page uses, typed here so the page
 * type-checks with the rest of the repository, whose programs have no DOM
 * library.
 *
 * @module
 */

/** An element of the page (inputs and text areas have a `value`). */
export interface PageElement {
  /** Class attribute. */
  className: string;
  /** Text content; setting it never parses HTML. */
  textContent: string | null;
  /** Whether it is hidden. */
  hidden: boolean;
  /** An input's or text area's value. */
  value: string;
  /** `data-*` attributes. */
  readonly dataset: Record<string, string | undefined>;
  /** Scroll position. */
  scrollTop: number;
  /** Scrollable height. */
  readonly scrollHeight: number;
  /** Appends children. */
  append(...nodes: PageElement[]): void;
  /** Replaces the children. */
  replaceChildren(...nodes: PageElement[]): void;
  /** The first descendant matching a selector. */
  querySelector(selector: string): PageElement | null;
  /** Every descendant matching a selector. */
  querySelectorAll(selector: string): Iterable<PageElement>;
  /** Listens to an event. */
  addEventListener(type: string, listener: (ev: { preventDefault(): void }) => void): void;
}

/** The page's document. */
export interface PageDocument {
  /** The element with an id. */
  getElementById(id: string): PageElement | null;
  /** Creates an element. */
  createElement(tag: string): PageElement;
}

/** The browser globals the page uses. */
export const browser = globalThis as unknown as {
  document: PageDocument;
  location: { origin: string; search: string };
};
