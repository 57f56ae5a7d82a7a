/**
 * {@linkcode RouteMatcher}: a route table compiled once into an exact-path map
 * plus a segment trie, matched with a documented priority rule.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import { cmpStr, compareRoutes, compileRoute, type Route } from "./_route_compile.ts";
import {
  compress,
  conditionsHold,
  newNode,
  search,
  segmentHash,
  type TrieNode,
} from "./_route_trie.ts";

/**
 * A header condition: a string requires that exact value, `true` requires the
 * field to be present, `false` requires it to be absent.
 */
export type HeaderCondition = string | boolean;

/** One route given to {@linkcode RouteMatcher}. */
export interface RouteDefinition<T> {
  /** The path pattern, e.g. `/users/:id(\d+)` or `/static/*`. */
  pattern: string;
  /**
   * Methods this route accepts (case-insensitive); a route that accepts `GET`
   * also accepts `HEAD`. Absent: any method.
   */
  methods?: readonly string[];
  /** Header conditions, by field name (case-insensitive). */
  headers?: Readonly<Record<string, HeaderCondition>>;
  /** Anything the caller wants back on a match. */
  data: T;
}

/** The kind of a route, in priority order. */
export type RouteKind = "exact" | "param" | "regex" | "wildcard";

/** A compiled route, as returned in a {@linkcode RouteMatch}. */
export interface CompiledRoute<T> {
  /** The pattern as written. */
  readonly pattern: string;
  /** `exact` (literal segments only), `param`, `regex` (`~...`) or `wildcard` (ends with `*`). */
  readonly kind: RouteKind;
  /** Upper-case methods, or `null` for any method. */
  readonly methods: readonly string[] | null;
  /** Position in the priority order: 0 wins over everything. */
  readonly rank: number;
  /** The caller's data. */
  readonly data: T;
}

/** The result of {@linkcode RouteMatcher.prototype.match}. */
export interface RouteMatch<T> {
  /** The winning route. */
  route: CompiledRoute<T>;
  /** Parameter values, percent-decoded. */
  params: Record<string, string>;
  /**
   * For wildcard routes, the rest of the path after the matched prefix, still
   * percent-encoded, starting with `/` or empty (`/api/*` on `/api` gives `""`,
   * on `/api/` gives `"/"`, on `/api/a/b` gives `"/a/b"`). `undefined` for
   * other routes.
   */
  remainder: string | undefined;
}

/** What a match is checked against besides the path: a `Request` fits. */
export interface MatchConditions {
  /** The request method. */
  readonly method: string;
  /** The request headers, read only when a route has header conditions. */
  readonly headers?: { get(name: string): string | null };
}

/**
 * Longest path tried against regex routes, in characters; longer paths match
 * exact, param and wildcard routes only.
 */
export const MAX_REGEX_PATH = 4096;

function decodeParam(raw: string): string {
  if (raw.indexOf("%") === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Matches request paths against a route table compiled once.
 *
 * Exact paths are found in one map lookup; other routes sit in a segment
 * trie searched depth-first, pruned by the best rank found so far, so a match
 * runs no regex over the table and allocates only the split path and the
 * result. Priority rule: exact beats param beats wildcard; then more literal
 * segments, then more segments, then segment by segment from the left
 * (literal, constrained parameter, parameter); then routes with a method
 * condition, then more header conditions; then the pattern text with
 * parameter names dropped, in code-unit order. Two routes equal under every
 * rule (`/a/:x` and `/a/:y` with the same conditions) are rejected as duplicates.
 * Matching ignores one trailing `/` of the path, except in a wildcard's
 * remainder. A wildcard `/a/*` matches `/a` itself.
 *
 * A pattern starting with `~` is a whole-path regex in RE2 syntax (anchors
 * implied, named groups become parameters), tried against the path as
 * received (percent-encoded, trailing `/` included). Regex routes rank after
 * exact and param routes and before wildcards; among themselves, those with a
 * method condition first, then more header conditions, then by source text.
 * RE2 matching is linear in the path, and paths longer than
 * {@linkcode MAX_REGEX_PATH} are not tried, so no pattern can stall a match.
 *
 * @typeParam T The data carried by each route.
 *
 * @example Match a table
 * ```ts
 * import { RouteMatcher } from "@switchyard/core/gateway";
 * const m = new RouteMatcher([
 *   { pattern: "/users/:id(\\d+)", data: "user" },
 *   { pattern: "/users/me", data: "me" },
 *   { pattern: "/*", data: "fallback" },
 * ]);
 * console.assert(m.match("/users/me", { method: "GET" })?.route.data === "me");
 * console.assert(m.match("/users/7", { method: "GET" })?.params.id === "7");
 * console.assert(m.match("/users/x", { method: "GET" })?.remainder === "/users/x");
 * ```
 */
export class RouteMatcher<T> {
  #exact = new Map<string, Route<T>[]>();
  #root: TrieNode<T> = newNode();
  #regex: Route<T>[] = [];
  #routes: Route<T>[];

  /**
   * Compiles a route table.
   *
   * @param routes The routes, in any order: the order never changes a result.
   * @throws {SwitchyardError} `invalid_route_pattern` (400) for a malformed
   * pattern, `duplicate_route` (400) for two routes equal under the priority rule.
   */
  constructor(routes: Iterable<RouteDefinition<T>>) {
    const list = [...routes].map(compileRoute);
    list.sort(compareRoutes);
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      r.rank = i;
      const prev = list[i - 1];
      if (prev && compareRoutes(prev, r) === 0) {
        throw publicError(
          "duplicate_route",
          400,
          `Route pattern "${r.pattern}" is declared twice with the same conditions`,
          { pattern: r.pattern },
        );
      }
      if (r.kind === "exact") {
        const key = "/" + r.parsed.segments.map((s) => s.value).join("/");
        const bucket = this.#exact.get(key);
        if (bucket) bucket.push(r);
        else this.#exact.set(key, [r]);
      } else if (r.kind === "regex") this.#regex.push(r);
      else this.#insert(r);
    }
    compress(this.#root);
    this.#routes = list;
  }

  /** The compiled routes in priority order (index = rank). */
  get routes(): readonly CompiledRoute<T>[] {
    return this.#routes;
  }

  #insert(r: Route<T>): void {
    let node = this.#root;
    node.minRank = Math.min(node.minRank, r.rank);
    for (const s of r.parsed.segments) {
      let next: TrieNode<T> | undefined;
      if (s.kind === "static") {
        node.statics ??= new Array(256).fill(undefined);
        const code = segmentHash(s.value, 0, s.value.length);
        let bucket = node.statics[code];
        if (!bucket) node.statics[code] = bucket = [];
        next = bucket.find((e) => e.key === s.value)?.node;
        if (!next) bucket.push({ key: s.value, node: next = newNode() });
      } else {
        const edge = node.params.find((e) => e.re?.source === s.regex?.source);
        if (edge) next = edge.node;
        else {
          next = newNode();
          node.params.push({ re: s.regex, node: next });
          // Constrained edges first, by regex source; the unconstrained edge last.
          node.params.sort((a, b) =>
            a.re && b.re ? cmpStr(a.re.source, b.re.source) : a.re ? -1 : b.re ? 1 : 0
          );
        }
      }
      node = next;
      node.minRank = Math.min(node.minRank, r.rank);
    }
    (r.kind === "wildcard" ? node.wildcards : node.terminal).push(r);
  }

  #matchRegex(path: string, conditions: MatchConditions): Route<T> | null {
    if (this.#regex.length === 0 || path.length > MAX_REGEX_PATH) return null;
    for (const r of this.#regex) {
      if (conditionsHold(r, conditions) && r.regex!.matches(path)) return r;
    }
    return null;
  }

  #regexResult(r: Route<T>, path: string): RouteMatch<T> {
    const params: Record<string, string> = {};
    if (r.paramNames.length > 0) {
      const m = r.regex!.matcher(path);
      m.matches();
      for (const name of r.paramNames) {
        const v = m.group(name);
        if (v !== null && v !== undefined) params[name] = decodeParam(v);
      }
    }
    return { route: r, params, remainder: undefined };
  }

  /**
   * Finds the best route for a path.
   *
   * @param path The URL path, percent-encoded as received (`url.pathname`).
   * @param conditions The method and headers; a `Request` can be passed as is.
   * @returns The winning route with its parameters and remainder, or `null`.
   */
  match(path: string, conditions: MatchConditions): RouteMatch<T> | null {
    // The path is walked in place: `len` ignores one trailing "/", the root has no segment.
    const slash = path.length > 1 && path.charCodeAt(path.length - 1) === 47;
    const len = path.length === 1 ? 0 : slash ? path.length - 1 : path.length;
    const exact = this.#exact.get(slash ? path.slice(0, len) : path);
    if (exact !== undefined) {
      for (let i = 0; i < exact.length; i++) {
        const r = exact[i]!;
        if (conditionsHold(r, conditions)) return { route: r, params: {}, remainder: undefined };
      }
    }
    const found = this.#root.minRank === Infinity
      ? null
      : search(this.#root, path, len, 1, conditions, null);
    const best = found !== null && found.kind !== "wildcard"
      ? found
      : this.#matchRegex(path, conditions) ?? found;
    if (best === null) return null;
    if (best.kind === "regex") return this.#regexResult(best, path);
    const params: Record<string, string> = {};
    const idx = best.paramIdx;
    if (idx.length > 0) {
      // Segment starts are found again for the winner only.
      let start = 1;
      let seg = 1;
      for (let k = 0; k < idx.length; k++) {
        while (seg < idx[k]!) {
          start = path.indexOf("/", start) + 1;
          seg++;
        }
        let end = path.indexOf("/", start);
        if (end === -1 || end > len) end = len;
        params[best.paramNames[k]!] = decodeParam(path.slice(start, end));
      }
    }
    let remainder: string | undefined;
    if (best.kind === "wildcard") {
      let pos = 0;
      for (let k = 0; k < best.parsed.segments.length; k++) {
        const next = path.indexOf("/", pos + 1);
        pos = next === -1 || next > len ? len : next;
      }
      remainder = path.slice(pos);
    }
    return { route: best, params, remainder };
  }
}
