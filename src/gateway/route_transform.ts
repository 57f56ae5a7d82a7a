/**
 * {@linkcode RouteTransform}: a route's request and response transformation —
 * header edits (set, append, remove), a path rewrite (strip or add a prefix,
 * or a whole new path, with the route's parameters), and named hooks over
 * buffered bodies.
 *
 * @module
 */
import { z } from "zod";
import { publicError } from "../common/errors.ts";
import { concatBytes } from "../common/bytes.ts";
import { HOP_BY_HOP } from "./_headers.ts";

/** Header edits, applied in this order: remove, set, append. Names are case-insensitive. */
export interface HeaderTransform {
  /** Fields to replace (or add). */
  set?: Record<string, string>;
  /** Fields to add beside those present. */
  append?: Record<string, string>;
  /** Fields to drop. */
  remove?: string[];
}

/**
 * How the path sent upstream is made, in place of the wildcard remainder.
 * `:name` in `addPrefix` and `path` takes the matched parameter, percent-encoded;
 * a final `*` in `path` takes the wildcard remainder. The result is checked
 * for escapes like any remainder (400 `path_escape`).
 */
export interface PathRewrite {
  /** Literal prefix removed from the request path when it starts with it (at a `/`). */
  stripPrefix?: string;
  /** Prefix put before the (stripped) request path. */
  addPrefix?: string;
  /** The whole path, e.g. `/v2/:tenant/*`; excludes `stripPrefix` and `addPrefix`. */
  path?: string;
}

/** The request side of a route's transformation. */
export interface RequestTransform extends HeaderTransform {
  /** The path rewrite. */
  path?: PathRewrite;
  /** The name of a body hook given to the router (`bodyTransforms`). */
  body?: string;
}

/** The response side of a route's transformation. */
export interface ResponseTransform extends HeaderTransform {
  /**
   * The name of a body hook given to the router (`bodyTransforms`). The
   * upstream is then asked for an unencoded body (`Accept-Encoding: identity`).
   */
  body?: string;
}

/** A route's `transform` field. */
export interface TransformConfig {
  /** Edits of the request before it is sent. */
  request?: RequestTransform;
  /** Edits of the upstream's response before it is answered. */
  response?: ResponseTransform;
}

/** What a body hook is told. */
export interface BodyTransformContext {
  /** The function whose route matched. */
  functionId: string;
  /** The route id. */
  route: string;
  /** The matched parameters. */
  params: Record<string, string>;
  /** `request` or `response`. */
  phase: "request" | "response";
  /** The fields of the message; the hook may change them (`Content-Length` is recomputed). */
  headers: Headers;
}

/**
 * A body hook, named in a route's `transform.request.body` or
 * `transform.response.body`. It gets the whole body (buffered, up to the
 * router's `maxTransformBody`) and returns the new one.
 */
export type BodyTransform = (
  body: Uint8Array,
  context: BodyTransformContext,
) => Uint8Array | string | Promise<Uint8Array | string>;

const token = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a field name");
const fieldValue = z.string().regex(/^[^\r\n\0]*$/, "must not contain CR, LF or NUL");
const headerOps = {
  set: z.record(token, fieldValue).optional(),
  append: z.record(token, fieldValue).optional(),
  remove: z.array(token).optional(),
};
const prefix = z.string().regex(/^\/[^?#\s]*$/, 'must start with "/" and hold no query');

/** The zod schema of a route's `transform` field. */
export const transformSchema = z.strictObject({
  request: z.strictObject({
    ...headerOps,
    path: z.strictObject({
      stripPrefix: prefix.optional(),
      addPrefix: prefix.optional(),
      path: prefix.optional(),
    }).refine((p) => p.path === undefined || (p.stripPrefix ?? p.addPrefix) === undefined, {
      message: '"path" excludes "stripPrefix" and "addPrefix"',
    }).optional(),
    body: z.string().min(1).optional(),
  }).optional(),
  response: z.strictObject({ ...headerOps, body: z.string().min(1).optional() }).optional(),
});

/** Fields a transformation may not write: framing and hop-by-hop fields, and `Host`. */
const RESERVED = new Set([...HOP_BY_HOP, "host", "content-length"]);

function invalid(route: string, message: string): Error {
  return publicError(
    "invalid_route_transform",
    400,
    `Route "${route}" has an invalid transform: ${message}`,
    { route },
  );
}

/** Edits a list of lower-case header fields, returning the new list. */
export type HeaderEdit = (fields: [string, string][]) => [string, string][];

function headerEdit(route: string, ops: HeaderTransform | undefined): HeaderEdit | undefined {
  if (ops === undefined) return undefined;
  const remove = new Set((ops.remove ?? []).map((n) => n.toLowerCase()));
  const set = Object.entries(ops.set ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  const append = Object.entries(ops.append ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  for (const [name] of [...set, ...append]) {
    if (RESERVED.has(name)) throw invalid(route, `field "${name}" cannot be written`);
  }
  if (remove.size + set.length + append.length === 0) return undefined;
  for (const [name] of set) remove.add(name);
  return (fields) => {
    const out = remove.size === 0 ? fields : fields.filter(([n]) => !remove.has(n));
    for (const [n, v] of set) out.push([n, v]);
    for (const [n, v] of append) out.push([n, v]);
    return out;
  };
}

function checkParams(route: string, text: string | undefined, params: readonly string[]): void {
  for (const m of (text ?? "").matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!params.includes(m[1]!)) {
      throw invalid(route, `"${text}" names parameter "${m[1]}", which the pattern does not have`);
    }
  }
}

function fill(text: string, params: Record<string, string>): string {
  return text.replace(
    /:([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, name: string) => encodeURIComponent(params[name] ?? ""),
  );
}

/**
 * A route's compiled transformation.
 *
 * @example Rename a path and add a field
 * ```ts
 * import { RouteTransform } from "@switchyard/core/gateway";
 * const t = new RouteTransform("/api/:tenant/*", {
 *   request: { set: { "x-tenant": "yes" }, path: { path: "/v2/:tenant/*" } },
 * }, { params: ["tenant"], hooks: {} });
 * console.assert(t.rewritePath("/api/acme/users", "/users", { tenant: "acme" }) === "/v2/acme/users");
 * ```
 */
export class RouteTransform {
  /** Edits the request fields, or `undefined` when there are none. */
  readonly requestHeaders: HeaderEdit | undefined;
  /** The request body hook. */
  readonly requestBody: BodyTransform | undefined;
  /** The response body hook. */
  readonly responseBody: BodyTransform | undefined;
  /** Whether a path rewrite is configured. */
  readonly rewrites: boolean;
  #responseHeaders: HeaderEdit | undefined;
  #path: PathRewrite | undefined;

  /**
   * Compiles a route's `transform` field (already shaped by {@linkcode transformSchema}).
   *
   * @param route The route id, for errors.
   * @param config The transformation.
   * @param options The pattern's parameter names and the router's body hooks.
   * @throws {SwitchyardError} `invalid_route_transform` (400) for a reserved
   * field or an unknown parameter; `unknown_body_transform` (400) for a hook
   * that is not configured.
   */
  constructor(
    route: string,
    config: TransformConfig,
    options: { params: readonly string[]; hooks: Record<string, BodyTransform> },
  ) {
    const hook = (name: string | undefined) => {
      if (name === undefined) return undefined;
      const h = Object.hasOwn(options.hooks, name) ? options.hooks[name] : undefined;
      if (typeof h !== "function") {
        throw publicError(
          "unknown_body_transform",
          400,
          `Route "${route}" names body transform "${name}", which is not configured`,
          { route, body: name },
        );
      }
      return h;
    };
    const req = config.request;
    this.requestBody = hook(req?.body);
    this.responseBody = hook(config.response?.body);
    let edit = headerEdit(route, req);
    if (this.responseBody !== undefined) {
      // A body hook reads the bytes as they are: ask for no content coding.
      const inner = edit;
      edit = (fields) => {
        const out = (inner?.(fields) ?? fields).filter(([n]) => n !== "accept-encoding");
        out.push(["accept-encoding", "identity"]);
        return out;
      };
    }
    this.requestHeaders = edit;
    this.#responseHeaders = headerEdit(route, config.response);
    this.#path = req?.path;
    this.rewrites = req?.path !== undefined;
    checkParams(route, req?.path?.addPrefix, options.params);
    checkParams(route, req?.path?.path, options.params);
  }

  /**
   * The path to append to the target.
   *
   * @param path The matched request path, percent-encoded.
   * @param remainder The wildcard remainder, if any.
   * @param params The matched parameters.
   * @returns The new path (starting with `/`, or empty), or `remainder` without a rewrite.
   */
  rewritePath(
    path: string,
    remainder: string | undefined,
    params: Record<string, string>,
  ): string | undefined {
    const p = this.#path;
    if (p === undefined) return remainder;
    if (p.path !== undefined) {
      const star = p.path.endsWith("/*");
      const head = fill(star ? p.path.slice(0, -2) : p.path, params);
      return star ? head + (remainder ?? "") : head;
    }
    let rest = path;
    const strip = p.stripPrefix?.replace(/\/$/, "");
    if (strip && (rest === strip || rest.startsWith(strip + "/"))) rest = rest.slice(strip.length);
    return (p.addPrefix === undefined ? "" : fill(p.addPrefix.replace(/\/$/, ""), params)) + rest;
  }

  /** Whether the response is changed at all. */
  get editsResponse(): boolean {
    return this.#responseHeaders !== undefined || this.responseBody !== undefined;
  }

  /**
   * Applies the response side.
   *
   * @param res The upstream's response.
   * @param context For the body hook.
   * @param maxBody The largest body a hook is given.
   * @returns The response to answer.
   */
  async response(
    res: Response,
    context: Omit<BodyTransformContext, "phase" | "headers">,
    maxBody: number,
  ): Promise<Response> {
    let fields: [string, string][] = [...res.headers];
    if (this.#responseHeaders !== undefined) fields = this.#responseHeaders(fields);
    const headers = new Headers();
    for (const [n, v] of fields) headers.append(n, v);
    let body: BodyInit | null = res.body;
    if (this.responseBody !== undefined && res.body !== null) {
      const bytes = await readBounded(res.body, maxBody, "response");
      const out = await this.responseBody(bytes, { ...context, phase: "response", headers });
      headers.delete("content-length");
      headers.delete("content-encoding");
      body = out as BodyInit;
    }
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  }
}

/**
 * Reads a whole body, up to a limit.
 *
 * @param body The stream.
 * @param max The largest size accepted, in bytes.
 * @param phase Which side, for the error.
 * @returns The bytes.
 * @throws {SwitchyardError} `body_too_large` (413) for a request,
 * `upstream_body_too_large` (502) for a response.
 */
export async function readBounded(
  body: ReadableStream<Uint8Array>,
  max: number,
  phase: "request" | "response",
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw phase === "request"
        ? publicError("body_too_large", 413, `Request body is larger than ${max} bytes`)
        : publicError("upstream_body_too_large", 502, `Upstream body is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
}
