/**
 * Target URLs: parsing `http(s)://`, `ws(s)://` and `actor://` targets, the
 * rule that appends a wildcard remainder, and the check that refuses
 * remainders escaping the target prefix.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";

/** A parsed HTTP or WebSocket target. */
export interface HttpTarget {
  /** `http` for `http(s)://` and `ws(s)://` targets. */
  readonly kind: "http";
  /** The target as written. */
  readonly source: string;
  /** `scheme://host[:port]/path` with no trailing `/` and no query. */
  readonly base: string;
  /** The target's own query, without `?`, possibly empty. */
  readonly query: string;
  /** Whether the target said `https:` or `wss:`. */
  readonly secure: boolean;
}

/** A parsed `actor://name/key/path` target. */
export interface ActorTarget {
  /** `actor`. */
  readonly kind: "actor";
  /** The target as written. */
  readonly source: string;
  /** The actor name (percent-decoded). */
  readonly name: string;
  /** The actor key: the second part split on `,`, each percent-decoded; empty for `//`. */
  readonly key: readonly string[];
  /** The path inside the actor, no trailing `/` (`""` for the root). */
  readonly path: string;
  /** The target's own query, without `?`. */
  readonly query: string;
}

/** Any parsed target. */
export type ParsedTarget = HttpTarget | ActorTarget;

function badTarget(target: string, reason: string): Error {
  return publicError(
    "invalid_route_target",
    400,
    `Route target "${target}" is invalid: ${reason}`,
    {
      target,
    },
  );
}

/**
 * Parses a target.
 *
 * `actor://counter/a,b/some/path` names actor `counter` with key `["a", "b"]`
 * and path `/some/path`; `actor://counter//path` has the empty key `[]`.
 *
 * @param target `http://`, `https://`, `ws://`, `wss://` or `actor://` URL.
 * @returns The parsed target.
 * @throws {SwitchyardError} `invalid_route_target` (400) for anything else.
 *
 * @example An HTTP target and an actor target
 * ```ts
 * import { parseTarget } from "@switchyard/core/gateway";
 * const http = parseTarget("https://api.example.com/v1/?key=1");
 * console.assert(http.kind === "http" && http.base === "https://api.example.com/v1");
 * console.assert(http.kind === "http" && http.query === "key=1" && http.secure);
 *
 * const room = parseTarget("actor://chat/lobby,en/messages");
 * console.assert(room.kind === "actor" && room.name === "chat" && room.path === "/messages");
 * console.assert(room.kind === "actor" && room.key.join("|") === "lobby|en");
 *
 * try {
 *   parseTarget("ftp://files.example.com");
 *   console.assert(false, "ftp targets are refused");
 * } catch (err) {
 *   console.assert((err as { code?: string }).code === "invalid_route_target");
 * }
 * ```
 */
export function parseTarget(target: string): ParsedTarget {
  if (typeof target !== "string") throw badTarget(String(target), "it is not a string");
  if (target.startsWith("actor://")) {
    const rest = target.slice(8);
    const q = rest.indexOf("?");
    const pathPart = q === -1 ? rest : rest.slice(0, q);
    const parts = pathPart.split("/");
    const name = parts[0] ?? "";
    if (name === "") throw badTarget(target, "the actor name is empty");
    if (parts.length < 2) throw badTarget(target, "it has no key segment");
    const keyText = parts[1]!;
    let decoded: string[];
    try {
      decoded = keyText === "" ? [] : keyText.split(",").map(decodeURIComponent);
    } catch {
      throw badTarget(target, "the key is not valid percent-encoding");
    }
    let path = parts.length > 2 ? "/" + parts.slice(2).join("/") : "";
    if (path.endsWith("/")) path = path.slice(0, -1);
    return {
      kind: "actor",
      source: target,
      name: decodeURIComponent(name),
      key: decoded,
      path,
      query: q === -1 ? "" : rest.slice(q + 1),
    };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw badTarget(target, "it is not a URL");
  }
  const p = url.protocol;
  if (p !== "http:" && p !== "https:" && p !== "ws:" && p !== "wss:") {
    throw badTarget(target, `scheme "${p}" is not supported`);
  }
  if (url.username !== "" || url.password !== "") {
    throw badTarget(target, "it contains credentials");
  }
  if (url.hash !== "") throw badTarget(target, "it contains a fragment");
  const secure = p === "https:" || p === "wss:";
  const scheme = secure ? "https:" : "http:";
  let path = url.pathname;
  if (path.endsWith("/")) path = path.slice(0, -1);
  return {
    kind: "http",
    source: target,
    base: `${scheme}//${url.host}${path}`,
    query: url.search.slice(1),
    secure,
  };
}

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const ENCODED_SEPARATOR = /%(?:2f|5c)|%25(?:2e|2f|5c)/i;

/**
 * Whether a wildcard remainder stays inside the target prefix: no `.` or `..`
 * segment (also percent-encoded, and also before a `;` path parameter, as in
 * `..;` or `%2e%2e;x=1`, which Tomcat, Jetty and Spring upstreams read as
 * `..`), no `\`, no encoded `/` or `\` (`%2F`, `%5C`), and none of those
 * encoded twice (`%252F`).
 *
 * @param remainder The remainder from {@linkcode RouteMatch}, still percent-encoded.
 * @returns `true` when it is safe to append.
 *
 * @example Remainders that would escape the target prefix
 * ```ts
 * import { isSafeRemainder } from "@switchyard/core/gateway";
 * console.assert(isSafeRemainder("/users/42"));
 * console.assert(!isSafeRemainder("/../admin"));
 * console.assert(!isSafeRemainder("/%2e%2e/admin"));
 * console.assert(!isSafeRemainder("/a%2Fb"));
 * console.assert(!isSafeRemainder("/..;x=1/admin"));
 * ```
 */
export function isSafeRemainder(remainder: string): boolean {
  if (remainder.indexOf("%") === -1 && remainder.indexOf(".") === -1) {
    return remainder.indexOf("\\") === -1;
  }
  if (remainder.indexOf("\\") !== -1 || ENCODED_SEPARATOR.test(remainder)) return false;
  for (const seg of remainder.split("/")) {
    const semi = seg.indexOf(";");
    const name = semi === -1 ? seg : seg.slice(0, semi);
    if (name.length <= 6 && name !== "" && DOT_SEGMENT.test(name)) return false;
  }
  return true;
}

/**
 * Builds the URL a request goes to. Rule: the target's path (without its
 * trailing `/`) followed by the wildcard remainder exactly as received (so a
 * request's trailing `/` is kept; an empty result becomes `/`); for
 * non-wildcard routes the target path alone. The query is the target's own
 * query, then `&`, then the request's query.
 *
 * @param target A parsed HTTP target.
 * @param remainder The wildcard remainder, or `undefined`.
 * @param search The request's `url.search` (with or without `?`).
 * @returns The absolute URL.
 *
 * @example A wildcard remainder and both queries
 * ```ts
 * import { buildTargetUrl, parseTarget } from "@switchyard/core/gateway";
 * const target = parseTarget("http://127.0.0.1:9000/v1?key=1");
 * if (target.kind !== "http") throw new Error("not an HTTP target");
 * const url = buildTargetUrl(target, "/users/42", "?page=2");
 * console.assert(url === "http://127.0.0.1:9000/v1/users/42?key=1&page=2");
 * console.assert(buildTargetUrl(target, undefined, "") === "http://127.0.0.1:9000/v1?key=1");
 * ```
 */
export function buildTargetUrl(
  target: HttpTarget,
  remainder: string | undefined,
  search: string,
): string {
  let path = target.base + (remainder ?? "");
  if (path.indexOf("/", path.indexOf("//") + 2) === -1) path += "/";
  const q = search.startsWith("?") ? search.slice(1) : search;
  if (target.query === "") return q === "" ? path : `${path}?${q}`;
  return q === "" ? `${path}?${target.query}` : `${path}?${target.query}&${q}`;
}

/** The parts of a request URL the gateway reads (a `URL` has them all). */
export type RequestUrlParts = Pick<URL, "host" | "pathname" | "protocol" | "search">;

/**
 * Splits a request URL into host, path and query without building a `URL`.
 * `request.url` is already a serialized URL (normalized, no credentials), so
 * for `http:` / `https:` slicing gives exactly what `new URL()` would; other
 * schemes are parsed properly.
 *
 * @param url A `request.url`.
 * @returns `host`, `pathname`, `protocol` and `search` as a `URL` reports them.
 *
 * @example The same parts as new URL(), without building one
 * ```ts
 * import { requestUrlParts } from "@switchyard/core/gateway";
 * const parts = requestUrlParts("http://127.0.0.1:8080/api/users?page=2#top");
 * console.assert(parts.host === "127.0.0.1:8080" && parts.protocol === "http:");
 * console.assert(parts.pathname === "/api/users" && parts.search === "?page=2");
 * ```
 */
export function requestUrlParts(url: string): RequestUrlParts {
  const start = url.startsWith("http://") ? 7 : url.startsWith("https://") ? 8 : -1;
  const slash = start === -1 ? -1 : url.indexOf("/", start);
  if (slash === -1) return new URL(url);
  let end = url.indexOf("#", slash);
  if (end === -1) end = url.length;
  const q = url.indexOf("?", slash);
  const pathEnd = q === -1 || q > end ? end : q;
  return {
    host: url.slice(start, slash),
    pathname: url.slice(slash, pathEnd),
    protocol: start === 7 ? "http:" : "https:",
    // As URL.search: "" for no query and for a lone "?".
    search: pathEnd + 1 >= end ? "" : url.slice(pathEnd, end),
  };
}
