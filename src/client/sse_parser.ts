/**
 * An incremental parser for `text/event-stream` (WHATWG HTML, "Server-sent
 * events", §9.2.6 "Interpreting an event stream"). Chunks may split lines,
 * fields, `\r\n` pairs and UTF-8 sequences anywhere.
 *
 * @module
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** Event type; `"message"` when the stream named none. */
  event: string;
  /** Data lines joined with `\n`. */
  data: string;
  /** The last event id seen on the stream (empty when none). */
  id: string;
  /** Reconnection time the server asked for, in milliseconds, if this event set one. */
  retry?: number;
}

/**
 * Parses an event stream chunk by chunk.
 *
 * @example Split chunks
 * ```ts
 * import { SseParser } from "./sse_parser.ts";
 * const parser = new SseParser();
 * const events = [...parser.push("data: hel"), ...parser.push("lo\n\n")];
 * console.assert(events.length === 1 && events[0]!.data === "hello");
 * ```
 */
export class SseParser {
  #decoder = new TextDecoder("utf-8");
  #buffer = "";
  #skipLf = false;
  #bomChecked = false;
  #event = "";
  #data: string[] = [];
  #id = "";
  #retry: number | undefined;

  /**
   * Feeds a chunk and returns the events it completed.
   *
   * @param chunk Bytes (decoded as UTF-8, streaming) or text.
   * @returns Completed events, in order.
   */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#feed(text);
  }

  /**
   * Ends the stream. A trailing event without its blank line is discarded,
   * as the standard says.
   *
   * @returns Nothing is ever dispatched at the end; always `[]`.
   */
  end(): SseEvent[] {
    const rest = this.#decoder.decode();
    const out = rest ? this.#feed(rest) : [];
    this.#buffer = "";
    this.#data = [];
    this.#event = "";
    return out;
  }

  #feed(text: string): SseEvent[] {
    if (!this.#bomChecked && text.length > 0) {
      this.#bomChecked = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10 && this.#skipLf && i === start && this.#buffer === "") {
        // The "\n" of a "\r\n" split across chunks.
        this.#skipLf = false;
        start = i + 1;
        continue;
      }
      this.#skipLf = false;
      if (ch !== 10 && ch !== 13) continue;
      const line = this.#buffer + text.slice(start, i);
      this.#buffer = "";
      if (ch === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.#skipLf = true;
      }
      start = i + 1;
      const ev = this.#line(line);
      if (ev) out.push(ev);
    }
    this.#buffer += text.slice(start);
    if (this.#buffer !== "") this.#skipLf = false;
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === "") return this.#dispatch();
    if (line.charCodeAt(0) === 58) return undefined; // ":" comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.#id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#event;
    const retry = this.#retry;
    this.#data = [];
    this.#event = "";
    this.#retry = undefined;
    if (data.length === 0) return undefined;
    const ev: SseEvent = { event: event || "message", data: data.join("\n"), id: this.#id };
    if (retry !== undefined) ev.retry = retry;
    return ev;
  }
}
