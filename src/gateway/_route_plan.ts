/**
 * Running a request through a compiled route of {@linkcode RuntimeRouter}:
 * auth hook, rate limit, response cache, transformation, then attempts with
 * balancing, breakers and retries, all counted. Private to the gateway.
 *
 * @module
 */
import { deadlines } from "../common/deadlines.ts";
import { SwitchyardError } from "../common/errors.ts";
import type { CircuitBreaker } from "./circuit_breaker.ts";
import { type MetricCell, upstreamErrorKind } from "./gateway_metrics.ts";
import { failureResponse, proxyErrorResponse, type ProxyOutcome } from "./proxy_errors.ts";
import type { RequestProxy } from "./request_proxy.ts";
import { type ResponseCache, withCacheStatus } from "./response_cache.ts";
import type { RouteSpec } from "./route_table.ts";
import { readBounded, type RouteTransform } from "./route_transform.ts";
import type { AuthHook } from "./runtime_router.ts";
import { buildTargetUrl, type ParsedTarget, type RequestUrlParts } from "./target_url.ts";
import type { TargetPool } from "./target_pool.ts";
import { TokenBucket } from "./token_bucket.ts";

/** A target of a compiled route. */
export interface Target {
  parsed: ParsedTarget;
  breaker: CircuitBreaker | undefined;
  cell: MetricCell | undefined;
}

/** A compiled route. */
export interface Plan {
  functionId: string;
  spec: RouteSpec;
  pool: TargetPool<Target>;
  targets: ParsedTarget[];
  auth: AuthHook | undefined;
  simple: Target | undefined;
  transform: RouteTransform | undefined;
  cache: ResponseCache | undefined;
  cell: MetricCell | undefined;
}

/** One request on its way through a plan. */
export interface Call {
  request: Request;
  plan: Plan;
  path: string;
  params: Record<string, string>;
  remainder: string | undefined;
  url: RequestUrlParts;
  clientAddress: string | undefined;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const MAX_BUCKETS = 10_000;

/** Runs calls for one router (its proxy, clock, rate-limit buckets and body limit). */
export class PlanRunner {
  #proxy: RequestProxy;
  #now: () => number;
  #maxBody: number;
  #buckets = new Map<string, TokenBucket>();

  constructor(proxy: RequestProxy, now: () => number, maxBody: number) {
    this.#proxy = proxy;
    this.#now = now;
    this.#maxBody = maxBody;
  }

  /** The answer of a last attempt, counted. */
  settle(outcome: ProxyOutcome, cell: MetricCell | undefined, t0: number): Response {
    let res: Response;
    if (outcome.ok) res = outcome.response;
    else {
      res = failureResponse(outcome);
      OWN.add(res);
    }
    if (cell !== undefined) {
      if (!outcome.ok) cell.errors[upstreamErrorKind(outcome)]++;
      cell.observe(res.status, (this.#now() - t0) / 1000);
    }
    return res;
  }

  /**
   * Runs a request that is not a plain forward: auth hook, rate limit,
   * response cache, then transformation and the attempts.
   */
  async run(call: Call): Promise<Response> {
    const { plan, request } = call;
    if (plan.auth !== undefined) {
      const answer = await plan.auth(request, {
        functionId: plan.functionId,
        pattern: plan.spec.pattern,
        params: call.params,
      });
      if (answer instanceof Response) return answer;
    }
    const rl = plan.spec.rateLimit;
    if (rl !== undefined) {
      const wait = this.#bucket(plan.functionId, plan.spec, call.clientAddress).take();
      if (wait > 0) {
        if (plan.cell !== undefined) {
          plan.cell.rateLimited++;
          plan.cell.observe(429, 0);
        }
        return proxyErrorResponse(
          429,
          "rate_limited",
          `Route "${plan.spec.id}" allows ${rl.limit} requests per ${rl.window} ms`,
          label(call),
          { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
        );
      }
    }
    return plan.cache === undefined ? this.#transformed(call) : this.#cached(call, plan.cache);
  }

  async #cached(call: Call, cache: ResponseCache): Promise<Response> {
    const { request, plan } = call;
    const why = cache.bypass(request);
    if (why !== null) {
      const res = await this.#transformed(call);
      return why === "method" ? res : withCacheStatus(res, `fwd=bypass; detail=${why}`);
    }
    const key = call.path + call.url.search;
    const hit = cache.lookup(key, request);
    const cell = plan.cell;
    if (hit.state !== "miss") {
      if (cell !== undefined) {
        if (hit.state === "fresh") cell.cacheHits++;
        else cell.cacheStale++;
        cell.observe(hit.response!.status, 0);
      }
      if (hit.revalidate) this.#revalidate(call, cache, key);
      return hit.response!;
    }
    if (cell !== undefined) cell.cacheMisses++;
    const res = await this.#transformed(call);
    return OWN.has(res) ? res : await cache.store(key, request, res);
  }

  /** Refreshes a stale entry in the background; the client already has its answer. */
  #revalidate(call: Call, cache: ResponseCache, key: string): void {
    const request = new Request(call.request.url, { headers: call.request.headers });
    this.#transformed({ ...call, request })
      .then((res) => OWN.has(res) ? res : cache.store(key, request, res))
      .then((res) => res.body?.cancel(), () => {})
      .finally(() => cache.revalidated(key));
  }

  /** The route's transformation around the attempts. */
  async #transformed(call: Call): Promise<Response> {
    const t = call.plan.transform;
    if (t === undefined) return this.#send(call, undefined);
    const { plan, params } = call;
    const context = { functionId: plan.functionId, route: plan.spec.id, params };
    let request = call.request;
    try {
      if (t.requestBody !== undefined && request.body !== null && !NO_BODY.has(request.method)) {
        const bytes = await readBounded(request.body, this.#maxBody, "request");
        const headers = new Headers(request.headers);
        const body = await t.requestBody(bytes, { ...context, phase: "request", headers });
        headers.delete("content-length");
        request = new Request(request.url, {
          method: request.method,
          headers,
          body: body as BodyInit,
        });
      }
      const remainder = t.rewritePath(call.path, call.remainder, params);
      const res = await this.#send({ ...call, request, remainder }, t.requestHeaders);
      return !t.editsResponse || OWN.has(res) ? res : await t.response(res, context, this.#maxBody);
    } catch (err) {
      const e = err instanceof SwitchyardError && err.public ? err : undefined;
      return proxyErrorResponse(
        e?.status ?? 500,
        e?.code ?? "transform_failed",
        e?.message ?? `Body transform of route "${plan.spec.id}" failed`,
        label(call),
      );
    }
  }

  #bucket(functionId: string, spec: RouteSpec, client: string | undefined): TokenBucket {
    const rl = spec.rateLimit!;
    const key = `${functionId}\u0000${spec.id}\u0000${rl.by === "client" ? client ?? "" : ""}`;
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) {
        // Forget full buckets first (nothing is lost), then the oldest.
        for (const [k, v] of this.#buckets) if (v.full) this.#buckets.delete(k);
        if (this.#buckets.size >= MAX_BUCKETS) {
          this.#buckets.delete(this.#buckets.keys().next().value!);
        }
      }
      b = new TokenBucket({ ...rl, now: this.#now });
      this.#buckets.set(key, b);
    }
    return b;
  }

  async #send(
    call: Call,
    editHeaders: ((fields: [string, string][]) => [string, string][]) | undefined,
  ): Promise<Response> {
    const { request, plan, remainder, url } = call;
    const retry = plan.spec.retries;
    // A body is a stream that can be sent once; non-idempotent methods never repeat.
    const method = request.method;
    const attempts = retry !== undefined && IDEMPOTENT.has(method) &&
        (method === "GET" || method === "HEAD" || request.body === null)
      ? 1 + retry.attempts
      : 1;
    const retryOn = retry?.on ?? [502, 503, 504];
    const tried = new Set<Target>();
    const t0 = this.#now();
    for (let i = 0;; i++) {
      const target = plan.pool.pick((t) => t.breaker === undefined || t.breaker.allow(), tried);
      if (target === undefined) {
        plan.cell?.observe(503, (this.#now() - t0) / 1000);
        const res = proxyErrorResponse(
          503,
          "circuit_open",
          `Every target of route "${plan.spec.id}" is failing`,
          label(call),
        );
        OWN.add(res);
        return res;
      }
      tried.add(target);
      const outcome = await this.#proxy.attempt(request, {
        target: target.parsed,
        remainder,
        timeout: plan.spec.timeout,
        clientAddress: call.clientAddress,
        url,
        editHeaders,
      });
      const failed = !outcome.ok || retryOn.includes(outcome.response.status);
      target.breaker?.record(!failed);
      if (!failed || i + 1 >= attempts) return this.settle(outcome, target.cell, t0);
      if (!outcome.ok && target.cell !== undefined) {
        target.cell.errors[upstreamErrorKind(outcome)]++;
      }
      // Nothing has been sent to the client yet: drop this answer and try again.
      if (outcome.ok) await outcome.response.body?.cancel();
      const base = Math.min(retry!.maxBackoff, retry!.backoff * 2 ** i);
      const delay = base / 2 + Math.random() * base / 2;
      if (delay > 0) await new Promise<void>((resolve) => deadlines.add(delay, resolve));
    }
  }
}
/** Answers the gateway made itself (never transformed nor cached). */
const OWN = new WeakSet<Response>();
const NO_BODY = new Set(["GET", "HEAD"]);

/** The targets an error names: each target URL with the request path (no query). */
function label(call: Call): string {
  return call.plan.targets.map((t) => fullTarget(t, call.remainder)).join(", ");
}

function fullTarget(target: ParsedTarget, remainder: string | undefined): string {
  if (target.kind === "http") {
    const href = buildTargetUrl(target, remainder, "");
    const q = href.indexOf("?");
    return q === -1 ? href : href.slice(0, q);
  }
  const q = target.source.indexOf("?");
  return (q === -1 ? target.source : target.source.slice(0, q)) + (remainder ?? "");
}
