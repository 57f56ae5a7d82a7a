/**
 * The message router's view of an actor: its messaging hooks
 * (`onMessage`, `onRequest`, `onChannel*`) as `MessageHandlers`.
 *
 * @module
 */
import type { Ctx } from "./ctx.ts";
import type { ResolvedConfig } from "./definition.ts";
import type { MessageHandlers } from "../messaging/types.ts";

/** A messaging hook as the instance calls it. */
export type Hook = (c: Ctx, a: unknown, b: unknown) => unknown;

/** Runs one hook for the instance (activity, errors reported). */
export type HookRunner = (where: string, hook: Hook, a: unknown, b: unknown) => unknown;

type HookName =
  | "onMessage"
  | "onRequest"
  | "onChannelOpen"
  | "onChannelMessage"
  | "onChannelClose";

/**
 * The handlers to register for an actor: one per hook it defines.
 *
 * @param def The actor's definition.
 * @param run Runs a hook as the instance (counts activity, reports errors).
 * @returns The handlers.
 */
export function messageHandlers(def: ResolvedConfig, run: HookRunner): MessageHandlers {
  const { onMessage, onRequest, onChannelOpen, onChannelMessage, onChannelClose } = def as {
    [K in HookName]?: Hook;
  };
  const h: MessageHandlers = {};
  if (onMessage) h.onMessage = (data, from) => run("onMessage", onMessage, data, from) as void;
  if (onRequest) h.onRequest = (data, from) => run("onRequest", onRequest, data, from);
  if (onChannelOpen) {
    h.onChannelOpen = (ch, initial) => run("onChannelOpen", onChannelOpen, ch, initial) as boolean;
  }
  if (onChannelMessage) {
    h.onChannelMessage = (ch, data) => run("onChannelMessage", onChannelMessage, ch, data) as void;
  }
  if (onChannelClose) {
    h.onChannelClose = (ch) => run("onChannelClose", onChannelClose, ch, undefined) as void;
  }
  return h;
}
