/**
 * The demo's actors: a counter and a chat room.
 *
 * @module
 */
import { actor, setup, UserError } from "../mod.ts";

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
});

interface ChatMessage {
  from: string;
  text: string;
  at: number;
}

/** A chat room: members connect with `{ name }`, messages are broadcast as `message`. */
export const chatRoom = actor({
  state: { messages: [] as ChatMessage[] },
  onAuth: (_args, params: { name?: string } | undefined) => ({ name: params?.name ?? "anonymous" }),
  connState: { name: "anonymous" },
  onConnect: (_c, conn) => {
    conn.state.name = conn.auth?.name ?? "anonymous";
  },
  actions: {
    send: (c, text: string) => {
      if (typeof text !== "string" || text.length === 0 || text.length > 2000) {
        throw new UserError("Message must be 1 to 2000 characters", { code: "invalid_message" });
      }
      const msg = { from: c.conn?.state?.name ?? "server", text, at: Date.now() };
      c.state.messages.push(msg);
      if (c.state.messages.length > 100) c.state.messages.shift();
      c.broadcast("message", msg);
      return msg;
    },
    history: (c) => c.state.messages,
  },
});

/** The demo registry. */
export const registry = setup({ use: { counter, chatRoom } });
