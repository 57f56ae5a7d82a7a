/**
 * The coded errors of the message router. Every one is public: its code,
 * message and metadata cross the wire unchanged.
 *
 * @module
 */
import { publicError, SwitchyardError } from "../common/errors.ts";

/** `actor_not_found` (404): nothing is registered or resolvable under `actor`. */
export function actorNotFound(actor: string): SwitchyardError {
  return publicError("actor_not_found", 404, `Actor "${actor}" was not found`, { actor });
}

/** `mailbox_full` (503): the target's mailbox holds `capacity` messages already. */
export function mailboxFull(actor: string, capacity: number): SwitchyardError {
  return publicError(
    "mailbox_full",
    503,
    `Mailbox of actor "${actor}" is full at ${capacity} messages`,
    { actor, capacity, retryable: true },
  );
}

/** `request_timed_out` (504): no reply within `timeout` ms. */
export function requestTimedOut(actor: string, timeout: number): SwitchyardError {
  return publicError(
    "request_timed_out",
    504,
    `Request to actor "${actor}" timed out after ${timeout} ms`,
    { actor, timeout },
  );
}

/** `actor_stopped` (503): the actor stopped before it handled the message. */
export function actorStopped(actor: string): SwitchyardError {
  return publicError("actor_stopped", 503, `Actor "${actor}" stopped`, { actor });
}

/**
 * `handler_failed` (500): a handler threw or rejected. Public errors thrown
 * by a handler (e.g. a `UserError`) are passed through instead.
 */
export function handlerFailed(actor: string, hook: string, cause?: unknown): SwitchyardError {
  if (cause instanceof SwitchyardError && cause.public) return cause;
  return new SwitchyardError(
    "handler_failed",
    `Handler "${hook}" of actor "${actor}" failed`,
    { status: 500, public: true, metadata: { actor, hook }, cause },
  );
}

/** `handler_timed_out` (504): a hook ran past its participant's hook timeout and was abandoned. */
export function handlerTimedOut(actor: string, hook: string, timeout: number): SwitchyardError {
  return publicError(
    "handler_timed_out",
    504,
    `Handler "${hook}" of actor "${actor}" timed out after ${timeout} ms`,
    { actor, hook, timeout },
  );
}

/** `channel_not_found` (404): no open channel has this id. */
export function channelNotFound(channel: string): SwitchyardError {
  return publicError("channel_not_found", 404, `Channel "${channel}" was not found`, {
    channel,
  });
}

/** `channel_rejected` (403): the target did not accept the channel. */
export function channelRejected(actor: string): SwitchyardError {
  return publicError("channel_rejected", 403, `Actor "${actor}" rejected the channel`, {
    actor,
  });
}

/** `not_a_participant` (403): `who` is neither end of `channel`. */
export function notAParticipant(channel: string, who: string): SwitchyardError {
  return publicError(
    "not_a_participant",
    403,
    `Participant "${who}" is not a participant of channel "${channel}"`,
    { channel, participant: who },
  );
}
