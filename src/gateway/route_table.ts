/**
 * Route tables: the plain form (`{ "/api/*": "https://api.example.com" }`),
 * the object form with per-route settings, their validation with zod, and
 * their normalisation into {@linkcode RouteSpec}s.
 *
 * @module
 */
import { z } from "zod";
import { publicError } from "../common/errors.ts";
import type { HeaderCondition } from "./route_matcher.ts";
import { parseTarget } from "./target_url.ts";
import { type CachePolicy, cacheSchema } from "./response_cache.ts";
import { type TransformConfig, transformSchema } from "./route_transform.ts";

/** A target with a balancing weight. */
export interface WeightedTarget {
  /** `http(s)://`, `ws(s)://` or `actor://name/key/path`. */
  url: string;
  /** Relative weight for `weighted` balancing. @default {1} */
  weight?: number;
}

/** Retries of idempotent requests without a body, before any byte reaches the client. */
export interface RetryConfig {
  /** Extra attempts after the first. */
  attempts: number;
  /** First delay in milliseconds, doubled per retry, with jitter. @default {50} */
  backoff?: number;
  /** Upper bound of a delay in milliseconds. @default {1000} */
  maxBackoff?: number;
  /** Upstream statuses that count as failures and are retried. @default {[502, 503, 504]} */
  on?: number[];
}

/** A circuit breaker per target. */
export interface CircuitBreakerConfig {
  /** Consecutive failures that open the breaker. @default {5} */
  failures?: number;
  /** Milliseconds an open breaker waits before letting one probe through. @default {30000} */
  resetAfter?: number;
}

/** A token-bucket rate limit. */
export interface RateLimitConfig {
  /** Tokens added per window. */
  limit: number;
  /** Window in milliseconds. @default {1000} */
  window?: number;
  /** Bucket size (the largest burst). @default {limit} */
  burst?: number;
  /** One bucket for the route, or one per client address. @default {"route"} */
  by?: "route" | "client";
}

/** The object form of a route, with its settings. */
export interface RouteConfig {
  /** One target. Exactly one of `target` and `targets` is required. */
  target?: string;
  /** Several targets, balanced. */
  targets?: (string | WeightedTarget)[];
  /** How `targets` are chosen. @default {"round-robin"} */
  balance?: "round-robin" | "weighted";
  /** Methods this route accepts; `GET` implies `HEAD`. Absent: any method. */
  methods?: string[];
  /** Header conditions: a value, `true` (present) or `false` (absent). */
  headers?: Record<string, HeaderCondition>;
  /** Milliseconds to wait for response headers. @default {the router's proxyTimeout} */
  timeout?: number;
  /** Retries: a number of extra attempts, or the full settings. */
  retries?: number | RetryConfig;
  /** A circuit breaker per target: `true` for the defaults. */
  circuitBreaker?: boolean | CircuitBreakerConfig;
  /** A token-bucket rate limit (429 with `Retry-After` when empty). */
  rateLimit?: RateLimitConfig;
  /** The name of an auth hook given to the router (`authHooks`). */
  auth?: string;
  /** Header, path and body transformation (see {@linkcode TransformConfig}). */
  transform?: TransformConfig;
  /** Caching of `GET`/`HEAD` answers: a TTL in milliseconds, or a {@linkcode CachePolicy}. */
  cache?: number | CachePolicy;
}

/** One entry of a table: a target URL, a route object, or several variants. */
export type RouteEntry = string | RouteConfig | (string | RouteConfig)[];

/**
 * A function's route table: keys are patterns, optionally prefixed with
 * methods (`"GET,HEAD /api/*"`); values are targets or route objects, or an
 * array of variants of one pattern (e.g. with different header conditions).
 */
export type RouteTable = Record<string, RouteEntry>;

/** A normalised route, ready to compile. */
export interface RouteSpec {
  /** Unique within the table: the key and the variant index. */
  id: string;
  /** The path pattern. */
  pattern: string;
  /** Methods, or `undefined` for any. */
  methods: string[] | undefined;
  /** Header conditions. */
  headers: Record<string, HeaderCondition> | undefined;
  /** Targets with weights (≥ 1 entry). */
  targets: { url: string; weight: number }[];
  /** The balancing strategy. */
  balance: "round-robin" | "weighted";
  /** Timeout in milliseconds, when set on the route. */
  timeout: number | undefined;
  /** Retry settings with defaults filled in, or `undefined`. */
  retries: Required<RetryConfig> | undefined;
  /** Breaker settings with defaults filled in, or `undefined`. */
  circuitBreaker: Required<CircuitBreakerConfig> | undefined;
  /** Rate limit settings with defaults filled in, or `undefined`. */
  rateLimit: Required<RateLimitConfig> | undefined;
  /** The auth hook name, or `undefined`. */
  auth: string | undefined;
  /** The transformation, or `undefined`. */
  transform: TransformConfig | undefined;
  /** The caching policy, or `undefined`. */
  cache: CachePolicy | undefined;
}

const positive = z.number().finite().positive();
const count = z.number().int().nonnegative();
const methodName = z.string().regex(/^[A-Za-z]+$/);

const routeConfigSchema = z.strictObject({
  target: z.string().optional(),
  targets: z.array(
    z.union([z.string(), z.strictObject({ url: z.string(), weight: positive.optional() })]),
  ).min(1).optional(),
  balance: z.enum(["round-robin", "weighted"]).optional(),
  methods: z.array(methodName).min(1).optional(),
  headers: z.record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/),
    z.union([z.string(), z.boolean()]),
  )
    .optional(),
  timeout: positive.optional(),
  retries: z.union([
    count,
    z.strictObject({
      attempts: count,
      backoff: z.number().nonnegative().optional(),
      maxBackoff: z.number().nonnegative().optional(),
      on: z.array(z.number().int().min(500).max(599)).optional(),
    }),
  ]).optional(),
  circuitBreaker: z.union([
    z.boolean(),
    z.strictObject({
      failures: z.number().int().positive().optional(),
      resetAfter: positive.optional(),
    }),
  ]).optional(),
  rateLimit: z.strictObject({
    limit: positive,
    window: positive.optional(),
    burst: positive.optional(),
    by: z.enum(["route", "client"]).optional(),
  }).optional(),
  auth: z.string().min(1).optional(),
  transform: transformSchema.optional(),
  cache: cacheSchema.optional(),
}).refine((r) => (r.target === undefined) !== (r.targets === undefined), {
  message: 'exactly one of "target" and "targets" is required',
});

const entrySchema = z.union([z.string(), routeConfigSchema]);
const tableSchema = z.record(z.string(), z.union([entrySchema, z.array(entrySchema).min(1)]));

function invalidTable(message: string, metadata?: unknown): Error {
  return publicError("invalid_route_table", 400, message, metadata);
}

const KEY = /^(?:([A-Za-z]+(?:,[A-Za-z]+)*)\s+)?(\/.*|~.+)$/;

/**
 * Validates a route table and normalises it into route specs. Patterns are
 * checked when the table is compiled (see {@linkcode RouteMatcher}). A key is
 * a path pattern (`/users/:id`) or a whole-path regex after `~`
 * (`~/v[0-9]+/.*`), optionally after methods (`GET,HEAD /x`).
 *
 * @param table The table, e.g. parsed from JSON.
 * @returns One spec per route variant.
 * @throws {SwitchyardError} `invalid_route_table` (400) naming the first
 * problem; `invalid_route_target` (400) for a malformed target.
 *
 * @example Plain and object forms
 * ```ts
 * import { parseRouteTable } from "@switchyard/core/gateway";
 * const specs = parseRouteTable({
 *   "/api/users/*": "https://users.example.com",
 *   "POST /api/orders": { targets: ["https://a.example.com", "https://b.example.com"], retries: 0 },
 * });
 * console.assert(specs.length === 2 && specs[1]!.methods![0] === "POST");
 * ```
 */
export function parseRouteTable(table: unknown): RouteSpec[] {
  const parsed = tableSchema.safeParse(table);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map(String).join(".");
    throw invalidTable(
      `Route table is invalid at "${where}": ${issue.message}`,
      { path: issue.path.map(String) },
    );
  }
  const specs: RouteSpec[] = [];
  for (const [key, entry] of Object.entries(parsed.data)) {
    const m = KEY.exec(key.trim());
    if (m === null) {
      throw invalidTable(
        `Route key "${key}" must be a pattern or "~" and a regex, optionally after methods`,
        { route: key },
      );
    }
    const keyMethods = m[1]?.toUpperCase().split(",");
    const variants = Array.isArray(entry) ? entry : [entry];
    variants.forEach((v, i) => {
      const cfg: RouteConfig = typeof v === "string" ? { target: v } : v;
      if (keyMethods && cfg.methods) {
        throw invalidTable(`Route "${key}" gives methods both in its key and in "methods"`);
      }
      const targets = (cfg.targets ?? [cfg.target!]).map((t) =>
        typeof t === "string" ? { url: t, weight: 1 } : { url: t.url, weight: t.weight ?? 1 }
      );
      for (const t of targets) parseTarget(t.url);
      const r = typeof cfg.retries === "number" ? { attempts: cfg.retries } : cfg.retries;
      const cb = cfg.circuitBreaker === true ? {} : cfg.circuitBreaker || undefined;
      const rl = cfg.rateLimit;
      specs.push({
        id: variants.length > 1 ? `${key}#${i}` : key,
        pattern: m[2]!,
        methods: keyMethods ?? cfg.methods?.map((x) => x.toUpperCase()),
        headers: cfg.headers,
        targets,
        balance: cfg.balance ?? "round-robin",
        timeout: cfg.timeout,
        retries: r && r.attempts > 0
          ? {
            attempts: r.attempts,
            backoff: r.backoff ?? 50,
            maxBackoff: r.maxBackoff ?? 1000,
            on: r.on ?? [502, 503, 504],
          }
          : undefined,
        circuitBreaker: cb
          ? { failures: cb.failures ?? 5, resetAfter: cb.resetAfter ?? 30_000 }
          : undefined,
        rateLimit: rl
          ? {
            limit: rl.limit,
            window: rl.window ?? 1000,
            burst: rl.burst ?? rl.limit,
            by: rl.by ?? "route",
          }
          : undefined,
        auth: cfg.auth,
        transform: cfg.transform,
        cache: typeof cfg.cache === "number" ? { ttl: cfg.cache } : cfg.cache,
      });
    });
  }
  return specs;
}
