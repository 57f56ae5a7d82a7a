/**
 * Server frames of a connection: a message encoded at most once per
 * encoding ({@linkcode Frame}), and batches — several messages in one frame,
 * as a list — built by concatenating messages that are already encoded
 * ({@linkcode encodeBatches}, {@linkcode BatchCache}). See
 * `src/protocol/messages.ts` for the wire format.
 *
 * @module
 */
import { encodeCbor, type Encoding } from "../common/encoding.ts";
import type { ServerMessage } from "../protocol/messages.ts";
import { cborList } from "../common/cbor_list.ts";

/**
 * A message encoded at most once per encoding, so a broadcast to many
 * connections serialises once.
 */
export class Frame {
  /** The message. */
  readonly msg: ServerMessage;
  #json?: string;
  #cbor?: Uint8Array;
  /** @param msg The message. */
  constructor(msg: ServerMessage) {
    this.msg = msg;
  }
  /**
   * @param encoding The wanted encoding.
   * @returns The encoded frame (cached).
   */
  get(encoding: Encoding): string | Uint8Array {
    if (encoding === "json") return this.#json ??= JSON.stringify(this.msg);
    return this.#cbor ??= encodeCbor(this.msg);
  }
}

/**
 * Longest batch: characters of JSON or bytes of CBOR. More messages are
 * split into several batches; a message longer than this goes alone.
 */
export const BATCH_MAX_SIZE = 1 << 20;

/**
 * Encodes messages (in order) as few frames as it can, by concatenation —
 * nothing is serialised again: JSON `[` + the encoded messages joined by `,`
 * + `]`; CBOR an array header + the encoded messages' bytes. A part holding
 * one message is that message's own frame; parts stay within
 * {@linkcode BATCH_MAX_SIZE}.
 *
 * @param frames The messages, in order (at least one).
 * @param encoding The connection's encoding.
 * @returns The frames to send, in order.
 */
export function encodeBatches(frames: Frame[], encoding: Encoding): Array<string | Uint8Array> {
  const items = frames.map((f) => f.get(encoding));
  const out: Array<string | Uint8Array> = [];
  let start = 0;
  let size = 0;
  for (let i = 0; i <= items.length; i++) {
    const len = i < items.length ? items[i]!.length : 0;
    if (i === items.length || (i > start && size + len > BATCH_MAX_SIZE)) {
      out.push(
        i - start === 1
          ? items[start]!
          : encoding === "json"
          ? `[${(items.slice(start, i) as string[]).join(",")}]`
          : cborList(items.slice(start, i) as Uint8Array[], size),
      );
      start = i;
      size = 0;
    }
    size += len;
  }
  return out;
}

interface Run {
  frames: Frame[];
  json?: Array<string | Uint8Array>;
  cbor?: Array<string | Uint8Array>;
}

/**
 * Batches built during one flush, shared by connections whose queued
 * messages are the same frames in the same order (a broadcast): each
 * distinct run is concatenated once per encoding, however many connections
 * get it. Comparing two runs costs one reference check per message.
 */
export class BatchCache {
  #byFirst = new Map<Frame, Run[]>();

  /**
   * @param frames Messages, in order (at least one).
   * @param encoding The connection's encoding.
   * @returns The frames to send (shared with other callers: do not modify).
   */
  encode(frames: Frame[], encoding: Encoding): Array<string | Uint8Array> {
    const first = frames[0]!;
    let runs = this.#byFirst.get(first);
    if (!runs) this.#byFirst.set(first, runs = []);
    let run = runs.find((r) => sameFrames(r.frames, frames));
    if (!run) runs.push(run = { frames });
    return run[encoding] ??= encodeBatches(frames, encoding);
  }
}

function sameFrames(a: Frame[], b: Frame[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}
