/**
 * Header rewriting for the proxy: hop-by-hop removal (RFC 9110 §7.6.1),
 * `X-Forwarded-*` and RFC 7239 `Forwarded`. Private to the gateway.
 *
 * @module
 */

/**
 * Fields that describe one connection and never travel past a proxy. RFC 9110
 * §7.6.1 names `Connection`, `Proxy-Connection`, `Keep-Alive`, `TE`,
 * `Transfer-Encoding` and `Upgrade`; `Trailer` announces trailers a re-framed
 * message will not carry; `Proxy-Authorization` / `Proxy-Authenticate` are
 * meant for this proxy (RFC 9110 §11.7). `Host` is set by the transport.
 */
export const HOP_BY_HOP: readonly string[] = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
];

const HOP_SET = new Set(HOP_BY_HOP);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Content codings every `fetch` implementation decodes (Fetch standard, "HTTP-network fetch"). */
const DECODED_CODINGS = new Set(["gzip", "x-gzip", "deflate", "br"]);

/** Removes hop-by-hop fields and every field named in `Connection`. */
export function stripHopByHop(headers: Headers, keepUpgrade = false): void {
  const connection = headers.get("connection");
  if (connection !== null) {
    for (const raw of connection.split(",")) {
      const name = raw.trim().toLowerCase();
      // A field name is a token; anything else in Connection is ignored.
      if (name !== "" && TOKEN.test(name)) headers.delete(name);
    }
  }
  for (const name of HOP_BY_HOP) {
    if (keepUpgrade && name === "upgrade") continue;
    headers.delete(name);
  }
}

/**
 * Keeps only the codings `fetch` decodes in an `Accept-Encoding` value, so a
 * coding the transport would pass through undecoded is never asked for.
 */
export function filterAcceptEncoding(value: string): string {
  if (value === "gzip, deflate, br" || value === "gzip, deflate" || value === "gzip") return value;
  return value.split(",").filter((part) => {
    const coding = part.split(";")[0]!.trim().toLowerCase();
    return DECODED_CODINGS.has(coding) || coding === "identity" || coding === "*";
  }).map((p) => p.trim()).join(", ");
}

/** Whether the transport already decoded a body sent with this `Content-Encoding`. */
export function wasDecoded(contentEncoding: string | null): boolean {
  if (contentEncoding === null) return false;
  for (const c of contentEncoding.split(",")) {
    if (!DECODED_CODINGS.has(c.trim().toLowerCase())) return false;
  }
  return true;
}

/** Splits a comma-separated list, keeping commas inside quoted strings. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92 /* \ */ && quoted) i++;
    else if (c === 34 /* " */) quoted = !quoted;
    else if (c === 44 /* , */ && !quoted) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s !== "");
}

/** How the proxy identifies the client and the request it received. */
export interface ForwardContext {
  /** The peer address of the connection, when the host knows it. */
  clientAddress: string | undefined;
  /** How many proxies in front of this one are trusted. */
  trustedHops: number;
  /** Whether to write RFC 7239 `Forwarded`. */
  forwarded: boolean;
  /** `host[:port]` of the request as received. */
  host: string;
  /** `http` or `https`, as received. */
  proto: string;
  /** Set by {@linkcode buildForwardHeaders}: the request's `Upgrade` field, or `null`. */
  upgrade?: string | null;
}

/** Formats a node for RFC 7239 §6: IPv6 in quoted brackets, "unknown" when absent. */
function forwardedNode(addr: string | undefined): string {
  if (addr === undefined || addr === "") return "unknown";
  if (addr.includes(":")) return `"[${addr.replace(/^\[|\]$/g, "")}]"`;
  return addr;
}

function quoteIfNeeded(v: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Whether a response needs rewriting: a hop-by-hop field, or a body the
 * transport decoded. Asked field by field: on a `fetch` response (Deno) that
 * is cheaper than iterating, which sorts and combines the whole list first.
 */
export function responseNeedsRewrite(headers: Headers): boolean {
  for (let i = 0; i < HOP_BY_HOP.length; i++) if (headers.has(HOP_BY_HOP[i]!)) return true;
  return wasDecoded(headers.get("content-encoding"));
}

/**
 * Builds the header list sent upstream in one pass over the request's
 * fields: hop-by-hop fields, fields named in `Connection` and `Host` are
 * left out; `Accept-Encoding` keeps only codings the transport decodes;
 * `X-Forwarded-For` keeps the entries of trusted hops and appends the peer;
 * `X-Forwarded-Host` / `-Proto` are the request's own unless a trusted hop
 * set them; `Forwarded` (RFC 7239) is appended to when asked, passed on from
 * trusted hops, dropped otherwise.
 */
export function buildForwardHeaders(src: Headers, ctx: ForwardContext): [string, string][] {
  const out: [string, string][] = [];
  // Written in the callback below (`as` keeps TypeScript from narrowing them to `null`).
  let connection = null as string | null;
  let xff = null as string | null;
  let forwarded = null as string | null;
  let xfHost = null as string | null;
  let xfProto = null as string | null;
  let upgrade = null as string | null;
  // forEach, not for…of: no iterator and no result object per field.
  src.forEach((value, name) => {
    if (HOP_SET.has(name)) {
      if (name === "connection") connection = value;
      else if (name === "upgrade") upgrade = value;
      return;
    }
    switch (name) {
      case "host":
        return;
      case "x-forwarded-for":
        xff = value;
        return;
      case "forwarded":
        forwarded = value;
        return;
      case "x-forwarded-host":
        xfHost = value;
        return;
      case "x-forwarded-proto":
        xfProto = value;
        return;
      case "accept-encoding": {
        const kept = filterAcceptEncoding(value);
        if (kept !== "") out.push([name, kept]);
        return;
      }
    }
    out.push([name, value]);
  });
  ctx.upgrade = upgrade;
  if (connection !== null) {
    const named = new Set<string>();
    for (const raw of connection.split(",")) {
      const n = raw.trim().toLowerCase();
      if (n !== "" && TOKEN.test(n)) named.add(n);
    }
    if (named.size > 0) {
      for (let i = out.length - 1; i >= 0; i--) if (named.has(out[i]![0])) out.splice(i, 1);
      if (named.has("x-forwarded-for")) xff = null;
      if (named.has("forwarded")) forwarded = null;
      if (named.has("x-forwarded-host")) xfHost = null;
      if (named.has("x-forwarded-proto")) xfProto = null;
    }
  }
  const trusted = ctx.trustedHops;
  let list: string[] = [];
  if (xff !== null && trusted > 0) {
    list = splitList(xff);
    if (list.length > trusted) list = list.slice(list.length - trusted);
  }
  if (ctx.clientAddress !== undefined && ctx.clientAddress !== "") list.push(ctx.clientAddress);
  if (list.length > 0) out.push(["x-forwarded-for", list.join(", ")]);
  out.push(["x-forwarded-host", trusted > 0 && xfHost !== null ? xfHost : ctx.host]);
  out.push(["x-forwarded-proto", trusted > 0 && xfProto !== null ? xfProto : ctx.proto]);
  if (ctx.forwarded) {
    let elements: string[] = [];
    if (forwarded !== null && trusted > 0) {
      elements = splitList(forwarded);
      if (elements.length > trusted) elements = elements.slice(elements.length - trusted);
    }
    elements.push(
      `for=${forwardedNode(ctx.clientAddress)};host=${quoteIfNeeded(ctx.host)};proto=${ctx.proto}`,
    );
    out.push(["forwarded", elements.join(", ")]);
  } else if (forwarded !== null && trusted > 0) {
    out.push(["forwarded", forwarded]);
  }
  return out;
}
