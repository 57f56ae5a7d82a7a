/**
 * {@linkcode GatewayMetrics}: the route proxy's counters per function, route
 * and target (requests by status class, latency histograms, upstream errors
 * by kind, rate-limit refusals, cache results), circuit-breaker states, and
 * their Prometheus text.
 *
 * @module
 */
import type { CircuitState } from "./circuit_breaker.ts";
import type { ProxyOutcome } from "./proxy_errors.ts";

/** Upper bounds of the latency histogram buckets, in seconds (`+Inf` follows). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Why an upstream exchange failed, as counted. */
export type UpstreamErrorKind = "timeout" | "refused" | "reset" | "other";

/** The status classes counted. */
const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** Counters of one route, target or both. */
export interface TrafficStats {
  /** Answered requests by status class (`2xx`…), including the gateway's own answers. */
  requests: Record<string, number>;
  /** Latency: bucket counts by upper bound in seconds (cumulative, as Prometheus), sum and count. */
  latency: { buckets: Record<string, number>; sum: number; count: number };
  /** Upstream failures by kind. */
  upstreamErrors: Record<UpstreamErrorKind, number>;
  /** Requests refused by the route's rate limit (429). */
  rateLimited: number;
  /** Response-cache lookups: fresh hits, stale hits (served while revalidating), misses. */
  cache: { hits: number; stale: number; misses: number };
}

/** What {@linkcode GatewayMetrics.prototype.snapshot} reports. */
export interface GatewayTraffic {
  /** By `functionId route-id`. */
  routes: Record<string, TrafficStats>;
  /** By target URL as written in the table. */
  targets: Record<string, TrafficStats & { breaker: CircuitState | null }>;
}

/**
 * One counting cell: a function's route and one of its targets (or `""` for the route itself).
 *
 * @example Count answers of one route and target
 * ```ts
 * import { GatewayMetrics, MetricCell } from "@switchyard/core/gateway";
 * const metrics = new GatewayMetrics();
 * const cell = metrics.cell("shop", "/api/*", "http://127.0.0.1:9000");
 * console.assert(cell instanceof MetricCell);
 * cell.observe(200, 0.012);
 * cell.observe(503, 0.4);
 * console.assert(cell.status[1] === 1 && cell.status[4] === 1); // one 2xx, one 5xx
 * console.assert(Math.abs(cell.sum - 0.412) < 1e-9);
 * ```
 */
export class MetricCell {
  /** The function id. */
  readonly functionId: string;
  /** The route id (its key in the table). */
  readonly route: string;
  /** The target URL as written, or `""` for events of the route itself. */
  readonly target: string;
  /** Answers by status class index (0 = 1xx). */
  readonly status: number[] = [0, 0, 0, 0, 0];
  /** Histogram counts, not cumulative; the last slot is `+Inf`. */
  readonly buckets: number[] = new Array(LATENCY_BUCKETS.length + 1).fill(0);
  /** Sum of latencies in seconds. */
  sum = 0;
  /** Upstream errors by kind. */
  readonly errors: Record<UpstreamErrorKind, number> = {
    timeout: 0,
    refused: 0,
    reset: 0,
    other: 0,
  };
  /** Rate-limit refusals. */
  rateLimited = 0;
  /** Fresh cache hits. */
  cacheHits = 0;
  /** Stale cache hits. */
  cacheStale = 0;
  /** Cache misses. */
  cacheMisses = 0;

  /**
   * Creates an empty cell.
   *
   * @param functionId The function id.
   * @param route The route id.
   * @param target The target URL, or `""`.
   */
  constructor(functionId: string, route: string, target: string) {
    this.functionId = functionId;
    this.route = route;
    this.target = target;
  }

  /**
   * Counts one answer and its latency.
   *
   * @param status The status sent to the client.
   * @param seconds The time from the request to the response headers.
   */
  observe(status: number, seconds: number): void {
    const c = (status / 100 | 0) - 1;
    this.status[c < 0 ? 0 : c > 4 ? 4 : c]!++;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
  }
}

/**
 * Tells an upstream failure's kind from the transport's error: `timeout`,
 * `refused` (nothing listens), `reset` (the connection broke), or `other`.
 *
 * @param outcome A failed attempt.
 * @returns The kind.
 *
 * @example A refused connection, found in the error's causes
 * ```ts
 * import { upstreamErrorKind } from "@switchyard/core/gateway";
 * const kind = upstreamErrorKind({
 *   ok: false,
 *   kind: "unreachable",
 *   target: "http://127.0.0.1:9",
 *   message: 'Upstream "http://127.0.0.1:9" is unreachable',
 *   cause: new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }),
 * });
 * console.assert(kind === "refused");
 * ```
 */
export function upstreamErrorKind(outcome: ProxyOutcome & { ok: false }): UpstreamErrorKind {
  if (outcome.kind === "timeout") return "timeout";
  let err = outcome.cause;
  for (let depth = 0; depth < 6 && typeof err === "object" && err !== null; depth++) {
    const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    const text = `${e.name} ${e.code} ${e.message}`;
    if (/refused/i.test(text)) return "refused";
    if (
      /reset|EPIPE|BrokenPipe|UND_ERR_SOCKET|closed the connection|other side closed/i.test(text)
    ) {
      return "reset";
    }
    err = e.cause;
  }
  return "other";
}

function emptyTraffic(): TrafficStats {
  return {
    requests: Object.fromEntries(CLASSES.map((c) => [c, 0])),
    latency: { buckets: {}, sum: 0, count: 0 },
    upstreamErrors: { timeout: 0, refused: 0, reset: 0, other: 0 },
    rateLimited: 0,
    cache: { hits: 0, stale: 0, misses: 0 },
  };
}

function add(into: TrafficStats, cell: MetricCell): void {
  CLASSES.forEach((c, i) => into.requests[c]! += cell.status[i]!);
  let cumulative = 0;
  cell.buckets.forEach((n, i) => {
    cumulative += n;
    const le = i < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[i]) : "+Inf";
    into.latency.buckets[le] = (into.latency.buckets[le] ?? 0) + cumulative;
  });
  into.latency.sum += cell.sum;
  into.latency.count += cumulative;
  for (const k of Object.keys(cell.errors) as UpstreamErrorKind[]) {
    into.upstreamErrors[k] += cell.errors[k];
  }
  into.rateLimited += cell.rateLimited;
  into.cache.hits += cell.cacheHits;
  into.cache.stale += cell.cacheStale;
  into.cache.misses += cell.cacheMisses;
}

/** Escapes a Prometheus label value. */
function esc(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

const MAX_CELLS = 100_000;

/**
 * The route proxy's counters. Cells are kept per function, route and target,
 * so they survive reloads of a function's table; breaker states are read
 * when a snapshot or the Prometheus text is made.
 *
 * @example Count one answer and render it
 * ```ts
 * import { GatewayMetrics } from "@switchyard/core/gateway";
 * const m = new GatewayMetrics();
 * m.cell("shop", "/api/*", "http://api.test").observe(200, 0.012);
 * console.assert(m.render().includes('class="2xx"'));
 * ```
 */
export class GatewayMetrics {
  #cells = new Map<string, MetricCell>();
  #breakers: () => Iterable<readonly [string, CircuitState]>;

  /**
   * Creates empty counters.
   *
   * @param breakers Lists each breaker's target and state, when asked.
   */
  constructor(breakers: () => Iterable<readonly [string, CircuitState]> = () => []) {
    this.#breakers = breakers;
  }

  /**
   * The cell of a function's route and target, made on first use.
   *
   * @param functionId The function id.
   * @param route The route id.
   * @param target The target URL, or `""` for the route's own events.
   * @returns The cell.
   */
  cell(functionId: string, route: string, target: string): MetricCell {
    const key = `${functionId}\u0000${route}\u0000${target}`;
    let c = this.#cells.get(key);
    if (c === undefined) {
      // A bound on distinct series: the oldest are forgotten first.
      if (this.#cells.size >= MAX_CELLS) this.#cells.delete(this.#cells.keys().next().value!);
      c = new MetricCell(functionId, route, target);
      this.#cells.set(key, c);
    }
    return c;
  }

  /**
   * Totals per route and per target.
   *
   * @returns The snapshot.
   */
  snapshot(): GatewayTraffic {
    const routes: GatewayTraffic["routes"] = {};
    const targets: GatewayTraffic["targets"] = {};
    for (const c of this.#cells.values()) {
      add(routes[`${c.functionId} ${c.route}`] ??= emptyTraffic(), c);
      if (c.target !== "") add(targets[c.target] ??= { ...emptyTraffic(), breaker: null }, c);
    }
    for (const [target, state] of this.#breakers()) {
      (targets[target] ??= { ...emptyTraffic(), breaker: null }).breaker = state;
    }
    return { routes, targets };
  }

  /**
   * The Prometheus text format (0.0.4) of every counter.
   *
   * @returns The exposition text, ending with a newline.
   */
  render(): string {
    const req: string[] = [], hist: string[] = [], errs: string[] = [], rl: string[] = [];
    const cache: string[] = [];
    for (const c of this.#cells.values()) {
      const base = `function="${esc(c.functionId)}",route="${esc(c.route)}",target="${
        esc(c.target)
      }"`;
      CLASSES.forEach((cls, i) => {
        if (c.status[i]! > 0) {
          req.push(`switchyard_gateway_requests_total{${base},class="${cls}"} ${c.status[i]}`);
        }
      });
      let cumulative = 0;
      for (let i = 0; i < c.buckets.length; i++) cumulative += c.buckets[i]!;
      if (cumulative > 0) {
        let running = 0;
        c.buckets.forEach((n, i) => {
          running += n;
          const le = i < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[i]) : "+Inf";
          hist.push(
            `switchyard_gateway_request_duration_seconds_bucket{${base},le="${le}"} ${running}`,
          );
        });
        hist.push(`switchyard_gateway_request_duration_seconds_sum{${base}} ${c.sum}`);
        hist.push(`switchyard_gateway_request_duration_seconds_count{${base}} ${cumulative}`);
      }
      for (const [kind, n] of Object.entries(c.errors)) {
        if (n > 0) {
          errs.push(`switchyard_gateway_upstream_errors_total{${base},kind="${kind}"} ${n}`);
        }
      }
      if (c.rateLimited > 0) {
        rl.push(`switchyard_gateway_rate_limited_total{${base}} ${c.rateLimited}`);
      }
      for (
        const [result, n] of [["hit", c.cacheHits], ["stale", c.cacheStale], [
          "miss",
          c.cacheMisses,
        ]] as const
      ) {
        if (n > 0) cache.push(`switchyard_gateway_cache_total{${base},result="${result}"} ${n}`);
      }
    }
    const breakers: string[] = [];
    for (const [target, state] of this.#breakers()) {
      for (const s of ["closed", "open", "half-open"] as const) {
        breakers.push(
          `switchyard_gateway_circuit_state{target="${esc(target)}",state="${s}"} ${
            s === state ? 1 : 0
          }`,
        );
      }
    }
    return [
      "# HELP switchyard_gateway_requests_total Requests answered by the route proxy, by status class.",
      "# TYPE switchyard_gateway_requests_total counter",
      ...req,
      "# HELP switchyard_gateway_request_duration_seconds Time to the response headers.",
      "# TYPE switchyard_gateway_request_duration_seconds histogram",
      ...hist,
      "# HELP switchyard_gateway_upstream_errors_total Failed upstream exchanges, by kind.",
      "# TYPE switchyard_gateway_upstream_errors_total counter",
      ...errs,
      "# HELP switchyard_gateway_rate_limited_total Requests refused by a route's rate limit.",
      "# TYPE switchyard_gateway_rate_limited_total counter",
      ...rl,
      "# HELP switchyard_gateway_cache_total Response-cache lookups, by result.",
      "# TYPE switchyard_gateway_cache_total counter",
      ...cache,
      "# HELP switchyard_gateway_circuit_state Circuit breaker state per target (1 = current).",
      "# TYPE switchyard_gateway_circuit_state gauge",
      ...breakers,
    ].join("\n") + "\n";
  }
}
