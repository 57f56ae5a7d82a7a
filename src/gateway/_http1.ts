/**
 * HTTP/1.1 message framing for {@linkcode denoTransport} (RFC 9112): the
 * request head, the response head, and the chunked body decoder. Pure
 * functions over strings and bytes, so each rule is tested on its own.
 * Private to the gateway.
 *
 * The parser is strict where leniency lets a proxy and its upstream disagree
 * about where a message ends (request smuggling, RFC 9112 §11.2): obsolete
 * line folding, whitespace before a colon, conflicting `Content-Length`
 * values and malformed chunk sizes are errors (`TypeError`, which the proxy
 * answers with 502), and a response that also names a `Transfer-Encoding` is
 * never followed by another on the same connection.
 *
 * @module
 */
import { HOP_BY_HOP } from "./_headers.ts";

const HOP_SET = new Set(HOP_BY_HOP);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]{1,15}$/;
const HEX = /^[0-9A-Fa-f]{1,13}$/;
const NOT_ASCII = /[\x80-\uffff]/;
// deno-lint-ignore no-control-regex -- a reason phrase may hold no control characters but HTAB
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;
/** Characters a request target may not hold (controls, space, DEL). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const BAD_TARGET = /[\x00-\x20\x7f]/;

/** How a response body ends. */
export type Framing = "none" | "length" | "chunked" | "close";

/** A parsed response head. */
export interface ResponseHead {
  /** The status code, 100–999. */
  status: number;
  /** The reason phrase ("" when absent). */
  statusText: string;
  /** The fields to pass on: hop-by-hop fields and those named in `Connection` removed. */
  headers: [string, string][];
  /** How the body is delimited. */
  framing: Framing;
  /** The body's length when `framing` is `"length"`. */
  length: number;
  /** Whether the connection may carry another request after this response. */
  keepAlive: boolean;
}

function malformed(what: string): TypeError {
  return new TypeError(`Malformed upstream response: ${what}`);
}

/** Trims optional whitespace (SP and HTAB only, RFC 9110 §5.6.3). */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Parses a response head (status line and fields, without the blank line).
 *
 * @param head The head as a Latin-1 string.
 * @param method The request's method (a `HEAD` response has no body).
 * @returns The status, the fields to pass on and the body's framing.
 * @throws {TypeError} When the head is malformed.
 */
export function parseResponseHead(head: string, method: string): ResponseHead {
  const lines = head.split("\r\n");
  const m = STATUS_LINE.exec(lines[0]!);
  if (m === null) throw malformed("status line");
  const status = Number(m[2]);
  let keepAlive = m[1] === "1";
  const raw: [string, string][] = [];
  let connection: string[] | undefined;
  let length: string | undefined;
  let coding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    // A leading space is obsolete line folding; a name is a token, with no space before the colon.
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) throw malformed("field line");
    const name = line.slice(0, colon).toLowerCase();
    const value = trimOws(line.slice(colon + 1));
    if (name === "connection") {
      for (const t of value.split(",")) (connection ??= []).push(trimOws(t).toLowerCase());
    } else if (name === "content-length") {
      for (const v of value.split(",")) {
        const n = trimOws(v);
        if (!DIGITS.test(n) || (length !== undefined && Number(n) !== Number(length))) {
          throw malformed("Content-Length");
        }
        length = n;
      }
    } else if (name === "transfer-encoding") {
      coding = coding === undefined ? value : `${coding}, ${value}`;
    }
    raw.push([name, value]);
  }
  if (connection !== undefined) {
    if (connection.includes("close")) keepAlive = false;
    else if (connection.includes("keep-alive")) keepAlive = true;
  }
  const headers = connection === undefined
    ? raw.filter(([name]) => !HOP_SET.has(name))
    : raw.filter(([name]) => !HOP_SET.has(name) && !connection.includes(name));
  let framing: Framing;
  let size = 0;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) framing = "none";
  else if (coding !== undefined) {
    const last = coding.split(",").pop()!;
    framing = trimOws(last).toLowerCase() === "chunked" ? "chunked" : "close";
    // Both framings named: chunked wins, and the connection is not trusted again (RFC 9112 §6.3).
    if (length !== undefined || framing === "close") keepAlive = false;
    // The body is re-framed for the client, so its length field no longer applies.
    if (length !== undefined) {
      for (let i = headers.length - 1; i >= 0; i--) {
        if (headers[i]![0] === "content-length") headers.splice(i, 1);
      }
    }
  } else if (length !== undefined) {
    framing = "length";
    size = Number(length);
  } else {
    framing = "close";
    keepAlive = false;
  }
  return { status, statusText: m[3] ?? "", headers, framing, length: size, keepAlive };
}

/** How the request body is framed: a length, `"chunked"`, or `null` for no body. */
export type BodyFraming = number | "chunked" | null;

/**
 * Builds a request head. The fields come from the proxy (lower-case names,
 * hop-by-hop fields and `Host` already removed); this adds `Host` and the
 * framing, and drops any framing fields of its own plus `Expect` (the host's
 * server has already answered `100 Continue`).
 *
 * @param method The method.
 * @param target The origin-form target: path and query.
 * @param host The `Host` value.
 * @param fields The other fields.
 * @param body The body's framing.
 * @returns The head, ending with the blank line.
 * @throws {TypeError} When the target holds characters a request line cannot carry.
 */
export function requestHead(
  method: string,
  target: string,
  host: string,
  fields: readonly [string, string][],
  body: BodyFraming,
): string {
  if (BAD_TARGET.test(target)) throw new TypeError(`Cannot send the request target "${target}"`);
  let head = `${method} ${target} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const name = f[0];
    if (name === "content-length" || name === "expect") continue;
    head += `${name}: ${f[1]}\r\n`;
  }
  if (body === "chunked") head += "transfer-encoding: chunked\r\n";
  else if (body !== null) head += `content-length: ${body}\r\n`;
  // As fetch does: a POST or PUT without a body says so.
  else if (method === "POST" || method === "PUT") head += "content-length: 0\r\n";
  return head + "\r\n";
}

/**
 * The request's declared body length, when it has a valid `Content-Length`.
 *
 * @param fields The proxy's fields.
 * @returns The length, or `-1`.
 */
export function declaredLength(fields: readonly [string, string][]): number {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f[0] === "content-length") return DIGITS.test(f[1]) ? Number(f[1]) : -1;
  }
  return -1;
}

const encoder = new TextEncoder();

/**
 * Encodes a head as Latin-1 (field values are byte strings; `TextEncoder`
 * would write UTF-8 for the bytes 0x80–0xFF).
 *
 * @param head The head.
 * @returns Its bytes.
 */
export function latin1Bytes(head: string): Uint8Array {
  if (!NOT_ASCII.test(head)) return encoder.encode(head);
  const out = new Uint8Array(head.length);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i);
  return out;
}

const ascii = new TextDecoder();

/**
 * Decodes head bytes as Latin-1 (`TextDecoder("latin1")` is windows-1252 and
 * maps 0x80–0x9F elsewhere).
 *
 * @param bytes The head.
 * @returns The string, one character per byte.
 */
export function latin1String(bytes: Uint8Array): string {
  const s = ascii.decode(bytes);
  if (s.length === bytes.length && !NOT_ASCII.test(s)) return s;
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/**
 * Finds the end of a head: the index just past the first CRLFCRLF at or after
 * `from`, or `-1`.
 *
 * @param buf The bytes received.
 * @param from Where to start looking.
 * @param end How many bytes of `buf` are valid.
 * @returns The index after the blank line, or `-1`.
 */
export function headEnd(buf: Uint8Array, from: number, end: number): number {
  let i = buf.indexOf(10, Math.max(from, 3));
  while (i !== -1 && i < end) {
    if (buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
    i = buf.indexOf(10, i + 1);
  }
  return -1;
}

const SIZE = 0;
const DATA = 1;
const DATA_END = 2;
const TRAILER = 3;
const DONE = 4;
/** Longest chunk-size line or trailer section accepted. */
const MAX_LINE = 4096;
const MAX_TRAILERS = 16_384;

/**
 * Decodes a chunked body (RFC 9112 §7.1) fed in pieces of any size. Chunk
 * extensions are ignored; trailer fields are read and dropped (a proxy that
 * re-frames the body cannot promise them).
 */
export class ChunkedDecoder {
  #state = SIZE;
  #left = 0;
  #line = "";
  #trailerBytes = 0;

  /** Whether the last chunk and the trailer section have been read. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * Decodes what it can of `bytes`.
   *
   * @param bytes The received bytes.
   * @param out Receives the body's data, as views into `bytes`.
   * @returns How many bytes were used: all of them, or fewer once `done`.
   * @throws {TypeError} When the framing is malformed.
   */
  feed(bytes: Uint8Array, out: Uint8Array[]): number {
    let i = 0;
    const n = bytes.length;
    while (i < n && this.#state !== DONE) {
      if (this.#state === DATA) {
        const take = Math.min(this.#left, n - i);
        out.push(bytes.subarray(i, i + take));
        i += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = DATA_END;
        continue;
      }
      // A line: a chunk size, the CRLF after data, or a trailer field.
      const lf = bytes.indexOf(10, i);
      const stop = lf === -1 ? n : lf;
      if (this.#line.length + stop - i > MAX_LINE) throw malformed("chunk line too long");
      this.#line += String.fromCharCode(...bytes.subarray(i, stop));
      i = stop;
      if (lf === -1) break;
      i++;
      const line = this.#line;
      this.#line = "";
      if (!line.endsWith("\r")) throw malformed("bare LF in chunked framing");
      this.#onLine(line.slice(0, -1));
    }
    return i;
  }

  #onLine(line: string): void {
    if (this.#state === DATA_END) {
      if (line !== "") throw malformed("chunk longer than its size");
      this.#state = SIZE;
    } else if (this.#state === SIZE) {
      const semi = line.indexOf(";");
      const hex = semi === -1 ? line : trimOws(line.slice(0, semi));
      if (!HEX.test(hex)) throw malformed("chunk size");
      this.#left = parseInt(hex, 16);
      this.#state = this.#left === 0 ? TRAILER : DATA;
    } else {
      this.#trailerBytes += line.length + 2;
      if (this.#trailerBytes > MAX_TRAILERS) throw malformed("trailer section too large");
      if (line === "") this.#state = DONE;
    }
  }
}
