/**
 * The Cloudflare driver: every actor is a Durable Object of its own.
 * `createHandler(registry)` returns the Worker's `handler` (the manager
 * router runs there) and the `ActorDurableObject` class (the actor router
 * runs in each object). Export both from the Worker's main module and bind
 * the class as a Durable Object namespace (`ACTORS` by default).
 *
 * - **Identity**: an actor's object is `idFromName` of its type and key, and
 *   its actor id is the object's id. The object keeps the record (name, key,
 *   input) in its storage and serves lookups one at a time, so concurrent
 *   `getOrCreate` calls reach one actor and `create` on a taken key answers
 *   `actor_already_exists`. `getForId` with an id that was never created
 *   answers `actor_not_found`. Listing actors is not supported
 *   (`not_supported`, 501): no index spans the objects.
 * - **State** lives in the object's storage, in chunks below the value size
 *   limit, written atomically before the action that changed it answers
 *   (every actor type is `durable` here). The actor's schedule uses the
 *   object's single alarm, which fires after an eviction too.
 * - **Connections** over WebSocket use the hibernation API: an idle
 *   connection does not keep the actor in memory, and its id, state,
 *   subscriptions and event numbering survive the eviction. The client
 *   talks to the object directly (the Worker checks `onAuth` and hands the
 *   upgrade over). SSE streams and raw WebSockets (`onWebSocket`) keep the
 *   object in memory while they are open.
 * - **Between actors**: `c.client()` and the message router reach other
 *   actors through their objects' stubs.
 *
 * @example A Worker module (its main module exports both)
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { createHandler } from "@switchyard/core/drivers/cloudflare";
 *
 * const counter = actor({
 *   state: { count: 0 },
 *   onAuth: () => {},
 *   actions: { increment: (c, by: number) => (c.state.count += by) },
 * });
 * const registry = setup({ use: { counter } });
 * const { handler, ActorDurableObject } = createHandler(registry);
 * // In the Worker: `export default handler;` and `export { ActorDurableObject };`
 * console.assert(typeof ActorDurableObject === "function");
 *
 * // Outside Workers there is no "ACTORS" binding: every request says so.
 * const res = await handler.fetch(new Request("http://worker/health"), {});
 * console.assert(res.status === 500 && (await res.json()).code === "invalid_config");
 * ```
 *
 * @module
 */
import { deadlines } from "../src/common/deadlines.ts";
import { SwitchyardError } from "../src/common/errors.ts";
import { randomToken } from "../src/common/ids.ts";
import { errorResponse } from "../src/protocol/http.ts";
import type { Registry, Server, ServerOptions } from "../src/registry/registry.ts";
import { CloudflareDriver, HANDOVER_HEADER } from "./_cf_driver.ts";
import { type ActorDurableObjectClass, actorObjectClass } from "./_cf_object.ts";
import { UpgradeHandover } from "./_cf_sockets.ts";
import type { DurableObjectNamespaceLike } from "./_cf_types.ts";

export type { ActorDurableObjectClass } from "./_cf_object.ts";
export type {
  DurableObjectIdLike,
  DurableObjectNamespaceLike,
  DurableObjectStateLike,
  DurableObjectStorageLike,
  DurableObjectStubLike,
  WorkersWebSocketLike,
} from "./_cf_types.ts";

/** Options of {@linkcode createHandler}. */
export interface CloudflareHandlerOptions {
  /** Name of the Durable Object namespace binding in the Worker's environment. @default {"ACTORS"} */
  binding?: string;
  /** Server options (CORS, operator token, body size, logger, messaging), without the driver. */
  server?: Omit<ServerOptions, "driver">;
}

/** The Worker's default export: `fetch(request, env, ctx)`. */
export interface WorkerHandler {
  /**
   * Serves a request in the Worker.
   *
   * @param request The request.
   * @param env The Worker's environment, with the namespace binding.
   * @returns The response.
   */
  fetch(request: Request, env: unknown): Promise<Response>;
}

/** What {@linkcode createHandler} returns. */
export interface CloudflareHandler {
  /** The Worker's default export. */
  handler: WorkerHandler;
  /** The Durable Object class to export under the name the binding's `class_name` gives. */
  ActorDurableObject: ActorDurableObjectClass;
}

function bindingOf(env: unknown, binding: string): DurableObjectNamespaceLike {
  const ns = (env as Record<string, unknown> | undefined)?.[binding] as
    | DurableObjectNamespaceLike
    | undefined;
  if (!ns || typeof ns.idFromName !== "function" || typeof ns.get !== "function") {
    throw new SwitchyardError(
      "invalid_config",
      `Durable Object namespace binding "${binding}" is missing from the Worker's environment`,
      { status: 500, public: true },
    );
  }
  return ns;
}

/**
 * Creates the Worker handler and the Durable Object class for a registry.
 *
 * @param registry The registry (`setup({ use })`).
 * @param options The namespace binding's name and server options.
 * @returns `{ handler, ActorDurableObject }`.
 * @throws {SwitchyardError} `invalid_config` for invalid server options (at
 *   the first request); a missing binding answers every request with
 *   `invalid_config` (500), naming the binding.
 *
 * @example A Worker whose namespace binding has another name
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { createHandler } from "@switchyard/core/drivers/cloudflare";
 *
 * const echo = actor({ onAuth: () => {}, actions: { echo: (_c, v: string) => v } });
 * const { handler } = createHandler(setup({ use: { echo } }), { binding: "ECHO_ACTORS" });
 *
 * // Deployed, the environment holds the binding; here it is missing, and the answer names it.
 * const res = await handler.fetch(new Request("http://worker/health"), {});
 * const body = await res.json();
 * console.assert(res.status === 500 && body.code === "invalid_config");
 * console.assert(body.message.includes('"ECHO_ACTORS"'));
 * ```
 */
export function createHandler(
  registry: Registry,
  options: CloudflareHandlerOptions = {},
): CloudflareHandler {
  const binding = options.binding ?? "ACTORS";
  const serverOptions = options.server ?? {};
  const handovers = new Map<string, UpgradeHandover>();
  const servers = new WeakMap<object, Server>();

  function serverFor(env: unknown): Server {
    bindingOf(env, binding);
    // Timers belong to the request or object that set them: none is shared between actors.
    deadlines.ownTimers = true;
    const key = env as object;
    let server = servers.get(key);
    if (!server) {
      server = registry.createServer({
        ...serverOptions,
        driver: {
          name: "cloudflare",
          create: (context) => {
            const driver = new CloudflareDriver(context, {
              namespace: () => bindingOf(env, binding),
              handovers,
            });
            return { manager: driver, actor: driver, durableByDefault: true };
          },
        },
      });
      servers.set(key, server);
    }
    return server;
  }

  async function fetch(request: Request, env: unknown): Promise<Response> {
    let server: Server;
    try {
      server = serverFor(env);
    } catch (err) {
      return errorResponse(err);
    }
    const path = new URL(request.url).pathname;
    const toActor = path === "/actors/connect/websocket" ||
      path.startsWith("/actors/raw/websocket");
    if (!toActor || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return await server.fetch(request); // other upgrades (`/messages`) stay in the Worker
    }
    // The upgrade waits for onAuth and the actor, then goes to the actor's object.
    const token = randomToken();
    const headers = new Headers(request.headers);
    headers.set(HANDOVER_HEADER, token);
    const held = new Request(request.url, { method: request.method, headers });
    let handover: UpgradeHandover | undefined;
    const placeholder = new Response(null, { status: 200 });
    const upgradeWebSocket = (_req: Request, opts: { protocol?: string }) => {
      handover = new UpgradeHandover(opts.protocol ?? "");
      handovers.set(token, handover);
      return { socket: handover, response: placeholder };
    };
    try {
      const res = await server.fetch(held, { upgradeWebSocket });
      return res === placeholder && handover ? await handover.response : res;
    } finally {
      handovers.delete(token);
    }
  }

  return {
    handler: { fetch },
    ActorDurableObject: actorObjectClass({
      registry,
      server: serverOptions,
      namespace: (env) => () => bindingOf(env, binding),
    }),
  };
}
