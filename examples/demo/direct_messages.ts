/**
 * The server side of the demo's direct messages, carried by the message
 * router's `/messages` WebSocket: who may connect (a name, given as
 * `?name=`), whom they may address, and the `directory` participant that
 * answers a user's inbox id.
 *
 * A page connects as `client:<name>:<random>`, asks the directory for its
 * own inbox, opens a channel to it and receives direct messages there. To
 * write to someone it asks the directory for their inbox and sends it a
 * request `{ text }`. Connections may address the directory and the inboxes
 * it handed out, nothing else.
 *
 * @module
 */
import type { MessagingAuth, Server } from "../../mod.ts";
import { checkName, type registry } from "../actors.ts";

/** The participant id of the directory. */
export const DIRECTORY = "directory";

/** The demo's messaging hooks. */
export interface DirectMessages {
  /** The `/messages` auth hook (`createServer({ messaging: { auth } })`). */
  readonly auth: MessagingAuth;
  /**
   * Registers the directory with the server's message router.
   *
   * @param server The running server.
   */
  attach(server: Server<typeof registry>): void;
}

/**
 * Creates the messaging hooks.
 *
 * @returns The hooks; call `attach` once the server exists.
 */
export function directMessages(): DirectMessages {
  const inboxes = new Set<string>();
  return {
    auth(request) {
      let identity: string;
      try {
        identity = checkName(new URL(request.url).searchParams.get("name"));
      } catch {
        return null; // 403 forbidden
      }
      return { identity, canAddress: (target) => target === DIRECTORY || inboxes.has(target) };
    },
    attach(server) {
      server.messaging.register(DIRECTORY, {
        // Request `{ name }`: the actor id of that user's inbox.
        async onRequest(data) {
          const name = checkName((data as { name?: unknown } | null)?.name);
          const id = await server.client.inbox.getOrCreate([name]).resolve();
          inboxes.add(id);
          return id;
        },
      }, { serial: false });
    },
  };
}
