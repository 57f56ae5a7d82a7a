/**
 * The message router: one owner of participant mailboxes and open channels.
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { ChannelTable } from "./_channel_table.ts";
import { actorNotFound, actorStopped, handlerFailed, mailboxFull } from "./messaging_errors.ts";
import { Mailbox, type MailboxHost } from "./_mailbox.ts";
import { DeadlineBatcher, Reply } from "./_reply.ts";
import type {
  Channel,
  DeadLetter,
  MessageHandlers,
  MessageRouterOptions,
  OpenChannelOptions,
  Participant,
  RegisterOptions,
  RequestOptions,
  ResolveParticipant,
  SendOptions,
} from "./types.ts";

/** What `send` returns once the message is in a registered participant's mailbox. */
export const SENT: Promise<void> = Promise.resolve();

/**
 * Sends like `MessageRouter.send` but returns a refusal (`actor_not_found`,
 * `mailbox_full`) instead of a rejected promise, so the socket endpoint can
 * answer it in command order. For this folder only.
 */
export let trySend: (
  router: MessageRouter,
  target: string,
  data: unknown,
  from: string,
) => Promise<void> | Error;

function ignore(): void {}

/** A rejected promise that is already handled: a caller may ignore it safely. */
function refused(error: unknown): Promise<never> {
  const p = Promise.reject(error);
  p.catch(ignore);
  return p;
}

function defaultDeadLetter(letter: DeadLetter): void {
  if (letter.error.code === "handler_failed") console.error(letter.error);
}

function timeoutError(timeout: number): RangeError {
  return new RangeError(`Timeout must be > 0 ms, got ${timeout}`);
}

function checkTimeout(timeout: number): number {
  if (!(timeout > 0)) throw timeoutError(timeout);
  return timeout;
}

/**
 * Routes one-way messages, requests and channels between participants
 * (registered actors and outside parties such as socket clients). Routing
 * never awaits: a full or stalled mailbox fails or delays only messages for
 * that participant.
 *
 * Semantics: `send` is acknowledged when enqueued; each participant's
 * mailbox is FIFO, so messages from one sender arrive in order; a full
 * mailbox fails the sender with `mailbox_full` at once; request and open
 * deadlines share one timer; when a participant is unregistered its queued
 * and running requests fail with `actor_stopped`, its queued one-way
 * messages become dead letters and its channels close (the other end is told).
 *
 * @example Send, request and open a channel
 * ```ts
 * import { MessageRouter } from "@switchyard/core/messaging";
 * const router = new MessageRouter();
 * router.register("counter", {
 *   onRequest: (data) => (data as number) + 1,
 *   onChannelOpen: (channel) => {
 *     channel.onMessage((data) => channel.send(data));
 *     return true;
 *   },
 * });
 * console.assert((await router.request("counter", 41, { from: "me" })) === 42);
 * const ch = await router.openChannel("me", "counter");
 * const echoed = new Promise((resolve) => ch.onMessage(resolve));
 * ch.send("hi");
 * console.assert((await echoed) === "hi");
 * ch.close();
 * ```
 */
export class MessageRouter {
  #mailboxes = new Map<string, Mailbox>();
  #channels: ChannelTable;
  #capacity: number;
  #timeout: number;
  #onDeadLetter: (letter: DeadLetter) => void;
  #resolve: ResolveParticipant | undefined;
  #anon: SendOptions & OpenChannelOptions = {};
  #mailboxHost: MailboxHost;
  #batcher = new DeadlineBatcher();

  /**
   * Creates a router with no participants.
   *
   * @param options Capacity, default timeout, dead-letter hook and resolver.
   * @throws {RangeError} When the capacity is not a positive integer or the timeout not > 0.
   */
  constructor(options: MessageRouterOptions = {}) {
    const capacity = options.mailboxCapacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#timeout = checkTimeout(options.defaultTimeout ?? 30_000);
    this.#onDeadLetter = options.onDeadLetter ?? defaultDeadLetter;
    this.#resolve = options.resolve;
    const dead = (letter: DeadLetter) => this.#dead(letter);
    this.#channels = new ChannelTable(this.#mailboxes, capacity, dead);
    this.#mailboxHost = {
      deadLetter: dead,
      opened: (reply, accepted, target) => this.#channels.opened(reply, accepted, target),
      report: (error) => console.error(error),
    };
  }

  /** Mailbox capacity per participant. */
  get mailboxCapacity(): number {
    return this.#capacity;
  }

  /**
   * Registers a participant. If it was being resolved, the messages that
   * waited for it are handled first, in order.
   *
   * @param id Participant id (an actor id).
   * @param handlers Its hooks.
   * @param options `serial: false` for forwarding handler objects; `hookTimeout`.
   * @throws {TypeError} When `id` is already registered.
   * @throws {RangeError} When `hookTimeout` is not > 0.
   *
   * @example Register an actor, once
   * ```ts
   * import { MessageRouter } from "@switchyard/core/messaging";
   * const router = new MessageRouter();
   * router.register("greeter", { onRequest: (name) => `Hello, ${name}` });
   * console.assert(router.has("greeter"));
   * try {
   *   router.register("greeter", {});
   *   console.assert(false, "a second registration throws");
   * } catch (err) {
   *   console.assert(err instanceof TypeError);
   * }
   * ```
   */
  register(id: string, handlers: MessageHandlers, options: RegisterOptions = {}): void {
    const serial = options.serial ?? true;
    const hookTimeout = options.hookTimeout ?? Infinity;
    if (!(hookTimeout > 0)) throw timeoutError(hookTimeout);
    let mb = this.#mailboxes.get(id);
    if (mb !== undefined) {
      if (mb.handlers !== null) throw new TypeError(`Participant "${id}" is already registered`);
      mb.hookTimeout = hookTimeout;
      mb.activate(handlers, serial);
      return;
    }
    mb = new Mailbox(id, this.#capacity, this.#mailboxHost, handlers, serial);
    mb.hookTimeout = hookTimeout;
    this.#mailboxes.set(id, mb);
  }

  /**
   * Unregisters a participant (its actor stopped). Its queued and running
   * requests and channel opens fail with `actor_stopped`, its queued one-way
   * messages go to the dead-letter hook and its channels close, telling the
   * other ends.
   *
   * @param id Participant id.
   * @returns Whether it was registered (or being resolved).
   */
  unregister(id: string): boolean {
    const mb = this.#mailboxes.get(id);
    if (mb !== undefined) {
      this.#mailboxes.delete(id);
      mb.stop(actorStopped(id));
    }
    this.#channels.closeAll(id, mb);
    return mb !== undefined;
  }

  /**
   * Whether a participant is registered (not merely being resolved).
   *
   * @param id Participant id.
   * @returns `true` when registered.
   */
  has(id: string): boolean {
    const mb = this.#mailboxes.get(id);
    return mb !== undefined && mb.handlers !== null;
  }

  /**
   * Sends a one-way message, acknowledged when enqueued: the message is in
   * the target's mailbox (or refused) when `send` returns. When the target is
   * registered the returned promise is already resolved. When it is being
   * resolved (woken) the message waits in its pending mailbox and the
   * promise settles once the target is known: it resolves when the target
   * registers and rejects with `actor_not_found` (or the resolver's error)
   * when it does not exist; the message then also goes to the dead-letter
   * hook. A refused message (`mailbox_full`, an unknown target) rejects the
   * promise; `send` never throws. The promise is pre-handled: ignoring it is
   * safe (and loses a refused message silently).
   *
   * @param target Participant id.
   * @param data The payload.
   * @param options The sender.
   * @returns A promise of the target being known (see above).
   * @throws {SwitchyardError} (rejects) `actor_not_found`, `mailbox_full`.
   * @throws {TypeError} (rejects) When the sender is not a string.
   *
   * @example send() rejects with mailbox_full when the mailbox is full
   * ```ts
   * import { MessageRouter } from "@switchyard/core/messaging";
   * const router = new MessageRouter({ mailboxCapacity: 1 });
   * const busy = Promise.withResolvers<void>();
   * const done = Promise.withResolvers<void>();
   * const handled: unknown[] = [];
   * router.register("slow", {
   *   onMessage: async (data) => {
   *     handled.push(data);
   *     if (handled.length === 2) done.resolve();
   *     await busy.promise;
   *   },
   * });
   * await router.send("slow", "first", { from: "me" }); // being handled
   * await router.send("slow", "second", { from: "me" }); // waits in the mailbox
   * const err = await router.send("slow", "third", { from: "me" }).catch((e) => e);
   * console.assert(err.code === "mailbox_full");
   * busy.resolve();
   * await done.promise;
   * console.assert(handled.join() === "first,second");
   * ```
   */
  send(target: string, data: unknown, options: SendOptions = this.#anon): Promise<void> {
    const r = this.#send(target, data, options.from ?? "anonymous");
    return r === SENT || !(r instanceof Error) ? r : refused(r);
  }

  static {
    trySend = (router, target, data, from) => router.#send(target, data, from);
  }

  /** `send`, with a refusal returned rather than rejected. */
  #send(target: string, data: unknown, from: string): Promise<void> | Error {
    if (typeof from !== "string") {
      return new TypeError(`Sender must be a string, got ${typeof from}`);
    }
    let mb = this.#mailboxes.get(target);
    if (mb === undefined) {
      try {
        mb = this.#wake(target);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }
    if (!mb.message(from, data)) return mailboxFull(target, this.#capacity);
    return mb.handlers === null ? mb.known() : SENT;
  }

  /**
   * Sends a request and waits for the reply. The deadline is swept by the
   * shared timer; a request that times out while still queued is never run.
   *
   * @param target Participant id.
   * @param data The payload.
   * @param options The sender and timeout.
   * @returns The reply.
   * @throws {SwitchyardError} (rejects) `actor_not_found`, `mailbox_full`,
   * `request_timed_out`, `actor_stopped`, `handler_failed`, or a public error
   * the handler threw.
   * @throws {RangeError} (rejects) When the timeout is not > 0.
   *
   * @example A request that is not answered in time
   * ```ts
   * import { MessageRouter } from "@switchyard/core/messaging";
   * const router = new MessageRouter();
   * router.register("sleepy", { onRequest: () => new Promise(() => {}) });
   * try {
   *   await router.request("sleepy", "ping", { from: "me", timeout: 50 });
   *   console.assert(false, "the request times out");
   * } catch (err) {
   *   console.assert((err as { code?: string }).code === "request_timed_out");
   * }
   * router.unregister("sleepy");
   * ```
   */
  request(target: string, data: unknown, options: RequestOptions = this.#anon): Promise<unknown> {
    const timeout = options.timeout ?? this.#timeout;
    if (!(timeout > 0)) return Promise.reject(timeoutError(timeout));
    let mb = this.#mailboxes.get(target);
    if (mb === undefined) {
      try {
        mb = this.#wake(target);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const reply = new Reply(options.from ?? "anonymous", data, null, target, resolve, reject);
    if (!mb.push(reply, undefined)) {
      return Promise.reject(mailboxFull(target, this.#capacity));
    }
    if (timeout !== Infinity) this.#batcher.add(reply, timeout);
    return promise;
  }

  /**
   * Opens a channel from `initiator` to `target`, which accepts or rejects
   * in `onChannelOpen`.
   *
   * @param initiator Participant id of the opener (need not be registered).
   * @param target Participant id.
   * @param options Initial payload and timeout.
   * @returns The initiator's end.
   * @throws {SwitchyardError} (rejects) `actor_not_found`, `mailbox_full`,
   * `channel_rejected`, `request_timed_out`, `actor_stopped`, `handler_failed`.
   * @throws {RangeError} (rejects) When the timeout is not > 0.
   */
  openChannel(
    initiator: string,
    target: string,
    options: OpenChannelOptions = this.#anon,
  ): Promise<Channel> {
    const timeout = options.timeout ?? this.#timeout;
    if (!(timeout > 0)) return Promise.reject(timeoutError(timeout));
    let mb = this.#mailboxes.get(target);
    if (mb === undefined) {
      try {
        mb = this.#wake(target);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const state = this.#channels.create(initiator, target);
    const { promise, resolve, reject } = Promise.withResolvers<Channel>();
    const reply = new Reply(initiator, options.initial, state.b, target, resolve, reject);
    if (!mb.push(reply, undefined)) {
      return Promise.reject(mailboxFull(target, this.#capacity));
    }
    if (timeout !== Infinity) this.#batcher.add(reply, timeout);
    return promise;
  }

  /**
   * Sends on a channel by id on behalf of `by`.
   *
   * @param channel Channel id.
   * @param data The payload.
   * @param options `by`: the participant sending.
   * @throws {SwitchyardError} `channel_not_found`, `not_a_participant`, `mailbox_full`.
   */
  sendOnChannel(channel: string, data: unknown, options: { by: string }): void {
    this.#channels.endOf(channel, options.by).send(data);
  }

  /**
   * Closes a channel by id on behalf of `by`, after checking that `by` is
   * one of its two participants.
   *
   * @param channel Channel id.
   * @param options `by`: the participant closing.
   * @throws {SwitchyardError} `channel_not_found`, `not_a_participant`.
   */
  closeChannel(channel: string, options: { by: string }): void {
    this.#channels.endOf(channel, options.by).close();
  }

  /**
   * A facade bound to one participant id, e.g. for an actor's `c.messages`.
   *
   * @param id The participant id used as sender and initiator.
   * @returns `{ id, send, request, openChannel }`.
   *
   * @example Send as one participant
   * ```ts
   * import { MessageRouter } from "@switchyard/core/messaging";
   * const router = new MessageRouter();
   * let sender = "";
   * router.register("inbox", { onRequest: (_data, from) => (sender = from) });
   * const alice = router.participant("alice");
   * await alice.request("inbox", "hello");
   * console.assert(alice.id === "alice" && sender === "alice");
   * ```
   */
  participant(id: string): Participant {
    const from: RequestOptions = { from: id };
    return {
      id,
      send: (target, data) => this.send(target, data, from),
      request: (target, data, options) =>
        this.request(
          target,
          data,
          options?.timeout === undefined ? from : { from: id, timeout: options.timeout },
        ),
      openChannel: (target, initial, options) =>
        this.openChannel(id, target, { initial, timeout: options?.timeout }),
    };
  }

  /** Open channels and queued messages, for tests and metrics. */
  get stats(): { participants: number; channels: number; queued: number } {
    let queued = 0;
    for (const mb of this.#mailboxes.values()) queued += mb.size;
    return { participants: this.#mailboxes.size, channels: this.#channels.size, queued };
  }

  #dead(letter: DeadLetter): void {
    try {
      this.#onDeadLetter(letter);
    } catch (err) {
      console.error(err);
    }
  }

  /** Creates a pending mailbox for an unregistered target and resolves it. */
  #wake(target: string): Mailbox {
    const resolve = this.#resolve;
    if (resolve === undefined) throw actorNotFound(target);
    const mb = new Mailbox(target, this.#capacity, this.#mailboxHost, null, true);
    this.#mailboxes.set(target, mb);
    let r: MessageHandlers | null | Promise<MessageHandlers | null>;
    try {
      r = resolve(target);
    } catch (err) {
      this.#mailboxes.delete(target);
      throw handlerFailed(target, "resolve", err);
    }
    if (r instanceof Promise) {
      r.then(
        (h) => this.#woken(mb, h),
        (err) => this.#notWoken(mb, handlerFailed(target, "resolve", err)),
      );
      return mb;
    }
    if (mb.handlers === null) {
      if (r === null) {
        this.#mailboxes.delete(target);
        throw actorNotFound(target);
      }
      mb.activate(r, true);
    }
    return mb;
  }

  #woken(mb: Mailbox, handlers: MessageHandlers | null): void {
    if (mb.stopped || mb.handlers !== null) return; // unregistered, or registered itself
    if (handlers === null) this.#notWoken(mb, actorNotFound(mb.id));
    else mb.activate(handlers, true);
  }

  #notWoken(mb: Mailbox, error: SwitchyardError): void {
    if (mb.stopped || mb.handlers !== null) return;
    if (this.#mailboxes.get(mb.id) === mb) this.#mailboxes.delete(mb.id);
    mb.stop(error);
  }
}
