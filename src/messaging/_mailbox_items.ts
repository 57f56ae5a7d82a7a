/**
 * What a mailbox does with one item: run its hook, settle it when the hook
 * threw or its promise settled, and report a one-way message that could not
 * be handled. Item kinds are told apart by their tag (see `./_mailbox.ts`).
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { isThenable } from "../common/thenable.ts";
import { type ChannelEnd, FULL } from "./_channel.ts";
import { channelNotFound, channelRejected, handlerFailed } from "./messaging_errors.ts";
import type { Mailbox } from "./_mailbox.ts";
import { Reply } from "./_reply.ts";
import type { DeadLetter, MessageHandlers } from "./types.ts";

/** Slot of a channel close. */
export const CLOSE: unique symbol = Symbol("close");

/** Item kinds. */
export const MESSAGE = 0, REQUEST = 1, OPEN = 2, CHANNEL_MESSAGE = 3, CHANNEL_CLOSE = 4;

/** The hook that handles each kind, by kind. */
export const HOOKS = [
  "onMessage",
  "onRequest",
  "onChannelOpen",
  "onChannelMessage",
  "onChannelClose",
] as const;

/** The kind of an item other than a one-way message whose sender is known. */
export function kindOf(tag: unknown, slot: unknown): number {
  if (tag === undefined) return MESSAGE;
  if (tag instanceof Reply) return tag.end === null ? REQUEST : OPEN;
  return slot === CLOSE ? CHANNEL_CLOSE : CHANNEL_MESSAGE;
}

/** Fails a request or open (an open's channel closes). */
export function failReply(reply: Reply, error: SwitchyardError): void {
  if (reply.end !== null) reply.end.state.closed = true;
  reply.fail(error);
}

/** Reports a one-way or channel message that could not be handled. */
export function lost(
  mb: Mailbox,
  kind: number,
  from: string,
  data: unknown,
  end: ChannelEnd | null,
  error: SwitchyardError,
): void {
  const letter: DeadLetter = {
    kind: kind === MESSAGE ? "message" : "channel_message",
    target: mb.id,
    from,
    data,
    error,
  };
  if (end !== null) letter.channel = end.id;
  mb.host.deadLetter(letter);
}

/**
 * Settles an item whose handler threw, or returned a promise that settled.
 * For a one-way message `tag` is its sender.
 */
export function finish(
  mb: Mailbox,
  kind: number,
  tag: unknown,
  slot: unknown,
  failed: boolean,
  value: unknown,
): void {
  switch (kind) {
    case MESSAGE:
      if (failed) {
        lost(mb, MESSAGE, tag as string, slot, null, handlerFailed(mb.id, "onMessage", value));
      }
      return;
    case REQUEST:
      if (failed) (tag as Reply).fail(handlerFailed(mb.id, "onRequest", value));
      else (tag as Reply).ok(value);
      return;
    case OPEN: {
      const reply = tag as Reply;
      if (!failed) return mb.host.opened(reply, value, mb);
      reply.end!.state.closed = true;
      reply.fail(handlerFailed(mb.id, "onChannelOpen", value));
      return;
    }
    case CHANNEL_MESSAGE:
      if (failed) {
        const end = tag as ChannelEnd;
        const error = handlerFailed(mb.id, "onChannelMessage", value);
        lost(mb, CHANNEL_MESSAGE, end.peer, slot, end, error);
      }
      return;
    default:
      if (failed) mb.host.report(handlerFailed(mb.id, "onChannelClose", value));
  }
}

/**
 * Runs one item other than a one-way message and settles it if its hook
 * did not return a promise.
 *
 * @returns The hook's promise, for the caller to settle, or `undefined`.
 */
export function run(
  mb: Mailbox,
  kind: number,
  tag: unknown,
  slot: unknown,
  h: MessageHandlers,
): unknown {
  let r: unknown;
  try {
    switch (kind) {
      case REQUEST: {
        const reply = tag as Reply;
        if (reply.done) return undefined; // timed out while queued
        if (h.onRequest === undefined) {
          reply.fail(handlerFailed(mb.id, "onRequest"));
          return undefined;
        }
        r = h.onRequest(reply.data, reply.from);
        if (!isThenable(r)) {
          reply.ok(r);
          return undefined;
        }
        return r;
      }
      case OPEN: {
        const reply = tag as Reply;
        if (reply.done || h.onChannelOpen === undefined) {
          reply.end!.state.closed = true; // timed out while queued, or refused
          reply.fail(channelRejected(mb.id));
          return undefined;
        }
        r = h.onChannelOpen(reply.end!, reply.data);
        if (!isThenable(r)) {
          mb.host.opened(reply, r, mb);
          return undefined;
        }
        return r;
      }
      case CHANNEL_MESSAGE: {
        const end = tag as ChannelEnd;
        r = end.receive(slot, h);
        if (r === FULL) {
          lost(mb, CHANNEL_MESSAGE, end.peer, slot, end, channelNotFound(end.id));
          return undefined;
        }
        return r;
      }
      default:
        return (tag as ChannelEnd).closedByPeer(h);
    }
  } catch (err) {
    finish(mb, kind, tag, slot, true, err);
    return undefined;
  }
}
