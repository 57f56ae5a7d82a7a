/**
 * Messages on a connection (WebSocket frames, SSE events and SSE message
 * posts). Text frames are JSON, binary frames CBOR; the connection's encoding
 * decides what the server sends.
 *
 * Client → server:
 * - `{ t: "action", id, name, args }` — run an action; answered by `result` or `error` with the same `id`;
 * - `{ t: "sub", event }` / `{ t: "unsub", event }` — (un)subscribe to an event name.
 *
 * Both ways (heartbeat, see `docs/protocol.md`):
 * - `{ t: "ping", id? }` — answered by `{ t: "pong", id? }` with the same
 *   `id`, after every message that came before the ping took effect;
 * - `{ t: "pong", id? }`.
 *
 * Server → client:
 * - `{ t: "init", connId, token, resumed, seq }` — first message; `seq` is the
 *   last event sequence number sent to this connection (0 when new);
 * - `{ t: "result", id, output }`;
 * - `{ t: "error", id?, code, message, status, metadata? }` — with `id`: that
 *   action failed; without: a protocol error about the connection. `status`
 *   is the HTTP status the same error has over HTTP (`forbidden`: 403);
 * - `{ t: "event", seq, name, args }` — `seq` grows with every event of the
 *   actor; a connection sees the subsequence it subscribed to, in order;
 * - `{ t: "gap", after, upTo }` — on a resume, events with `after < seq ≤ upTo`
 *   were dropped from the bounded buffer and cannot be replayed.
 *
 * **Batches.** A frame holds one message, or a list of messages (a JSON
 * array, a CBOR array) handled in order exactly as if each had come in its
 * own frame — the messaging endpoint's convention too. Both ends batch what
 * they send in the same tick:
 * - the server queues every message for a connection in one ordered queue
 *   (events, results, errors) and flushes it on a microtask, so the
 *   1,000 events of a burst cost one frame and one write per connection
 *   instead of 1,000, and a `result` can never overtake an event sent
 *   before it (`init`, `gap` and a close go out after the queue is flushed).
 *   An action's result usually leaves in the frame after its events: the
 *   flush runs before the action's promise settles;
 * - the client sends the actions and subscriptions of one tick together, in
 *   lists of at most 1 KiB (a longer message goes alone; see
 *   `src/client/_conn_outbox.ts` for why) and at most
 *   {@linkcode MAX_MESSAGES_PER_FRAME} messages, so callers that run
 *   actions concurrently share frames both ways. The server handles a
 *   list's messages in order: a `sub` takes effect before the actions after
 *   it start, and the actions run concurrently, as separate frames would.
 *
 * A server batch costs no serialisation: each message is encoded once per
 * encoding (once for all connections of a broadcast), and a batch is the
 * concatenation of the encoded messages — JSON `[` + texts joined by `,` +
 * `]`, CBOR an array header + the bytes. Connections that queued the same
 * messages share one batch. A batch stays under 1 MiB (longer runs are
 * split). Sequence numbers are per event, inside a batch as outside it: the
 * replay buffer keeps single events, and a replay after a resume is sent
 * as batches too. Listeners of the events of one batch run back to back.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";

/** Client → server. */
export type ClientMessage =
  | { t: "action"; id: number; name: string; args: unknown[] }
  | { t: "sub"; event: string }
  | { t: "unsub"; event: string }
  | { t: "ping"; id?: number }
  | { t: "pong"; id?: number };

/** Server → client. */
export type ServerMessage =
  | { t: "init"; connId: string; token: string; resumed: boolean; seq: number }
  | { t: "result"; id: number; output: unknown }
  | {
    t: "error";
    id?: number;
    code: string;
    message: string;
    status?: number;
    metadata?: unknown;
  }
  | EventMessage
  | { t: "gap"; after: number; upTo: number }
  | { t: "ping"; id?: number }
  | { t: "pong"; id?: number };

/** One event. */
export interface EventMessage {
  /** Always `"event"`. */
  t: "event";
  /** The actor's event sequence number. */
  seq: number;
  /** Event name. */
  name: string;
  /** Event arguments. */
  args: unknown[];
}

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

/** Most messages in one client frame (a list); a longer list is refused as `malformed_message`. */
export const MAX_MESSAGES_PER_FRAME = 1000;

/** Longest action or event name. */
export const NAME_MAX_LENGTH = 256;

/** Most event names a connection subscribes to as it opens. */
export const MAX_OPENING_SUBS = 256;

/**
 * Validates the event names a connection subscribes to as it opens
 * (`x-sy-conn-subs`, `sy.subs.`).
 *
 * @param v The decoded JSON value.
 * @returns The names.
 * @throws {SwitchyardError} `malformed_header` (400) when it is not a list of names.
 */
export function parseOpeningSubs(v: unknown): string[] {
  if (
    !Array.isArray(v) || v.length > MAX_OPENING_SUBS ||
    !v.every((n) => typeof n === "string" && n.length <= NAME_MAX_LENGTH)
  ) {
    throw publicError(
      "malformed_header",
      400,
      `Subscriptions must be a list of at most ${MAX_OPENING_SUBS} event names`,
    );
  }
  return v;
}

/**
 * The most arguments one action call takes, over every way in (HTTP,
 * WebSocket, SSE and the inline client). More answer `too_many_arguments`
 * (400): the arguments are spread into the handler, and a spread of ~100,000
 * values overflows the stack.
 */
export const MAX_ACTION_ARGS = 256;

/**
 * Refuses an argument list longer than {@linkcode MAX_ACTION_ARGS}.
 *
 * @param args The positional arguments.
 * @param metadata Extra metadata for the error (e.g. the message `id`).
 * @returns `args`.
 * @throws {SwitchyardError} `too_many_arguments` (400) with the `limit` as metadata.
 */
export function checkActionArgs(args: unknown[], metadata?: Record<string, unknown>): unknown[] {
  if (args.length <= MAX_ACTION_ARGS) return args;
  throw publicError(
    "too_many_arguments",
    400,
    `Action takes at most ${MAX_ACTION_ARGS} arguments, got ${args.length}`,
    { ...metadata, limit: MAX_ACTION_ARGS },
  );
}

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
      return {
        t: "action",
        id: m.id as number,
        name: m.name,
        args: checkActionArgs((m.args as unknown[]) ?? [], { id: m.id }),
      };
    case "sub":
    case "unsub":
      if (typeof m.event !== "string" || m.event.length > NAME_MAX_LENGTH) {
        throw publicError("malformed_message", 400, "Subscription needs an event name");
      }
      return { t: m.t, event: m.event };
    case "ping":
    case "pong":
      if (m.id !== undefined && !Number.isSafeInteger(m.id)) {
        throw publicError("malformed_message", 400, "Ping id must be an integer");
      }
      return m.id === undefined ? { t: m.t } : { t: m.t, id: m.id as number };
    default:
      throw publicError("malformed_message", 400, "Message type is unknown");
  }
}

/** The body of `POST /messages/send` and `/messages/request` on the actor router. */
export interface RemoteMessageBody {
  /** The sender's participant id. */
  from: string;
  /** The payload. */
  data: unknown;
}
