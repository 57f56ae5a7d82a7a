/**
 * Messages to actors this process does not host. When the `ManagerDriver`
 * has no same-process `local()` path (the actor lives in another process or
 * a Durable Object), the message router gets a forwarding participant for
 * the target: each one-way message or request becomes a CBOR
 * `POST http://actor/messages/send|request` sent with
 * `ManagerDriver.sendRequest`, and the actor router on the other side runs
 * the actor's `onMessage` / `onRequest` (see {@linkcode deliverMessage}).
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
import { handlerFailed } from "../messaging/_errors.ts";
import { HEADER_ACTOR_ID, HEADER_ENCODING } from "../protocol/headers.ts";
import type { ManagerDriver } from "../manager/driver.ts";
import type { MessageHandlers } from "../messaging/types.ts";
import type { ActorInstance } from "./instance.ts";

/** The body of `POST /messages/send` and `/messages/request` on the actor router. */
export interface RemoteMessageBody {
  /** The sender's participant id. */
  from: string;
  /** The payload. */
  data: unknown;
}

/**
 * The participant that forwards messages for `actorId` through the driver.
 *
 * @param manager The manager driver (without `local()`).
 * @param actorId The target actor.
 * @returns Handlers for `MessageRouter`'s resolver.
 */
export function forwardingHandlers(manager: ManagerDriver, actorId: string): MessageHandlers {
  const post = async (kind: "send" | "request", data: unknown, from: string) => {
    const body: RemoteMessageBody = { from, data };
    const res = await manager.sendRequest(
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

/**
 * Runs a forwarded message on the actor that received it (the actor
 * router's side of {@linkcode forwardingHandlers}).
 *
 * @param actor The loaded actor.
 * @param kind `send` or `request`.
 * @param body The decoded body.
 * @returns The reply of `onRequest` (`undefined` for a send).
 * @throws {SwitchyardError} `handler_failed` when the hook is missing or
 *   throws something that is not a public error; public errors pass through.
 */
export async function deliverMessage(
  actor: ActorInstance,
  kind: string,
  body: unknown,
): Promise<unknown> {
  const b = body as Partial<RemoteMessageBody> | null;
  if (typeof b !== "object" || b === null || typeof b.from !== "string") {
    throw publicError("malformed_body", 400, 'Body must be {"from": string, "data": any}');
  }
  if (kind !== "send" && kind !== "request") {
    throw publicError("not_found", 404, "Route is not found");
  }
  const hook = kind === "send" ? "onMessage" : "onRequest";
  try {
    return await actor.runMessageHook(hook, b.data, b.from);
  } catch (err) {
    throw handlerFailed(actor.record.actorId, hook, err);
  }
}
