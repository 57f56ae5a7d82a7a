/**
 * One served `/messages` connection: reads its frames, runs each command
 * against the router, and ends it (channels closed) on a close, a silent
 * peer or a client that does not read.
 *
 * @module
 */
import { decode, type Encoding } from "../common/encoding.ts";
import { publicError, type SwitchyardError } from "../common/errors.ts";
import { frameData, type SocketLike } from "../common/socket.ts";
import { watchSilence } from "./_heartbeat.ts";
import { type AdmitTarget, TargetAdmission } from "./_target_admission.ts";
import { type Id, ReplyOutbox } from "./_reply_outbox.ts";
import { type MessageRouter, SENT, trySend } from "./message_router.ts";
import type { Channel } from "./types.ts";

/** What a session is configured with (options of `serveMessagingSocket`, resolved). */
export interface SessionConfig {
  participant: string;
  encoding: Encoding;
  canAddress: ((target: string) => boolean) | undefined;
  /** Checks each target once, before the first command to it (actors: their `onAuth`). */
  admit: AdmitTarget | undefined;
  maxCommands: number;
  maxInflight: number;
  heartbeatTimeout: number;
  maxBufferedBytes: number;
  /** Close codes of a silent peer and of a client that does not read. */
  closeSilent: number;
  closeSlow: number;
}

interface Command {
  id: Id;
  op?: unknown;
  to?: unknown;
  data?: unknown;
  channel?: unknown;
  timeout?: unknown;
  acks?: unknown;
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

function malformed(message: string): SwitchyardError {
  return publicError("malformed_command", 400, message);
}

/** A served connection: one participant of the router. */
export class MessagingSession {
  readonly participant: string;
  readonly closed: Promise<void>;
  /** Ticks of silence, for the heartbeat sweep. */
  silent = 0;
  #router: MessageRouter;
  #socket: SocketLike;
  #config: SessionConfig;
  #out: ReplyOutbox;
  #channels = new Map<string, Channel>();
  #inflight = 0;
  #open = true;
  #markClosed!: () => void;
  #unwatch: () => void;
  #admission: TargetAdmission | undefined;

  constructor(router: MessageRouter, socket: SocketLike, config: SessionConfig) {
    this.participant = config.participant;
    this.#router = router;
    this.#socket = socket;
    this.#config = config;
    this.closed = new Promise<void>((r) => (this.#markClosed = r));
    this.#out = new ReplyOutbox(socket, config.encoding, this.#beforeSend);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (ev) => this.#frame(ev.data));
    socket.addEventListener("close", () => this.#end());
    this.#unwatch = watchSilence(this, config.heartbeatTimeout);
    if (config.admit) this.#admission = new TargetAdmission(config.admit);
  }

  /** Heartbeat: asks the client to answer (with any command, e.g. `ping`). */
  ping(): void {
    this.#out.emit({ op: "ping" });
  }

  /** Heartbeat: the client was silent for the whole timeout. */
  lost(): void {
    const t = this.#config.heartbeatTimeout;
    this.#abort(this.#config.closeSilent, `Client was silent for more than ${t} ms`);
  }

  /** Checks, before each flush, that the client reads what it is sent. */
  #beforeSend = (): boolean => {
    if (!this.#open) return false;
    const buffered = (this.#socket as { bufferedAmount?: number }).bufferedAmount;
    if (buffered === undefined || buffered <= this.#config.maxBufferedBytes) return true;
    this.#abort(this.#config.closeSlow, `Client left ${buffered} bytes unread`);
    return false;
  };

  /**
   * Ends the connection now, without waiting for a close handshake that a
   * silent or stuck client would never finish.
   */
  #abort(code: number, reason: string): void {
    if (!this.#open) return;
    this.#end();
    try {
      this.#socket.close(code, reason);
    } catch (err) {
      console.error(err);
    }
  }

  /** Frees the connection: its channels close (the actors are told). */
  #end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#unwatch();
    this.#out.clear();
    for (const ch of this.#channels.values()) ch.close();
    this.#channels.clear();
    this.#markClosed();
  }

  #frame(raw: unknown): void {
    if (!this.#open) return;
    this.silent = 0;
    const out = this.#out;
    const data = frameData(raw);
    if (data === undefined) {
      return out.fail(
        null,
        publicError("malformed_frame", 400, "Frame is neither text nor binary"),
      );
    }
    let value: unknown;
    try {
      value = decode(data);
    } catch {
      const kind = typeof data === "string" ? "JSON" : "CBOR";
      const id = typeof data === "string" ? salvageId(data) : null;
      return out.fail(id, publicError("malformed_frame", 400, `Frame is not valid ${kind}`));
    }
    if (!Array.isArray(value)) return this.#command(value);
    // Each send of a `send_many` counts as a command.
    const max = this.#config.maxCommands;
    let count = value.length;
    for (let i = 0; i < value.length && count <= max; i++) {
      const to = (value[i] as Command | null)?.to;
      if (Array.isArray(to)) count += to.length - 1;
    }
    if (count > max) {
      return out.fail(null, malformed(`Frame holds ${count} commands, more than ${max}`));
    }
    for (const cmd of value) this.#command(cmd);
  }

  #command(raw: unknown): void {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return this.#out.fail(null, malformed("Command must be an object"));
    }
    const cmd = raw as Command;
    const id = cmd.id;
    if (typeof id !== "string" && typeof id !== "number") {
      return this.#out.fail(null, malformed(`Command needs a string or number "id"`));
    }
    const admission = this.#admission;
    if (admission === undefined) return this.#runCaught(cmd);
    const to = cmd.op === "channel_send" || cmd.op === "channel_close" ? undefined : cmd.to;
    const targets = typeof to === "string"
      ? [to]
      : Array.isArray(to)
      ? to.filter((t): t is string => typeof t === "string")
      : [];
    admission.submit(targets, () => {
      if (this.#open) this.#runCaught(cmd);
    });
  }

  #runCaught(cmd: Command): void {
    try {
      this.#run(cmd);
    } catch (err) {
      this.#out.fail(cmd.id, err);
    }
  }

  #run(cmd: Command): void {
    switch (cmd.op) {
      case "send":
        return this.#send(cmd);
      case "send_many":
        return this.#sendMany(cmd);
      case "request":
        return this.#request(cmd);
      case "open":
        return this.#openChannel(cmd);
      case "channel_send":
        this.#router.sendOnChannel(this.#channelOf(cmd), cmd.data, { by: this.participant });
        return this.#out.ok(cmd.id);
      case "channel_close": {
        const ch = this.#channelOf(cmd);
        this.#router.closeChannel(ch, { by: this.participant });
        this.#channels.delete(ch);
        return this.#out.ok(cmd.id);
      }
      case "configure":
        return this.#configure(cmd);
      case "ping":
        return this.#out.ok(cmd.id);
      default:
        throw malformed(`Command "${String(cmd.op).slice(0, 32)}" is not supported`);
    }
  }

  #send(cmd: Command): void {
    const id = cmd.id;
    const sent = trySend(this.#router, this.#target(cmd.to, "send"), cmd.data, this.participant);
    if (sent === SENT) return this.#out.ok(id);
    if (sent instanceof Error) throw sent;
    // The target is being woken: acknowledge once it is known to exist.
    sent.then(() => this.#out.ok(id), (err) => this.#out.fail(id, err));
  }

  /**
   * `send_many`: the sends `id`, `id + 1`, … to `to[i]` with `data[i]`, each
   * acknowledged or failed on its own id, exactly as that many `send`s. Parsing
   * two arrays costs the server a fraction of parsing as many objects.
   */
  #sendMany(cmd: Command): void {
    const { id, to, data } = cmd;
    if (
      typeof id !== "number" || !Number.isSafeInteger(id) || !Array.isArray(to) ||
      !Array.isArray(data) || to.length !== data.length || to.length === 0 ||
      !Number.isSafeInteger(id + to.length)
    ) {
      throw malformed(
        `Command "send_many" needs an integer "id" and arrays "to" and "data" of one length`,
      );
    }
    const max = this.#config.maxCommands;
    if (to.length > max) {
      throw malformed(`Command "send_many" holds ${to.length} sends, more than ${max}`);
    }
    const out = this.#out;
    for (let i = 0; i < to.length; i++) {
      const mid = id + i;
      try {
        const sent = trySend(
          this.#router,
          this.#target(to[i], "send_many"),
          data[i],
          this.participant,
        );
        if (sent === SENT) out.ok(mid);
        else if (sent instanceof Error) out.fail(mid, sent);
        else sent.then(() => out.ok(mid), (err) => out.fail(mid, err));
      } catch (err) {
        out.fail(mid, err);
      }
    }
  }

  #request(cmd: Command): void {
    const id = cmd.id;
    const to = this.#target(cmd.to, "request");
    const timeout = this.#timeoutOf(cmd);
    this.#startInflight();
    this.#router.request(to, cmd.data, { from: this.participant, timeout }).then(
      (v) => {
        this.#inflight--;
        this.#out.ok(id, v);
      },
      (err) => {
        this.#inflight--;
        this.#out.fail(id, err);
      },
    );
  }

  #openChannel(cmd: Command): void {
    const id = cmd.id;
    const to = this.#target(cmd.to, "open");
    const timeout = this.#timeoutOf(cmd);
    this.#startInflight();
    const out = this.#out;
    this.#router.openChannel(this.participant, to, { initial: cmd.data, timeout }).then((ch) => {
      this.#inflight--;
      if (!this.#open) return ch.close();
      this.#channels.set(ch.id, ch);
      out.ok(id, { channel: ch.id }); // before any push on it
      ch.onClose(() => {
        this.#channels.delete(ch.id);
        out.emit({ op: "channel_closed", channel: ch.id });
      });
      ch.onMessage((data) => out.emit({ op: "channel_message", channel: ch.id, data }));
    }, (err) => {
      this.#inflight--;
      out.fail(id, err);
    });
  }

  #configure(cmd: Command): void {
    if (cmd.acks !== undefined) {
      if (cmd.acks !== "ids" && cmd.acks !== "each") {
        throw malformed(`"acks" must be "ids" or "each"`);
      }
      this.#out.idsAcks = cmd.acks === "ids";
    }
    this.#out.ok(cmd.id);
  }

  /** A command's target, checked against the grant. */
  #target(to: unknown, op: string): string {
    if (typeof to !== "string") {
      throw malformed(
        op === "send_many"
          ? `Command "send_many" needs string targets`
          : `Command "${op}" needs a string "to"`,
      );
    }
    const canAddress = this.#config.canAddress;
    if (canAddress !== undefined && !canAddress(to)) {
      throw publicError("forbidden", 403, `Target "${to}" may not be addressed`, { target: to });
    }
    this.#admission?.verdict(to);
    return to;
  }

  #timeoutOf(cmd: Command): number | undefined {
    const t = cmd.timeout;
    if (t === undefined) return undefined;
    if (typeof t !== "number" || !(t > 0)) throw malformed(`Timeout must be > 0 ms, got ${t}`);
    return t;
  }

  #channelOf(cmd: Command): string {
    if (typeof cmd.channel !== "string") {
      throw malformed(`Command "${cmd.op}" needs a string "channel"`);
    }
    return cmd.channel;
  }

  #startInflight(): void {
    if (this.#inflight >= this.#config.maxInflight) {
      throw publicError("overloaded", 503, `Connection has ${this.#inflight} commands in flight`, {
        retryable: true,
      });
    }
    this.#inflight++;
  }
}
