/**
 * switchyard: stateful actors behind one web-standard path (`Request` in,
 * `Response` out, `WebSocket` for live connections).
 *
 * @example A counter served by Deno, called from server code
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 *
 * const counter = actor({
 *   state: { count: 0 },
 *   onAuth: () => {}, // public
 *   actions: {
 *     increment: (c, by: number) => {
 *       c.state.count += by;
 *       c.broadcast("changed", c.state.count);
 *       return c.state.count;
 *     },
 *   },
 * });
 * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
 * // Deno.serve(server.fetch);
 * console.assert((await server.client.counter.getOrCreate(["a"]).increment(1)) === 1);
 * await server.shutdown();
 * ```
 *
 * @module
 */

// Actors
export { actor, ActorDefinition } from "./src/actor/definition.ts";
export type {
  ActionEntry,
  ActorConfig,
  ActorOptions,
  AnyActorDefinition,
  AuthArgs,
  ConnectArgs,
  Intent,
} from "./src/actor/definition.ts";
export type { ActionContext, ActorContext, Conn, Logger, Schedule } from "./src/actor/context.ts";
export type { StandardResult, StandardSchema } from "./src/actor/schema.ts";

// Registry and server
export { Registry, setup } from "./src/registry/registry.ts";
export type { ActorTypes, Server, ServerOptions } from "./src/registry/registry.ts";
export type { Client } from "./src/client/client.ts";
export type { SocketCloseEvent, SocketLike, SocketMessageEvent } from "./src/common/socket.ts";
export type { CorsOptions } from "./src/manager/router.ts";

// Drivers (the full contract is in ./driver; implementations live in ./drivers/*)
export type { DriverFactory, ManagerDriver } from "./src/driver/manager_driver.ts";

// Messaging (the full API is in ./messaging)
export type { MessageRouter } from "./src/messaging/message_router.ts";
export type {
  Channel,
  CodedError,
  DeadLetter,
  MessageHandlers,
  OpenChannelOptions,
  Participant,
  RegisterOptions,
  RequestOptions,
  SendOptions,
  ServerMessagingOptions,
} from "./src/messaging/types.ts";
export type { MessagingAuth, MessagingGrant } from "./src/messaging/messaging_socket.ts";

// Errors
export { SwitchyardError, UserError } from "./src/common/errors.ts";
export type { ErrorBody, SwitchyardErrorOptions, UserErrorOptions } from "./src/common/errors.ts";

// Wire types
export type { ActorKey, ActorQuery } from "./src/protocol/query.ts";
export type { Encoding } from "./src/common/encoding.ts";
