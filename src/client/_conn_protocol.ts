/**
 * Helpers of `actor_conn.ts`: reading server frames, calling listeners
 * safely, and the coded errors a connection reports.
 *
 * @module
 */
import { decode } from "../common/encoding.ts";
import type { SwitchyardError } from "../common/errors.ts";
import { frameData } from "../common/socket.ts";
import { clientError } from "./_errors.ts";

function isMessage(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && typeof (v as { t?: unknown }).t === "string";
}

/**
 * Decodes one server frame (text as JSON, binary as CBOR): one message, or
 * a batch (a list of messages).
 *
 * @param data `ev.data` of a message event.
 * @returns The messages in order, each an object with a string `t`.
 * @throws {SwitchyardError} `malformed_message` when it cannot be read.
 */
export function readServerFrame(data: unknown): Array<Record<string, unknown>> {
  try {
    const frame = frameData(data);
    if (frame === undefined) throw new TypeError("Frame type is not supported");
    const v = decode(frame);
    if (isMessage(v)) return [v];
    if (Array.isArray(v) && v.every(isMessage)) return v;
    throw new TypeError("Message needs a type");
  } catch (err) {
    throw clientError("malformed_message", 400, "Server sent a message that cannot be read", {
      cause: err,
    });
  }
}

/**
 * Calls every listener with the same arguments; a listener that throws is
 * logged and does not stop the others.
 *
 * @param listeners The listeners (copied before the calls).
 * @param args Arguments.
 * @param label What the listeners listen to, for the log.
 */
export function callAll<A extends unknown[]>(
  listeners: Iterable<(...args: A) => void>,
  args: A,
  label: string,
): void {
  for (const l of [...listeners]) {
    try {
      l(...args);
    } catch (err) {
      console.error(`Listener of ${label} threw`, err);
    }
  }
}

/**
 * `events_missed`: events were dropped from the server's buffer.
 *
 * @param after Last sequence number the client saw.
 * @param upTo Last sequence number lost.
 * @returns The error, metadata `{ after, upTo }`.
 */
export function eventsMissed(after: unknown, upTo: unknown): SwitchyardError {
  return clientError(
    "events_missed",
    409,
    `Events after sequence number ${after} up to ${upTo} were missed while disconnected`,
    { metadata: { after, upTo } },
  );
}

/**
 * `connection_reset`: a resume found no connection; a new one replaced it.
 *
 * @param previousConnId The id the client had.
 * @param connId The new id.
 * @returns The error, metadata `{ previousConnId, connId }`.
 */
export function connectionReset(previousConnId: string, connId: string): SwitchyardError {
  return clientError(
    "connection_reset",
    409,
    `Connection "${previousConnId}" could not be resumed, continuing as "${connId}"`,
    { metadata: { previousConnId, connId } },
  );
}

/**
 * `connection_lost`: the transport dropped while an action ran.
 *
 * @param code Close code.
 * @param reason Close reason.
 * @returns The error, metadata `{ code, reason }`.
 */
export function connectionLost(code: number, reason: string): SwitchyardError {
  return clientError("connection_lost", 503, "Connection was lost while the action ran", {
    metadata: { code, reason },
  });
}

/**
 * `connection_closed`: the server ended the connection for good.
 *
 * @param code Close code.
 * @param reason Close reason.
 * @returns The error, metadata `{ code, reason }`.
 */
export function connectionClosed(code: number, reason: string): SwitchyardError {
  return clientError(
    "connection_closed",
    410,
    `Connection was closed by the server with code ${code}${reason ? ` ("${reason}")` : ""}`,
    { metadata: { code, reason } },
  );
}
