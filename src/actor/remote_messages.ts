/**
 * The receiving side of messages forwarded to an actor hosted in this
 * process by the message router of another one (`POST /messages/send` and
 * `/messages/request` of the actor router).
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import { handlerFailed } from "../messaging/messaging_errors.ts";
import type { RemoteMessageBody } from "../protocol/messages.ts";
import type { ActorInstance } from "./instance.ts";

/**
 * Runs a forwarded message on the actor that received it (the actor
 * router's side of the forwarding participant).
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
