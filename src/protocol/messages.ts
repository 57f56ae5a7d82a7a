/**
 * Messages on a connection (WebSocket frames, SSE events and SSE message
 * posts). Text frames are JSON, binary frames CBOR; the connection's encoding
 * decides what the server sends.
 *
 * Client → server:
 * - `{ t: "action", id, name, args }` — run an action; answered by `result` or `error` with the same `id`;
 * - `{ t: "sub", event }` / `{ t: "unsub", event }` — (un)subscribe to an event name.
 *
 * Server → client:
 * - `{ t: "init", connId, token, resumed, seq }` — first message; `seq` is the
 *   last event sequence number sent to this connection (0 when new);
 * - `{ t: "result", id, output }`;
 * - `{ t: "error", id?, code, message, metadata? }` — with `id`: that action
 *   failed; without: a protocol error about the connection;
 * - `{ t: "event", seq, name, args }` — `seq` grows with every event of the
 *   actor; a connection sees the subsequence it subscribed to, in order;
 * - `{ t: "gap", after, upTo }` — on a resume, events with `after < seq ≤ upTo`
 *   were dropped from the bounded buffer and cannot be replayed.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";

/** Client → server. */
export type ClientMessage =
  | { t: "action"; id: number; name: string; args: unknown[] }
  | { t: "sub"; event: string }
  | { t: "unsub"; event: string };

/** Server → client. */
export type ServerMessage =
  | { t: "init"; connId: string; token: string; resumed: boolean; seq: number }
  | { t: "result"; id: number; output: unknown }
  | { t: "error"; id?: number; code: string; message: string; metadata?: unknown }
  | { t: "event"; seq: number; name: string; args: unknown[] }
  | { t: "gap"; after: number; upTo: number };

/** Action request body on `POST /actors/actions/:name`. */
export interface ActionRequestBody {
  /** Positional arguments. */
  args: unknown[];
}

/** Action response body (200). Errors answer `{ code, message, metadata? }`. */
export interface ActionResponseBody {
  /** The action's return value. */
  output: unknown;
}

/** Longest action or event name. */
export const NAME_MAX_LENGTH = 256;

/**
 * Validates a decoded client message.
 *
 * @param v The decoded frame.
 * @returns The message.
 * @throws {SwitchyardError} `malformed_message` (400) when it is not a client message.
 */
export function parseClientMessage(v: unknown): ClientMessage {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw publicError("malformed_message", 400, "Message must be an object");
  }
  const m = v as Record<string, unknown>;
  switch (m.t) {
    case "action":
      if (!Number.isSafeInteger(m.id)) {
        throw publicError("malformed_message", 400, "Action message needs an integer id");
      }
      if (typeof m.name !== "string" || m.name.length > NAME_MAX_LENGTH) {
        throw publicError("malformed_message", 400, "Action message needs a name", { id: m.id });
      }
      if (m.args !== undefined && !Array.isArray(m.args)) {
        throw publicError("malformed_message", 400, "Action arguments must be a list", {
          id: m.id,
        });
      }
      return { t: "action", id: m.id as number, name: m.name, args: (m.args as unknown[]) ?? [] };
    case "sub":
    case "unsub":
      if (typeof m.event !== "string" || m.event.length > NAME_MAX_LENGTH) {
        throw publicError("malformed_message", 400, "Subscription needs an event name");
      }
      return { t: m.t, event: m.event };
    default:
      throw publicError("malformed_message", 400, "Message type is unknown");
  }
}
