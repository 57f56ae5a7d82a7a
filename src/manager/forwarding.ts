/**
 * Messages to actors this process does not host. When the driver answers
 * `local(actorId) === null` (the actor lives in another process or a Durable
 * Object), the message router gets a forwarding participant for the target:
 * each one-way message or request becomes a CBOR
 * `POST http://actor/messages/send|request` carried by the driver, and the
 * actor router on the other side runs the actor's `onMessage` / `onRequest`.
 *
 * Ordering and back-pressure stay on the sender's side: the forwarding
 * participant has a bounded mailbox like any other and forwards one message
 * at a time, so per-sender FIFO holds. Channels need both ends in one
 * process: opening one to a remote actor is rejected with `channel_rejected`.
 *
 * @module
 */
import { decodeCbor, encodeCbor } from "../common/encoding.ts";
import { fromErrorBody, publicError } from "../common/errors.ts";
import { HEADER_ACTOR_ID, HEADER_ENCODING } from "../protocol/headers.ts";
import type { RemoteMessageBody } from "../protocol/messages.ts";
import type { MessageHandlers } from "../messaging/types.ts";
import type { ActorDispatch } from "./dispatch.ts";

/**
 * The participant that forwards messages for `actorId` through the driver.
 *
 * @param dispatch The server's way into actors.
 * @param actorId The target actor.
 * @returns Handlers for `MessageRouter`'s resolver.
 */
export function forwardingHandlers(dispatch: ActorDispatch, actorId: string): MessageHandlers {
  const post = async (kind: "send" | "request", data: unknown, from: string) => {
    const body: RemoteMessageBody = { from, data };
    const res = await dispatch.request(
      actorId,
      new Request(`http://actor/messages/${kind}`, {
        method: "POST",
        headers: { [HEADER_ACTOR_ID]: actorId, [HEADER_ENCODING]: "cbor" },
        body: encodeCbor(body),
      }),
    );
    const out = decodeCbor(new Uint8Array(await res.arrayBuffer())) as { output?: unknown };
    if (!res.ok) throw fromErrorBody(out, res.status);
    return out.output;
  };
  return {
    onMessage: async (data, from) => void await post("send", data, from),
    onRequest: (data, from) => post("request", data, from),
    onChannelOpen: () => {
      throw publicError(
        "channel_rejected",
        409,
        `Actor "${actorId}" is in another process; channels need both ends in one process`,
      );
    },
  };
}
