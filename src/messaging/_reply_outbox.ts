/**
 * What a `/messages` connection sends: replies and pushes produced in one
 * tick go out together, as one frame, or as several when they would pass
 * {@linkcode FRAME_MAX_SIZE}. Runs of plain acknowledgements may be folded
 * into one `{ ok: true, ids }` (or `range`) reply.
 *
 * @module
 */
import { encode, encodeCbor, type Encoding } from "../common/encoding.ts";
import { toErrorBody } from "../common/errors.ts";
import { OPEN, type SocketLike } from "../common/socket.ts";
import { cborList } from "../common/cbor_list.ts";

/** A command's correlation id. */
export type Id = string | number | null;

/**
 * Longest frame: characters of JSON or bytes of CBOR, as on actor
 * connections. A tick's output past it is split into several frames; a
 * single reply longer than this goes alone.
 */
export const FRAME_MAX_SIZE = 1 << 20;

/** Whether `ids` are the consecutive integers from `ids[0]` on. */
function isRange(ids: Id[]): boolean {
  const first = ids[0] as number;
  for (let i = 1; i < ids.length; i++) if (ids[i] !== first + i) return false;
  return true;
}

/** The JSON of `{ id, ok: true }`. */
function ackText(id: Id): string {
  return `{"id":${typeof id === "number" ? id : JSON.stringify(id)},"ok":true}`;
}

/**
 * Cuts `items` (in order) into runs of at most {@linkcode FRAME_MAX_SIZE}
 * and makes each run a frame with `join`; a run of one is the item itself.
 */
function split<T extends string | Uint8Array>(
  items: T[],
  join: (run: T[], size: number) => T,
): T[] {
  const frames: T[] = [];
  let start = 0;
  let size = 0;
  for (let i = 0; i <= items.length; i++) {
    const len = i < items.length ? items[i]!.length : 0;
    if (i === items.length || (i > start && size + len > FRAME_MAX_SIZE)) {
      frames.push(i - start === 1 ? items[start]! : join(items.slice(start, i), size));
      start = i;
      size = 0;
    }
    size += len;
  }
  return frames;
}

const joinJson = (run: string[]): string => `[${run.join(",")}]`;

/** Queues one connection's replies and pushes and sends each tick's as frames. */
export class ReplyOutbox {
  #socket: SocketLike;
  #encoding: Encoding;
  #json: boolean;
  /** Called before a flush; `false` drops the flush (the connection is ending). */
  #beforeSend: () => boolean;
  /** What goes out this tick: JSON texts (json), or values (cbor). */
  #items: unknown[] = [];
  /** Characters queued this tick (json). */
  #size = 0;
  /** The ids of the open run of acknowledgements, and its slot. */
  #ids: Id[] | null = null;
  #idsAt = 0;
  #flushing = false;
  /** Whether consecutive acknowledgements share one reply (`acks: "ids"`). */
  idsAcks = false;

  /**
   * @param socket The connection's socket.
   * @param encoding The encoding of replies and pushes.
   * @param beforeSend Called before each flush; returns `false` to drop it.
   */
  constructor(socket: SocketLike, encoding: Encoding, beforeSend: () => boolean) {
    this.#socket = socket;
    this.#encoding = encoding;
    this.#json = encoding === "json";
    this.#beforeSend = beforeSend;
  }

  /** Queues a reply or push (JSON is encoded now, so a bad value fails alone). */
  emit(msg: { id?: Id; [key: string]: unknown }): void {
    if (!this.#json) return this.#queue(msg);
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch (err) {
      if (msg.id === undefined) return console.error(err); // a push: nobody to tell
      text = JSON.stringify({ id: msg.id, ok: false, error: toErrorBody(err).body });
    }
    this.#queue(text);
  }

  /** Answers `id` with success, and `data` if any. */
  ok(id: Id, data?: unknown): void {
    if (data !== undefined) return this.emit({ id, ok: true, data });
    // The common reply, an acknowledgement: its JSON is built directly.
    if (!this.idsAcks) return this.#queue(this.#json ? ackText(id) : { id, ok: true });
    if (this.#ids === null) {
      this.#idsAt = this.#items.length;
      this.#queue(null); // the run's slot, filled by #closeIds
      this.#ids = [];
    }
    this.#ids.push(id);
  }

  /** Answers `id` with the coded error of `err`. */
  fail(id: Id, err: unknown): void {
    this.emit({ id, ok: false, error: toErrorBody(err).body });
  }

  /** Drops what is queued (the connection ended). */
  clear(): void {
    this.#items = [];
    this.#ids = null;
    this.#size = 0;
  }

  #queue(item: unknown): void {
    if (this.#ids !== null) this.#closeIds();
    this.#items.push(item);
    if (this.#json && item !== null) this.#size += (item as string).length;
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Puts the open run of acknowledgements in its slot. */
  #closeIds(): void {
    const run = this.#ids!;
    this.#ids = null;
    const json = this.#json;
    const n = run.length;
    const first = run[0]!;
    let reply: unknown;
    if (n === 1) reply = json ? ackText(first) : { id: first, ok: true };
    else if (n > 2 && typeof first === "number" && isRange(run)) {
      // Consecutive numbers (a `send_many`): the first and last id say it all.
      const last = first + n - 1;
      reply = json ? `{"ok":true,"range":[${first},${last}]}` : { ok: true, range: [first, last] };
    } else if (!json) reply = { ok: true, ids: run };
    else {
      let text = '{"ok":true,"ids":[';
      for (let i = 0; i < run.length; i++) {
        const id = run[i];
        text += (i === 0 ? "" : ",") + (typeof id === "number" ? id : JSON.stringify(id));
      }
      reply = text + "]}";
    }
    this.#items[this.#idsAt] = reply;
    if (json) this.#size += (reply as string).length;
  }

  #flush = (): void => {
    this.#flushing = false;
    if (this.#ids !== null) this.#closeIds();
    const out = this.#items;
    const size = this.#size;
    this.#items = [];
    this.#size = 0;
    const socket = this.#socket;
    if (socket.readyState !== OPEN || !this.#beforeSend()) return;
    if (out.length === 1) {
      socket.send(this.#json ? out[0] as string : encode(out[0], this.#encoding));
    } else if (this.#json) {
      if (size + out.length <= FRAME_MAX_SIZE) socket.send(joinJson(out as string[]));
      else for (const frame of split(out as string[], joinJson)) socket.send(frame);
    } else {
      const whole = encodeCbor(out);
      if (whole.byteLength <= FRAME_MAX_SIZE) socket.send(whole);
      else {
        const items = out.map((item) => encodeCbor(item) as Uint8Array);
        for (const frame of split(items, cborList)) socket.send(frame);
      }
    }
  };
}
