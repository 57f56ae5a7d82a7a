/**
 * Compiling routes for {@linkcode RouteMatcher}: parsed patterns, conditions
 * and the priority order. Private to the gateway.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import type {
  CompiledRoute,
  HeaderCondition,
  RouteDefinition,
  RouteKind,
} from "./route_matcher.ts";
import { type ParsedPattern, parsePattern, parseRegexPattern } from "./route_pattern.ts";
import type { RE2JS } from "re2js";

/** A compiled route with what matching and ranking need. */
export interface Route<T> extends CompiledRoute<T> {
  rank: number;
  readonly parsed: ParsedPattern;
  readonly methodSet: Set<string> | null;
  readonly headerConds: readonly (readonly [string, HeaderCondition])[];
  readonly paramIdx: readonly number[];
  readonly paramNames: readonly string[];
  readonly staticCount: number;
  readonly shape: string;
  readonly unconditional: boolean;
  /** The whole-path regex of a `regex` route. */
  readonly regex: RE2JS | undefined;
}

const KIND_ORDER: Record<RouteKind, number> = { exact: 0, param: 1, regex: 2, wildcard: 3 };

function segWeight(s: ParsedPattern["segments"][number]): number {
  return s.kind === "static" ? 0 : s.constraint !== undefined ? 1 : 2;
}

export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The priority rule (documented in docs/gateway.md): kind (exact, param,
 * regex, wildcard); more literal segments; more segments; segment by segment from
 * the left, literal before constrained parameter before parameter, constraints
 * by regex source; a method condition before none; more header conditions;
 * then the shape (the pattern with parameter names dropped), methods and
 * header conditions in code-unit order. Equal under all of these: duplicates.
 */
export function compareRoutes<T>(a: Route<T>, b: Route<T>): number {
  let d = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (d) return d;
  d = b.staticCount - a.staticCount;
  if (d) return d;
  const sa = a.parsed.segments, sb = b.parsed.segments;
  d = sb.length - sa.length;
  if (d) return d;
  for (let i = 0; i < sa.length; i++) {
    const x = sa[i]!, y = sb[i]!;
    d = segWeight(x) - segWeight(y);
    if (d) return d;
    if (x.constraint !== undefined && y.constraint !== undefined) {
      d = cmpStr(x.constraint, y.constraint);
      if (d) return d;
    }
  }
  d = (a.methodSet ? 0 : 1) - (b.methodSet ? 0 : 1);
  if (d) return d;
  d = b.headerConds.length - a.headerConds.length;
  if (d) return d;
  d = cmpStr(a.shape, b.shape);
  if (d) return d;
  d = cmpStr(String(a.methods), String(b.methods));
  if (d) return d;
  return cmpStr(JSON.stringify(a.headerConds), JSON.stringify(b.headerConds));
}

export function compileRoute<T>(def: RouteDefinition<T>): Route<T> {
  const isRegex = typeof def.pattern === "string" && def.pattern.startsWith("~");
  const re = isRegex ? parseRegexPattern(def.pattern) : undefined;
  const parsed: ParsedPattern = re === undefined
    ? parsePattern(def.pattern)
    : { source: def.pattern, segments: [], wildcard: false };
  const paramIdx: number[] = [];
  const paramNames: string[] = re === undefined ? [] : Object.keys(re.namedGroups());
  let staticCount = 0;
  parsed.segments.forEach((s, i) => {
    if (s.kind === "param") {
      paramIdx.push(i + 1);
      paramNames.push(s.value);
    } else staticCount++;
  });
  const kind: RouteKind = re !== undefined
    ? "regex"
    : parsed.wildcard
    ? "wildcard"
    : paramIdx.length
    ? "param"
    : "exact";
  let methods: string[] | null = null;
  if (def.methods !== undefined) {
    if (def.methods.length === 0) {
      throw publicError(
        "invalid_route_pattern",
        400,
        `Route pattern "${def.pattern}" has an empty method list`,
        { pattern: def.pattern },
      );
    }
    methods = [...new Set(def.methods.map((m) => m.toUpperCase()))].sort();
  }
  const methodSet = methods ? new Set(methods) : null;
  if (methodSet?.has("GET")) methodSet.add("HEAD");
  const headerConds = Object.entries(def.headers ?? {})
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort((x, y) => cmpStr(x[0], y[0]));
  return {
    pattern: def.pattern,
    kind,
    methods,
    rank: 0,
    data: def.data,
    parsed,
    methodSet,
    headerConds,
    paramIdx,
    paramNames,
    staticCount,
    unconditional: methodSet === null && headerConds.length === 0,
    regex: re,
    shape: re !== undefined
      ? def.pattern
      : parsed.segments.map((s) => s.kind === "static" ? s.value : `:(${s.constraint ?? ""})`)
        .join("/") + (parsed.wildcard ? "/*" : ""),
  };
}
