/**
 * Storage of a mailbox: a list of chunks.
 *
 * Items are stored flat, one slot each, in a list of chunks, so a one-way or
 * channel message costs no allocation of its own, a long queue never copies
 * what it holds, and a consumed chunk is recycled. What is not data goes to
 * the chunk's tag array, at the same index:
 *
 * | item | slot | tag |
 * |---|---|---|
 * | one-way message | data | the sender id (a string), only when it differs from the previous message's; else none |
 * | request, open | — | its `Reply` (`end` set for opens) |
 * | channel message | data | the receiving `ChannelEnd` |
 * | channel close | `CLOSE` | the receiving `ChannelEnd` |
 *
 * So a run of messages from one sender takes one slot per message, and data
 * is never inspected to tell items apart. A chunk's arrays grow as used (an
 * idle actor's mailbox stays small); each chunk after the first may hold
 * twice as many items as the one before, up to {@linkcode MAX}: a deep queue
 * takes few chunks, and their arrays end up in V8's large-object space,
 * which the young-generation GC does not copy.
 *
 * @module
 */

/** Slots of a mailbox's first chunk. */
export const FIRST = 256;
/** Most slots per chunk (256 KB with compressed pointers). */
export const MAX = 65536;

/** A run of mailbox slots, with the tags of its items. */
export class Chunk {
  /** Item slots, grown as used. */
  readonly s: unknown[] = [];
  /** Tags by slot index (`null` until one is needed). */
  t: unknown[] | null = null;
  next: Chunk | null = null;
  /** Slots this chunk holds. */
  readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }

  /**
   * The tag array. Tags are written by index, leaving holes: a small chunk's
   * grows as used, a large one's is allocated whole (far writes past the end
   * of a growing array would make V8 switch it to slow dictionary elements).
   */
  tags(): unknown[] {
    return this.t ??= this.cap <= FIRST ? [] : new Array(this.cap);
  }
}
