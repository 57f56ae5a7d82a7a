/**
 * The segment trie of {@linkcode RouteMatcher}: literal chains compressed
 * into one edge, children bucketed by a segment hash, a depth-first search
 * pruned by rank. Private to the gateway.
 *
 * @module
 */
import type { Route } from "./_route_compile.ts";
import type { MatchConditions } from "./route_matcher.ts";

export interface StaticEdge<T> {
  key: string;
  node: TrieNode<T>;
}

export interface TrieNode<T> {
  /** Literal children, bucketed by {@linkcode segmentHash} of their first segment. */
  statics: (StaticEdge<T>[] | undefined)[] | null;
  params: { re: RegExp | undefined; node: TrieNode<T> }[];
  terminal: Route<T>[];
  wildcards: Route<T>[];
  minRank: number;
}

export function newNode<T>(): TrieNode<T> {
  return { statics: null, params: [], terminal: [], wildcards: [], minRank: Infinity };
}

/** A cheap hash of one segment (`s[start..end)`, non-empty): first and last char, length. */
export function segmentHash(s: string, start: number, end: number): number {
  return (s.charCodeAt(start) * 7 + s.charCodeAt(end - 1) * 13 + (end - start) * 31) & 255;
}

/**
 * Merges chains of literal-only nodes into one edge (`api` then `v1` becomes
 * `api/v1`), so a static prefix is compared once instead of per segment.
 */
export function compress<T>(node: TrieNode<T>): void {
  for (const bucket of node.statics ?? []) {
    for (const edge of bucket ?? []) {
      for (;;) {
        const child = edge.node;
        const only = child.statics?.filter((b) => b !== undefined).flat() ?? [];
        if (
          only.length !== 1 || child.params.length > 0 || child.terminal.length > 0 ||
          child.wildcards.length > 0
        ) break;
        edge.key += "/" + only[0]!.key;
        edge.node = only[0]!.node;
      }
      compress(edge.node);
    }
  }
  for (const e of node.params) compress(e.node);
}

export function conditionsHold<T>(r: Route<T>, c: MatchConditions): boolean {
  if (r.unconditional) return true;
  if (r.methodSet !== null && !r.methodSet.has(c.method.toUpperCase())) return false;
  const hc = r.headerConds;
  for (let i = 0; i < hc.length; i++) {
    const [name, want] = hc[i]!;
    const got = c.headers?.get(name) ?? null;
    if (want === true ? got === null : want === false ? got !== null : got !== want) return false;
  }
  return true;
}

/** Finds the best-ranked route below `node` for the path from index `i`. */
export function search<T>(
  node: TrieNode<T>,
  path: string,
  len: number,
  i: number,
  c: MatchConditions,
  best: Route<T> | null,
): Route<T> | null {
  if (best !== null && node.minRank >= best.rank) return best;
  if (i > len) {
    const t = node.terminal;
    for (let k = 0; k < t.length; k++) {
      const r = t[k]!;
      if (best !== null && r.rank >= best.rank) break;
      if (conditionsHold(r, c)) {
        best = r;
        break;
      }
    }
  } else {
    let end = path.indexOf("/", i);
    if (end === -1 || end > len) end = len;
    const bucket = end > i ? node.statics?.[segmentHash(path, i, end)] : undefined;
    if (bucket !== undefined) {
      for (let k = 0; k < bucket.length; k++) {
        const key = bucket[k]!.key;
        // A key covers whole segments: it must end at the path's end or at a "/".
        const ke = i + key.length;
        if ((ke === len || (ke < len && path.charCodeAt(ke) === 47)) && path.startsWith(key, i)) {
          best = search(bucket[k]!.node, path, len, ke + 1, c, best);
          break;
        }
      }
    }
    const ps = node.params;
    if (ps.length > 0) {
      if (end > i) {
        for (let k = 0; k < ps.length; k++) {
          const e = ps[k]!;
          if (best !== null && e.node.minRank >= best.rank) continue;
          if (e.re === undefined || e.re.test(path.slice(i, end))) {
            best = search(e.node, path, len, end + 1, c, best);
          }
        }
      }
    }
  }
  const w = node.wildcards;
  for (let k = 0; k < w.length; k++) {
    const r = w[k]!;
    if (best !== null && r.rank >= best.rank) break;
    if (conditionsHold(r, c)) {
      best = r;
      break;
    }
  }
  return best;
}
