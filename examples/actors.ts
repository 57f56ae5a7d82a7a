/**
 * The demo's actors: a counter, a chat room and one inbox per user for
 * direct messages. The Deno demo (`demo_server.ts`) and the Node example
 * (`node_server.ts`) serve this same registry.
 *
 * @module
 */
import { actor, type Channel, setup, UserError } from "../mod.ts";

/** Longest chat or direct message, in characters. */
export const MAX_MESSAGE_LENGTH = 2000;
/** Longest user name, in characters. */
export const MAX_NAME_LENGTH = 64;
/** Messages a room or an inbox keeps for late joiners. */
const HISTORY = 100;

/**
 * Checks a user name: a string of 1 to {@linkcode MAX_NAME_LENGTH}
 * characters after trimming. Names are shown as text, so any character is
 * allowed.
 *
 * @param name The name given by the user.
 * @returns The trimmed name.
 * @throws {UserError} `invalid_name` for anything else.
 */
export function checkName(name: unknown): string {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
    throw new UserError(`Name must be 1 to ${MAX_NAME_LENGTH} characters`, {
      code: "invalid_name",
      metadata: { max: MAX_NAME_LENGTH },
    });
  }
  return trimmed;
}

/**
 * Checks a chat or direct message.
 *
 * @param text The message.
 * @returns The message, unchanged.
 * @throws {UserError} `invalid_message` when it is not 1 to {@linkcode MAX_MESSAGE_LENGTH} characters.
 */
export function checkText(text: unknown): string {
  if (typeof text !== "string" || text.trim().length === 0 || text.length > MAX_MESSAGE_LENGTH) {
    const length = typeof text === "string" ? text.length : null;
    throw new UserError(`Message must be 1 to ${MAX_MESSAGE_LENGTH} characters`, {
      code: "invalid_message",
      metadata: { max: MAX_MESSAGE_LENGTH, length },
    });
  }
  return text;
}

/**
 * The user name inside a messaging participant id (`client:<name>:<random>`),
 * or `undefined` for actors and anonymous connections.
 *
 * @param participant A participant id, e.g. the `from` of a message.
 * @returns The name.
 */
export function identityOf(participant: string): string | undefined {
  if (!participant.startsWith("client:")) return undefined;
  const end = participant.lastIndexOf(":");
  return end > "client:".length ? participant.slice("client:".length, end) : undefined;
}

/** A counter anyone may increment; every change is broadcast as `changed`. */
export const counter = actor({
  state: { count: 0 },
  onAuth: () => {}, // public
  actions: {
    increment: (c, by: number = 1) => {
      if (typeof by !== "number" || !Number.isFinite(by)) {
        throw new UserError("Increment must be a finite number", { code: "invalid_increment" });
      }
      c.state.count += by;
      c.broadcast("changed", c.state.count);
      return c.state.count;
    },
    get: (c) => c.state.count,
  },
  // Reached through the gateway's `actor://counter/<key>/` route.
  onFetch: (c, request) =>
    Response.json({ count: c.state.count, path: new URL(request.url).pathname }),
});

/** One chat line. */
export interface ChatMessage {
  /** Who wrote it. */
  from: string;
  /** What they wrote. */
  text: string;
  /** When, in ms since the epoch. */
  at: number;
}

/** Names of the room's connected members, sorted, each once. */
function memberNames(conns: ReadonlyMap<string, { state: { name: string } }>): string[] {
  return [...new Set([...conns.values()].map((conn) => conn.state.name))].sort();
}

/**
 * A chat room: members connect with `{ name }` (1 to 64 characters, else
 * `invalid_name`); messages are broadcast as
 * `message`, the member list as `members` whenever someone joins or leaves.
 */
export const chatRoom = actor({
  state: { messages: [] as ChatMessage[] },
  // Members connect with a name; callers without one (HTTP actions) are "anonymous".
  onAuth: (_args, params: { name?: string } | undefined) => ({
    name: params?.name === undefined ? "anonymous" : checkName(params.name),
  }),
  connState: { name: "anonymous" },
  onConnect: (c, conn) => {
    conn.state.name = conn.auth?.name ?? "anonymous";
    c.broadcast("members", memberNames(c.conns));
  },
  onDisconnect: (c) => {
    c.broadcast("members", memberNames(c.conns));
  },
  actions: {
    send: (c, text: string) => {
      const msg = { from: c.conn?.state?.name ?? "server", text: checkText(text), at: Date.now() };
      c.state.messages.push(msg);
      if (c.state.messages.length > HISTORY) c.state.messages.shift();
      c.broadcast("message", msg);
      return msg;
    },
    history: (c) => c.state.messages,
    members: (c) => memberNames(c.conns),
  },
});

/** A direct message between two users. */
export interface DirectMessage {
  /** The sender's name. */
  from: string;
  /** The recipient's name. */
  to: string;
  /** What was written. */
  text: string;
  /** When, in ms since the epoch. */
  at: number;
}

/**
 * A user's inbox (key: the user's name), reached only through the message
 * router. Its owner opens a channel to it and receives each direct message
 * on that channel; anyone signed in sends one with a request
 * `{ text }` and gets the stored message back. `{ op: "history" }` from the
 * owner answers the messages kept so far.
 */
export const inbox = actor({
  state: { messages: [] as DirectMessage[] },
  // Outside clients reach it over the message router only (`/messages`, which also checks the
  // grant's canAddress); HTTP, WebSocket and SSE calls are refused with 403.
  onAuth: ({ intents }) => intents.has("message"),
  createVars: () => ({ owners: new Set<Channel>() }),
  // Open channels are its audience: the inbox stays loaded while its owner listens.
  options: { sleepTimeout: 0 },
  onChannelOpen: (c, channel) => {
    if (identityOf(channel.peer) !== c.key[0]) return false; // only the owner listens
    c.vars.owners.add(channel);
    return true;
  },
  onChannelClose: (c, channel) => {
    c.vars.owners.delete(channel);
  },
  onRequest: (c, data, from) => {
    const sender = identityOf(from);
    if (sender === undefined) {
      throw new UserError("Direct messages need a signed-in sender", { code: "forbidden" });
    }
    const body = typeof data === "object" && data !== null ? data as Record<string, unknown> : {};
    if (body.op === "history") {
      if (sender !== c.key[0]) {
        throw new UserError("Only the owner may read an inbox", { code: "forbidden" });
      }
      return c.state.messages;
    }
    const msg: DirectMessage = {
      from: sender,
      to: c.key[0] ?? "",
      text: checkText(body.text),
      at: Date.now(),
    };
    c.state.messages.push(msg);
    if (c.state.messages.length > HISTORY) c.state.messages.shift();
    for (const channel of c.vars.owners) {
      try {
        channel.send(msg);
      } catch {
        // A full or closed channel: the message stays in the history.
      }
    }
    return msg;
  },
});

/** The demo registry. */
export const registry = setup({ use: { counter, chatRoom, inbox } });
