/**
 * Header and WebSocket sub-protocol names of the switchyard wire protocol.
 *
 * Public headers (client → manager router): {@linkcode HEADER_QUERY},
 * {@linkcode HEADER_ENCODING}, {@linkcode HEADER_CONN_PARAMS},
 * {@linkcode HEADER_CONN_ID}, {@linkcode HEADER_CONN_TOKEN},
 * {@linkcode HEADER_LAST_SEQ}, {@linkcode HEADER_CONN_SUBS}. Browsers cannot set headers on a WebSocket, so
 * the same values travel as sub-protocols (`sy.query.<base64url JSON>` …);
 * nothing travels in the URL.
 *
 * Internal headers (manager router → actor router, set only by the manager):
 * {@linkcode HEADER_ACTOR_ID} and {@linkcode HEADER_AUTH}. The manager removes
 * every `x-sy-*` header a client sends before it adds its own.
 *
 * @module
 */

/** JSON {@linkcode ActorQuery} naming the actor. */
export const HEADER_QUERY = "x-sy-query";
/** `json` (default) or `cbor`: encoding of bodies and frames. */
export const HEADER_ENCODING = "x-sy-encoding";
/** JSON connection parameters, passed to `onAuth` and `onBeforeConnect`. */
export const HEADER_CONN_PARAMS = "x-sy-conn-params";
/** Connection id (SSE message posts, reconnects). */
export const HEADER_CONN_ID = "x-sy-conn-id";
/** Connection token (SSE message posts, reconnects). */
export const HEADER_CONN_TOKEN = "x-sy-conn-token";
/** Last event sequence number the client saw (reconnects). */
export const HEADER_LAST_SEQ = "x-sy-last-seq";
/**
 * JSON list of the event names a connection subscribes to as it opens (or
 * resumes): they take effect before `init` is sent, so an event broadcast
 * after the client saw `init` reaches every listener added before it.
 */
export const HEADER_CONN_SUBS = "x-sy-conn-subs";
/** Internal, and on responses: the resolved actor id. */
export const HEADER_ACTOR_ID = "x-sy-actor-id";
/** Internal: JSON auth data returned by `onAuth`. */
export const HEADER_AUTH = "x-sy-auth";

/** The sub-protocol the server answers with on a connection WebSocket. */
export const WS_PROTOCOL = "switchyard";
/** Sub-protocol prefixes; values are base64url JSON unless stated. */
export const WS_PROTOCOL_QUERY = "sy.query.";
/** `sy.encoding.json` or `sy.encoding.cbor` (plain). */
export const WS_PROTOCOL_ENCODING = "sy.encoding.";
/** Connection parameters, base64url JSON. */
export const WS_PROTOCOL_PARAMS = "sy.params.";
/** `sy.conn.<connId>.<token>` (plain) for a resume. */
export const WS_PROTOCOL_CONN = "sy.conn.";
/** `sy.seq.<n>` (plain): last sequence number seen, for a resume. */
export const WS_PROTOCOL_LAST_SEQ = "sy.seq.";
/** Event names to subscribe to as the connection opens, base64url JSON list. */
export const WS_PROTOCOL_SUBS = "sy.subs.";

/**
 * Encodes a JSON value as base64url (RFC 4648 §5, no padding), for
 * sub-protocol tokens.
 *
 * @param value A JSON-serialisable value.
 * @returns The token text.
 */
export function toBase64UrlJson(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decodes {@linkcode toBase64UrlJson}.
 *
 * @param text The token text.
 * @returns The value, or `undefined` when the text is not valid base64url JSON.
 */
export function fromBase64UrlJson(text: string): unknown {
  try {
    const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/** The values a connection WebSocket carries in its sub-protocols. */
export interface SocketProtocolValues {
  /** The actor query (JSON, not yet validated). */
  query?: unknown;
  /** Encoding name, not yet validated. */
  encoding?: string;
  /** Connection parameters. */
  params?: unknown;
  /** Resume: connection id. */
  connId?: string;
  /** Resume: connection token. */
  connToken?: string;
  /** Resume: last sequence number seen. */
  lastSeq?: number;
  /** Event names to subscribe to as the connection opens (JSON, not yet validated). */
  subs?: unknown;
  /** Sub-protocols that are not switchyard's (raw WebSockets pass them on). */
  other: string[];
}

/**
 * Builds the sub-protocol list for a WebSocket.
 *
 * @param values Values to carry.
 * @returns Protocols, starting with {@linkcode WS_PROTOCOL}.
 */
export function toSocketProtocols(
  values: Omit<SocketProtocolValues, "other"> & {
    other?: string[];
  },
): string[] {
  const out = [WS_PROTOCOL];
  if (values.query !== undefined) out.push(WS_PROTOCOL_QUERY + toBase64UrlJson(values.query));
  if (values.encoding) out.push(WS_PROTOCOL_ENCODING + values.encoding);
  if (values.params !== undefined) out.push(WS_PROTOCOL_PARAMS + toBase64UrlJson(values.params));
  if (values.connId && values.connToken) {
    out.push(`${WS_PROTOCOL_CONN}${values.connId}.${values.connToken}`);
  }
  if (values.lastSeq !== undefined) out.push(WS_PROTOCOL_LAST_SEQ + values.lastSeq);
  if (values.subs !== undefined) out.push(WS_PROTOCOL_SUBS + toBase64UrlJson(values.subs));
  return out.concat(values.other ?? []);
}

/**
 * Reads the sub-protocols of an upgrade request
 * (`Sec-WebSocket-Protocol`, comma separated).
 *
 * @param header The header value.
 * @returns The decoded values; malformed entries are left `undefined`.
 */
export function parseSocketProtocols(header: string | null): SocketProtocolValues {
  const out: SocketProtocolValues = { other: [] };
  if (!header) return out;
  for (const raw of header.split(",")) {
    const p = raw.trim();
    if (p === "" || p === WS_PROTOCOL) continue;
    if (p.startsWith(WS_PROTOCOL_QUERY)) {
      out.query = fromBase64UrlJson(p.slice(WS_PROTOCOL_QUERY.length)) ?? null;
    } else if (p.startsWith(WS_PROTOCOL_ENCODING)) {
      out.encoding = p.slice(WS_PROTOCOL_ENCODING.length);
    } else if (p.startsWith(WS_PROTOCOL_PARAMS)) {
      out.params = fromBase64UrlJson(p.slice(WS_PROTOCOL_PARAMS.length)) ?? null;
    } else if (p.startsWith(WS_PROTOCOL_CONN)) {
      const [id, token] = p.slice(WS_PROTOCOL_CONN.length).split(".");
      out.connId = id;
      out.connToken = token;
    } else if (p.startsWith(WS_PROTOCOL_SUBS)) {
      out.subs = fromBase64UrlJson(p.slice(WS_PROTOCOL_SUBS.length)) ?? null;
    } else if (p.startsWith(WS_PROTOCOL_LAST_SEQ)) {
      const n = Number(p.slice(WS_PROTOCOL_LAST_SEQ.length));
      if (Number.isSafeInteger(n) && n >= 0) out.lastSeq = n;
    } else out.other.push(p);
  }
  return out;
}
