/**
 * What the manager knows of an actor, shared by both driver halves.
 *
 * @module
 */
import type { ActorKey } from "../protocol/query.ts";

/** What the manager knows of an actor. */
export interface ActorRecord {
  /** Unique id, stable for the actor's life. */
  actorId: string;
  /** Actor type name (a key of `setup({ use })`). */
  name: string;
  /** The key it was created with. Keys never move to another actor. */
  key: ActorKey;
  /** The creation input, given to `createState` and `onCreate`. */
  input?: unknown;
  /** Creation time, epoch ms. */
  createdAt: number;
}
