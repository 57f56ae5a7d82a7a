/**
 * The manager router's options, and what its parts share: the driver, the
 * dispatch, the definitions, the settings and the metrics of one server.
 *
 * @module
 */
import type { Hono } from "hono";
import type { AnyActorDefinition } from "../actor/definition.ts";
import type { ManagerDriver } from "../driver/manager_driver.ts";
import type { Upgrader } from "../runtime/upgrade.ts";
import type { ActorDispatch } from "./dispatch.ts";
import type { HttpActionHandler } from "./http_action.ts";
import type { Metrics } from "./metrics.ts";
import type { MessageRouter } from "../messaging/message_router.ts";
import type { MessagingAuth } from "../messaging/messaging_socket.ts";

/** CORS settings (off unless given). */
export interface CorsOptions {
  /** Allowed origins: `"*"`, a list, or a function returning the allowed origin or `null`. */
  origin: string | string[] | ((origin: string) => string | null | undefined);
  /** Send `Access-Control-Allow-Credentials`. @default {false} */
  credentials?: boolean;
  /** Preflight cache, seconds. @default {600} */
  maxAge?: number;
}

/** Options of {@linkcode createManagerRouter}. */
export interface ManagerRouterOptions {
  /** The driver that finds and reaches actors. */
  manager: ManagerDriver;
  /** Actor types by name. */
  definitions: Record<string, AnyActorDefinition>;
  /** Largest request body, bytes. */
  maxBodySize: number;
  /** CORS, off when absent. */
  cors?: CorsOptions;
  /** Bearer token that unlocks `GET /actors`; the listing is off without it. */
  operatorToken?: string;
  /** Upgrader of the runtime (Deno, Workers), when not given per request. */
  upgrader?: Upgrader;
  /** Metrics sink. */
  metrics: Metrics;
  /**
   * What `GET /actors` shows of an actor loaded in this process (status,
   * connections, state size), or `undefined` when it is not loaded here.
   */
  inspect?(actorId: string): object | undefined;
  /** The way into actors (one per server); a new one over `manager` when absent. */
  dispatch?: ActorDispatch;
  /** The message router and the settings of `GET /messages` (off without `auth`). */
  messaging?: {
    router: MessageRouter;
    auth?: MessagingAuth;
    heartbeatTimeout?: number;
    maxBufferedBytes?: number;
  };
}

/** The Hono app of the manager router (its env may carry the host's upgrader). */
export type ManagerApp = Hono<{ Bindings: { upgradeWebSocket?: Upgrader } | undefined }>;

/** What every route of the manager router uses. */
export interface RoutesContext {
  /** The driver that finds actors. */
  manager: ManagerDriver;
  /** The way into actors. */
  dispatch: ActorDispatch;
  /** Actor types by name. */
  definitions: Record<string, AnyActorDefinition>;
  /** Largest request body, bytes. */
  maxBodySize: number;
  /** Metrics sink. */
  metrics: Metrics;
  /** The router's options. */
  options: ManagerRouterOptions;
  /** Responses of accepted upgrades, counted as 101 whatever status the host's upgrader gave. */
  upgrades: WeakSet<Response>;
  /** `POST /actors/actions/:name`. */
  runHttpAction: HttpActionHandler;
}
