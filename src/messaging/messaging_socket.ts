/**
 * The WebSocket management endpoint for outside clients. Runtime-neutral:
 * it takes any {@linkcode SocketLike} (Deno's upgraded socket, a Workers
 * `WebSocketPair` end, `ws` on Node, or {@linkcode socketPair}).
 *
 * @module
 */
import { decode, encode, type Encoding } from "../common/encoding.ts";
import { publicError, type SwitchyardError, toErrorBody } from "../common/errors.ts";
import { frameData, OPEN, type SocketLike } from "../common/socket.ts";
import { type MessageRouter, SENT, trySend } from "./message_router.ts";
import type { Channel } from "./types.ts";

/** What an authorised connection may do. */
export interface MessagingGrant {
  /**
   * Who the client is (a user id). The connection's participant id is
   * `client:<identity>:<random>`, or `client:<random>` without one, so two
   * connections never share an identity. @default none
   */
  identity?: string;
  /**
   * Whether this connection may send to, request from or open a channel to
   * `target`. Synchronous so commands keep their order. @default allows all
   */
  canAddress?: (target: string) => boolean;
}

/**
 * Decides who may connect to `/messages`, from the upgrade request: a grant,
 * or `null` to refuse the upgrade (the server answers 403).
 *
 * @example Allow signed-in users to address their own actors
 * ```ts
 * import type { MessagingAuth } from "./messaging_socket.ts";
 * const auth: MessagingAuth = (request) => {
 *   const user = request.headers.get("x-user");
 *   return user ? { identity: user, canAddress: (t) => t.startsWith(`${user}/`) } : null;
 * };
 * ```
 */
export type MessagingAuth = (
  request: Request,
) => MessagingGrant | null | Promise<MessagingGrant | null>;

/** Options of {@linkcode serveMessagingSocket}. */
export interface ServeMessagingOptions extends MessagingGrant {
  /**
   * Encoding of replies and pushes. Incoming text frames are read as JSON and
   * binary frames as CBOR whatever this says. @default {"json"}
   */
  encoding?: Encoding;
  /** Most commands in one frame. @default {1000} */
  maxCommandsPerFrame?: number;
  /** Most requests and opens awaiting a reply per connection. @default {4096} */
  maxInflight?: number;
}

/** A served connection. */
export interface MessagingConnection {
  /** The connection's participant id (the `from` of its messages). */
  readonly participant: string;
  /** Resolves once the socket closed and the connection's channels are closed. */
  readonly closed: Promise<void>;
}

type Id = string | number | null;

interface Command {
  id: Id;
  op?: unknown;
  to?: unknown;
  data?: unknown;
  channel?: unknown;
  timeout?: unknown;
  acks?: unknown;
}

/** Whether `ids` are the consecutive integers from `ids[0]` on. */
function isRange(ids: Id[]): boolean {
  const first = ids[0] as number;
  for (let i = 1; i < ids.length; i++) if (ids[i] !== first + i) return false;
  return true;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Reads the `id` of a single command from text that is not valid JSON. */
function salvageId(text: string): Id {
  const m = /^\s*\{\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,128}"|-?\d{1,16})\s*[,}]/.exec(text);
  if (m === null) return null;
  try {
    return JSON.parse(m[1]!) as string | number;
  } catch {
    return null;
  }
}

/** The JSON of `{ id, ok: true }`. */
function ackText(id: Id): string {
  return `{"id":${typeof id === "number" ? id : JSON.stringify(id)},"ok":true}`;
}

function malformed(message: string): SwitchyardError {
  return publicError("malformed_command", 400, message);
}

/**
 * Serves the messaging protocol (see docs/messaging.md) on an accepted
 * socket. Each connection is its own participant: it can use and close only
 * the channels it opened. Every command gets exactly one reply carrying its
 * `id`; replies and pushes produced in the same tick share one frame.
 *
 * @param router The router to serve.
 * @param socket The upgraded socket.
 * @param options Grant (identity, `canAddress`), reply encoding and limits.
 * @returns The connection's participant id and a promise of its end.
 *
 * @example Serve a client over an in-process socket pair
 * ```ts
 * import { MessageRouter, MessagingClient, serveMessagingSocket } from "./mod.ts";
 * import { socketPair } from "../common/socket.ts";
 * const router = new MessageRouter();
 * router.register("echo", { onRequest: (d) => d });
 * const [clientEnd, serverEnd] = socketPair();
 * const conn = serveMessagingSocket(router, serverEnd);
 * const client = await MessagingClient.connect(clientEnd);
 * console.assert((await client.request("echo", "hi")) === "hi");
 * await client.close();
 * await conn.closed;
 * ```
 */
export function serveMessagingSocket(
  router: MessageRouter,
  socket: SocketLike,
  options: ServeMessagingOptions = {},
): MessagingConnection {
  const participant = options.identity === undefined
    ? `client:${randomId()}`
    : `client:${options.identity}:${randomId()}`;
  const encoding = options.encoding ?? "json";
  const canAddress = options.canAddress;
  const maxCommands = options.maxCommandsPerFrame ?? 1000;
  const maxInflight = options.maxInflight ?? 4096;
  const channels = new Map<string, Channel>();
  const json = encoding === "json";
  // What goes out this tick, as one frame: JSON texts (json), or values (cbor).
  let outbox: unknown[] = [];
  // After `configure` with `acks: "ids"`, consecutive acknowledgements share
  // one `{ ok: true, ids }` reply: the ids of the open run, and its outbox slot.
  let idsAcks = false;
  let ids: Id[] | null = null;
  let idsAt = 0;
  let flushing = false;
  let inflight = 0;
  let open = true;
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  socket.binaryType = "arraybuffer";

  /** Puts the open run of acknowledgements in its outbox slot. */
  const closeIds = (): void => {
    const run = ids!;
    ids = null;
    const n = run.length;
    const first = run[0]!;
    if (n === 1) outbox[idsAt] = json ? ackText(first) : { id: first, ok: true };
    else if (n > 2 && typeof first === "number" && isRange(run)) {
      // Consecutive numbers (a `send_many`): the first and last id say it all.
      const last = first + n - 1;
      outbox[idsAt] = json
        ? `{"ok":true,"range":[${first},${last}]}`
        : { ok: true, range: [first, last] };
    } else if (!json) outbox[idsAt] = { ok: true, ids: run };
    else {
      let text = '{"ok":true,"ids":[';
      for (let i = 0; i < run.length; i++) {
        const id = run[i];
        text += (i === 0 ? "" : ",") + (typeof id === "number" ? id : JSON.stringify(id));
      }
      outbox[idsAt] = text + "]}";
    }
  };
  const flush = (): void => {
    flushing = false;
    if (ids !== null) closeIds();
    const out = outbox;
    outbox = [];
    if (!open || socket.readyState !== OPEN) return;
    if (json) socket.send(out.length === 1 ? out[0] as string : `[${out.join(",")}]`);
    else socket.send(encode(out.length === 1 ? out[0] : out, encoding));
  };
  const queue = (item: unknown): void => {
    if (ids !== null) closeIds();
    outbox.push(item);
    if (!flushing) {
      flushing = true;
      queueMicrotask(flush);
    }
  };
  /** Queues a reply or push (JSON is encoded now, so a bad value fails alone). */
  const emit = (msg: { id?: Id; [key: string]: unknown }): void => {
    if (!json) return queue(msg);
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch (err) {
      if (msg.id === undefined) return console.error(err); // a push: nobody to tell
      text = JSON.stringify({ id: msg.id, ok: false, error: toErrorBody(err).body });
    }
    queue(text);
  };
  const ok = (id: Id, data?: unknown): void => {
    if (data !== undefined) return emit({ id, ok: true, data });
    // The common reply, an acknowledgement: its JSON is built directly.
    if (!idsAcks) return queue(json ? ackText(id) : { id, ok: true });
    if (ids === null) {
      idsAt = outbox.length;
      queue(null); // the run's slot, filled by closeIds
      ids = [];
    }
    ids.push(id);
  };
  const fail = (id: Id, err: unknown): void =>
    emit({ id, ok: false, error: toErrorBody(err).body });

  const target = (cmd: Command): string => {
    const to = cmd.to;
    if (typeof to !== "string") throw malformed(`Command "${cmd.op}" needs a string "to"`);
    if (canAddress !== undefined && !canAddress(to)) {
      throw publicError("forbidden", 403, `Target "${to}" may not be addressed`, { target: to });
    }
    return to;
  };
  const timeoutOf = (cmd: Command): number | undefined => {
    const t = cmd.timeout;
    if (t === undefined) return undefined;
    if (typeof t !== "number" || !(t > 0)) throw malformed(`Timeout must be > 0 ms, got ${t}`);
    return t;
  };
  const channelOf = (cmd: Command): string => {
    if (typeof cmd.channel !== "string") {
      throw malformed(`Command "${cmd.op}" needs a string "channel"`);
    }
    return cmd.channel;
  };
  const startInflight = (): void => {
    if (inflight >= maxInflight) {
      throw publicError("overloaded", 503, `Connection has ${inflight} commands in flight`, {
        retryable: true,
      });
    }
    inflight++;
  };

  /** A target of a batch, checked as `target()` checks one. */
  const batchTarget = (to: unknown): string => {
    if (typeof to !== "string") throw malformed(`Command "send_many" needs string targets`);
    if (canAddress !== undefined && !canAddress(to)) {
      throw publicError("forbidden", 403, `Target "${to}" may not be addressed`, { target: to });
    }
    return to;
  };
  /**
   * `send_many`: the sends `id`, `id + 1`, … to `to[i]` with `data[i]`, each
   * acknowledged or failed on its own id, exactly as that many `send`s. Parsing
   * two arrays costs the server a fraction of parsing as many objects.
   */
  const sendMany = (cmd: Command): void => {
    const id = cmd.id;
    const to = cmd.to;
    const data = cmd.data;
    if (
      typeof id !== "number" || !Number.isSafeInteger(id) || !Array.isArray(to) ||
      !Array.isArray(data) || to.length !== data.length || to.length === 0 ||
      !Number.isSafeInteger(id + to.length)
    ) {
      throw malformed(
        `Command "send_many" needs an integer "id" and arrays "to" and "data" of one length`,
      );
    }
    if (to.length > maxCommands) {
      throw malformed(`Command "send_many" holds ${to.length} sends, more than ${maxCommands}`);
    }
    for (let i = 0; i < to.length; i++) {
      const mid = id + i;
      try {
        const sent = trySend(router, batchTarget(to[i]), data[i], participant);
        if (sent === SENT) ok(mid);
        else if (sent instanceof Error) fail(mid, sent);
        else sent.then(() => ok(mid), (err) => fail(mid, err));
      } catch (err) {
        fail(mid, err);
      }
    }
  };

  const run = (cmd: Command): void => {
    const id = cmd.id;
    switch (cmd.op) {
      case "send": {
        const sent = trySend(router, target(cmd), cmd.data, participant);
        if (sent === SENT) return ok(id);
        if (sent instanceof Error) throw sent;
        // The target is being woken: acknowledge once it is known to exist.
        sent.then(() => ok(id), (err) => fail(id, err));
        return;
      }
      case "send_many":
        return sendMany(cmd);
      case "request": {
        const to = target(cmd);
        const timeout = timeoutOf(cmd);
        startInflight();
        router.request(to, cmd.data, { from: participant, timeout }).then(
          (v) => {
            inflight--;
            ok(id, v);
          },
          (err) => {
            inflight--;
            fail(id, err);
          },
        );
        return;
      }
      case "open": {
        const to = target(cmd);
        const timeout = timeoutOf(cmd);
        startInflight();
        router.openChannel(participant, to, { initial: cmd.data, timeout }).then((ch) => {
          inflight--;
          if (!open) return ch.close();
          channels.set(ch.id, ch);
          ok(id, { channel: ch.id }); // before any push on it
          ch.onClose(() => {
            channels.delete(ch.id);
            emit({ op: "channel_closed", channel: ch.id });
          });
          ch.onMessage((data) => emit({ op: "channel_message", channel: ch.id, data }));
        }, (err) => {
          inflight--;
          fail(id, err);
        });
        return;
      }
      case "channel_send":
        router.sendOnChannel(channelOf(cmd), cmd.data, { by: participant });
        return ok(id);
      case "configure":
        if (cmd.acks !== undefined) {
          if (cmd.acks !== "ids" && cmd.acks !== "each") {
            throw malformed(`"acks" must be "ids" or "each"`);
          }
          idsAcks = cmd.acks === "ids";
        }
        return ok(id);
      case "channel_close": {
        const ch = channelOf(cmd);
        router.closeChannel(ch, { by: participant });
        channels.delete(ch);
        return ok(id);
      }
      default:
        throw malformed(`Command "${String(cmd.op).slice(0, 32)}" is not supported`);
    }
  };

  const command = (raw: unknown): void => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return fail(null, malformed("Command must be an object"));
    }
    const cmd = raw as Command;
    const id = cmd.id;
    if (typeof id !== "string" && typeof id !== "number") {
      return fail(null, malformed(`Command needs a string or number "id"`));
    }
    try {
      run(cmd);
    } catch (err) {
      fail(id, err);
    }
  };

  socket.addEventListener("message", (ev) => {
    const data = frameData(ev.data);
    if (data === undefined) {
      return fail(null, publicError("malformed_frame", 400, "Frame is neither text nor binary"));
    }
    let value: unknown;
    try {
      value = decode(data);
    } catch {
      const kind = typeof data === "string" ? "JSON" : "CBOR";
      const id = typeof data === "string" ? salvageId(data) : null;
      return fail(id, publicError("malformed_frame", 400, `Frame is not valid ${kind}`));
    }
    if (!Array.isArray(value)) return command(value);
    // Each send of a `send_many` counts as a command.
    let count = value.length;
    for (let i = 0; i < value.length && count <= maxCommands; i++) {
      const to = (value[i] as Command | null)?.to;
      if (Array.isArray(to)) count += to.length - 1;
    }
    if (count > maxCommands) {
      return fail(null, malformed(`Frame holds ${count} commands, more than ${maxCommands}`));
    }
    for (const cmd of value) command(cmd);
  });
  socket.addEventListener("close", () => {
    open = false;
    for (const ch of channels.values()) ch.close();
    channels.clear();
    markClosed();
  });
  return { participant, closed };
}
