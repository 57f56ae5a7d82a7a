/**
 * Types shared by the message router, its socket endpoint and its client.
 *
 * @module
 */
import type { MessagingAuth } from "./messaging_socket.ts";

/**
 * What a participant receives. Every hook is optional. For one registered
 * actor the router calls its hooks one at a time, in mailbox order: a hook
 * that returns a promise holds back the next message until it settles
 * (unless the actor was registered with `serial: false`). A hook never runs
 * on the sender's call stack.
 *
 * Data is passed by reference in-process: a `Uint8Array` or any
 * CBOR-serialisable value the sender must not mutate afterwards.
 */
export interface MessageHandlers {
  /**
   * A one-way message. A throw or rejection goes to the dead-letter hook
   * as `handler_failed`.
   *
   * @param data The payload.
   * @param from The sender's participant id.
   */
  onMessage?(data: unknown, from: string): void | Promise<void>;
  /**
   * A request. The returned or resolved value is the reply. A thrown public
   * error (e.g. a `UserError`) reaches the caller with its code; anything
   * else becomes `handler_failed`.
   *
   * @param data The payload.
   * @param from The sender's participant id.
   * @returns The reply, or a promise of it.
   */
  onRequest?(data: unknown, from: string): unknown;
  /**
   * Another participant opens a channel. Return or resolve `true` to accept;
   * anything else rejects with `channel_rejected`. Messages sent on `channel`
   * before accepting are delivered once accepted. Without this hook every
   * channel is rejected.
   *
   * @param channel This actor's end of the channel.
   * @param initial The initiator's initial payload.
   * @returns Whether to accept.
   */
  onChannelOpen?(channel: Channel, initial: unknown): boolean | Promise<boolean>;
  /**
   * A message on a channel of this actor's whose end has no `onMessage`
   * callback.
   *
   * @param channel This actor's end.
   * @param data The payload.
   */
  onChannelMessage?(channel: Channel, data: unknown): void | Promise<void>;
  /**
   * The other participant closed a channel (or stopped), for an end that has
   * no `onClose` callback.
   *
   * @param channel This actor's end, now closed.
   */
  onChannelClose?(channel: Channel): void | Promise<void>;
}

/**
 * One participant's end of a bidirectional channel.
 *
 * Incoming messages go to the `onMessage` callback when one is set, else to
 * the owner's `onChannelMessage` hook; messages that arrive before either
 * exists are kept (up to the mailbox capacity) and handed to the first
 * callback. Order is FIFO per direction, and a close is delivered after every
 * message sent before it.
 */
export interface Channel {
  /** Channel id, the same on both ends. */
  readonly id: string;
  /** Participant id owning this end. */
  readonly self: string;
  /** Participant id of the other end. */
  readonly peer: string;
  /** Whether the channel is closed. */
  readonly closed: boolean;
  /**
   * Sends a message to the other end; acknowledged when enqueued.
   *
   * @param data The payload.
   * @throws {SwitchyardError} `channel_not_found` once closed, `mailbox_full`
   * when the other end's mailbox is full.
   */
  send(data: unknown): void;
  /** Closes the channel and tells the other end. Idempotent. */
  close(): void;
  /**
   * Sets the callback for incoming messages (replacing any previous one) and
   * hands it the messages kept so far.
   *
   * @param callback Called once per message, in order.
   */
  onMessage(callback: (data: unknown) => void): void;
  /**
   * Sets the callback for a close by the other end (or its stop).
   *
   * @param callback Called at most once; at once if already closed by the other end.
   */
  onClose(callback: () => void): void;
}

/**
 * The shape of the errors this module reports (a `SwitchyardError` at run
 * time). Match on `code`, never on `instanceof`.
 */
export interface CodedError extends Error {
  /** Stable snake_case code, e.g. `actor_stopped`. */
  readonly code: string;
  /** HTTP status it maps to. */
  readonly status: number;
  /** Safe, serialisable details. */
  readonly metadata: unknown;
}

/** A one-way message that was accepted but could not be handled. */
export interface DeadLetter {
  /** `"message"` for `send`, `"channel_message"` for a channel message. */
  kind: "message" | "channel_message";
  /** The participant it was addressed to. */
  target: string;
  /** The sender. */
  from: string;
  /** The payload. */
  data: unknown;
  /** The channel id, for channel messages. */
  channel?: string;
  /**
   * Why: `actor_not_found` (waking the target failed), `actor_stopped`,
   * `handler_failed` (cause attached) or `channel_not_found` (no hook).
   */
  error: CodedError;
}

/** Options of `register`. */
export interface RegisterOptions {
  /**
   * Whether hooks run one at a time. With `false` each hook is called as its
   * message is dequeued without waiting for earlier promises: meant for
   * handler objects that forward to a remote router, which orders by itself.
   * @default {true}
   */
  serial?: boolean;
  /**
   * Longest a hook's promise may hold this participant's mailbox, in ms.
   * Past it the hook is abandoned: the abandonment is logged, its late
   * result or error is dropped, a request or open fails with
   * `handler_timed_out` (504), a message becomes a dead letter, and the
   * next message runs. Registry actors use their `actionTimeout`.
   * @default {Infinity}
   */
  hookTimeout?: number;
}

/** Who sends: options of `send`. */
export interface SendOptions {
  /** The sender's participant id. @default {"anonymous"} */
  from?: string;
}

/** Options of `request`. */
export interface RequestOptions extends SendOptions {
  /**
   * Milliseconds before the request fails with `request_timed_out`;
   * `Infinity` for none. @default the router's `defaultTimeout`
   */
  timeout?: number;
}

/** Options of `openChannel`. */
export interface OpenChannelOptions {
  /** Payload handed to the target's `onChannelOpen`. */
  initial?: unknown;
  /** Milliseconds to wait for acceptance. @default the router's `defaultTimeout` */
  timeout?: number;
}

/**
 * A router facade bound to one participant id, for actor contexts
 * (`c.messages`) and embedders.
 */
export interface Participant {
  /** The participant id used as `from` and as initiator. */
  readonly id: string;
  /**
   * Sends a one-way message; see `MessageRouter.send`. Returns once the
   * message is enqueued; the promise settles once the target is known
   * (rejects with `actor_not_found` if it does not exist).
   *
   * @param target Participant id.
   * @param data The payload.
   * @returns A promise of the target being known; safe to ignore.
   */
  send(target: string, data: unknown): Promise<void>;
  /**
   * Sends a request; see `MessageRouter.request`.
   *
   * @param target Participant id.
   * @param data The payload.
   * @param options Timeout.
   * @returns The reply.
   */
  request(target: string, data: unknown, options?: { timeout?: number }): Promise<unknown>;
  /**
   * Opens a channel; see `MessageRouter.openChannel`.
   *
   * @param target Participant id.
   * @param initial Payload for the target's `onChannelOpen`.
   * @param options Timeout.
   * @returns This participant's end.
   */
  openChannel(target: string, initial?: unknown, options?: { timeout?: number }): Promise<Channel>;
}

/**
 * The `messaging` option of `createServer`: the server's one message router
 * and its `/messages` endpoint.
 */
export interface ServerMessagingOptions {
  /** Messages a mailbox holds before senders get `mailbox_full`. @default {1024} */
  mailboxCapacity?: number;
  /** Request and channel-open timeout in ms. @default {30000} */
  defaultTimeout?: number;
  /**
   * Decides who may connect to `GET /messages` and whom they may address
   * (`onMessagingAuth`). Without it the endpoint answers 403 `forbidden`.
   */
  auth?: MessagingAuth;
  /** Called with each one-way message that was accepted but not handled. @default logs a warning */
  onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * Longest silence of a `/messages` client, in ms, before the server gives
   * it up (see `serveMessagingSocket`). @default {30000}
   */
  heartbeatTimeout?: number;
  /**
   * Most unsent bytes a `/messages` socket may hold before the client is
   * disconnected as a slow consumer. @default {16777216}
   */
  maxBufferedBytes?: number;
}

/**
 * Finds the handlers of a participant that is not registered, e.g. by waking
 * a sleeping actor. It may call `router.register(target, ...)` itself or
 * return the handlers; `null` means there is no such participant.
 */
export type ResolveParticipant = (
  target: string,
) => MessageHandlers | null | Promise<MessageHandlers | null>;

/** Options of {@linkcode MessageRouter}. */
export interface MessageRouterOptions {
  /**
   * Messages a mailbox holds before `send`, `request`, `openChannel` and
   * channel `send` fail with `mailbox_full`. The message being handled does
   * not count; closes are never refused.
   * @default {1024}
   */
  mailboxCapacity?: number;
  /** Request and channel-open timeout in ms. @default {30000} */
  defaultTimeout?: number;
  /**
   * Called with each one-way message that was accepted but not handled.
   * @default logs `handler_failed` letters with `console.error`, ignores others
   */
  onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * Called when a target is not registered. Meanwhile its messages wait in
   * a pending mailbox (same capacity) and nothing else waits. Without it an
   * unknown target fails at once with `actor_not_found`.
   */
  resolve?: ResolveParticipant;
}
