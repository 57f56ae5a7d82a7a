/**
 * The message router: one-way sends, requests and bidirectional channels
 * between actors and outside clients, with bounded mailboxes, per-sender FIFO
 * order, one shared deadline timer and coded errors. Routing never awaits, so
 * a full or stalled mailbox holds up nobody else.
 *
 * - {@linkcode MessageRouter}: the in-process router (`register`, `send`,
 *   `request`, `openChannel`, `participant`).
 * - {@linkcode serveMessagingSocket}: the WebSocket management endpoint that a
 *   server mounts at `/messages` after upgrading.
 * - {@linkcode MessagingClient}: the client for Deno, Node 22+ and browsers.
 *
 * Error codes: `actor_not_found`, `mailbox_full`, `request_timed_out`,
 * `actor_stopped`, `handler_failed`, `handler_timed_out`, `channel_not_found`, `channel_rejected`,
 * `not_a_participant`; on the socket also `malformed_frame`,
 * `malformed_command`, `forbidden`, `overloaded`, `connection_closed` and
 * `heartbeat_timed_out`.
 *
 * @example Two actors and a request
 * ```ts
 * import { MessageRouter } from "@switchyard/core/messaging";
 * const router = new MessageRouter({ mailboxCapacity: 256 });
 * router.register("greeter", { onRequest: (name) => `Hello, ${name}` });
 * const alice = router.participant("alice");
 * console.assert((await alice.request("greeter", "Alice")) === "Hello, Alice");
 * ```
 *
 * @module
 */

// Router
export { MessageRouter } from "./message_router.ts";
export type {
  Channel,
  CodedError,
  DeadLetter,
  MessageHandlers,
  MessageRouterOptions,
  OpenChannelOptions,
  Participant,
  RegisterOptions,
  RequestOptions,
  ResolveParticipant,
  SendOptions,
  ServerMessagingOptions,
} from "./types.ts";

// Outside clients: the socket endpoint and the client
export { serveMessagingSocket } from "./messaging_socket.ts";
export { CLOSE_PEER_SILENT, CLOSE_SLOW_CONSUMER } from "./close_codes.ts";
export type {
  MessagingAuth,
  MessagingConnection,
  MessagingGrant,
  ServeMessagingOptions,
} from "./messaging_socket.ts";
export { MessagingClient } from "./messaging_client.ts";
export { ClientChannel } from "./client_channel.ts";
export type { MessagingClientOptions } from "./messaging_client.ts";

// Shared types that appear in this module's signatures
export type { Encoding } from "../common/encoding.ts";
export type { SocketCloseEvent, SocketLike, SocketMessageEvent } from "../common/socket.ts";
