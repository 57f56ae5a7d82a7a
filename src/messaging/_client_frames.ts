/**
 * How the client frames its commands: runs of sends folded into `send_many`,
 * and the bounds of one frame.
 *
 * @module
 */
import { encode, type Encoding } from "../common/encoding.ts";

/** A command as the client queues it. */
export type ClientCommand = { id: number; [key: string]: unknown };

/** Most commands in one frame: a server refuses more by default. */
export const FRAME_COMMANDS = 1000;
/** The largest batch frame, in bytes of CBOR or UTF-16 units of JSON, as the server's. */
export const FRAME_MAX_SIZE = 1 << 20;
/** Whether this runtime's `WebSocket` client leaves Nagle's algorithm on (Deno's does). */
export const NAGLE_CLIENT = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
/** The largest batch frame sent in one piece by such a client, in bytes (or UTF-16 units). */
export const SMALL_FRAME = 1000;

/**
 * Folds each run of consecutive `send`s with consecutive ids into one
 * `send_many` (ids `id`, `id + 1`, …): the server parses two arrays instead
 * of an object per message. Other commands keep their place.
 */
export function sendRuns(out: { id: number; [key: string]: unknown }[]): unknown[] {
  if (out.length < 2) return out;
  const folded: unknown[] = [];
  for (let i = 0; i < out.length;) {
    const first = out[i]!;
    let j = i + 1;
    if (first.op === "send") {
      while (j < out.length && out[j]!.op === "send" && out[j]!.id === first.id + (j - i)) j++;
    }
    if (j - i < 2) {
      folded.push(first);
      i++;
      continue;
    }
    const to: unknown[] = new Array(j - i);
    const data: unknown[] = new Array(j - i);
    for (let k = i; k < j; k++) {
      to[k - i] = out[k]!.to;
      data[k - i] = out[k]!.data;
    }
    folded.push({ id: first.id, op: "send_many", to, data });
    i = j;
  }
  return folded;
}

/** One frame of `cmds`: the command alone, or the list with runs of sends folded. */
function encodeFrame(cmds: ClientCommand[], encoding: Encoding): string | Uint8Array {
  const folded = sendRuns(cmds);
  return encode(folded.length === 1 ? folded[0] : folded, encoding);
}

/**
 * Encodes a tick's commands as frames: at most {@linkcode FRAME_COMMANDS}
 * commands each (what a server takes by default), and within the size
 * bound. Deno's `WebSocket` client leaves Nagle's algorithm on: a frame of
 * a little over 1 KiB can then wait ~40 ms for the server's delayed ACK, so
 * there batches go out as frames of at most 1 KiB.
 *
 * @throws {TypeError} When a command's data cannot be encoded.
 */
export function encodeFrames(out: ClientCommand[], encoding: Encoding): Array<string | Uint8Array> {
  const frames: Array<string | Uint8Array> = [];
  const limit = NAGLE_CLIENT ? SMALL_FRAME : FRAME_MAX_SIZE;
  for (let at = 0; at < out.length; at += FRAME_COMMANDS) {
    const group = out.length <= FRAME_COMMANDS ? out : out.slice(at, at + FRAME_COMMANDS);
    const frame = encodeFrame(group, encoding);
    const size = typeof frame === "string" ? frame.length : frame.byteLength;
    if (size <= limit || group.length === 1) {
      frames.push(frame);
      continue;
    }
    const per = Math.ceil(group.length / Math.ceil(size / limit));
    for (let i = 0; i < group.length; i += per) {
      frames.push(encodeFrame(group.slice(i, i + per), encoding));
    }
  }
  return frames;
}
