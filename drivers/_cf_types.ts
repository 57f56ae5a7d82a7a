/**
 * The part of the Cloudflare Workers runtime the driver uses, typed
 * structurally: a Durable Object namespace, its stubs, a Durable Object's
 * state and storage, and hibernatable WebSockets. Real Workers objects
 * satisfy these interfaces; no Workers type package is needed.
 *
 * @module
 */
import type { SocketLike } from "../src/driver/mod.ts";

/** A Durable Object id (`namespace.idFromName(...)`). */
export interface DurableObjectIdLike {
  /** The id as 64 hex digits. */
  toString(): string;
}

/** A Durable Object stub: requests to one object. */
export interface DurableObjectStubLike {
  /** Sends a request to the object's `fetch`. */
  fetch(request: Request): Promise<Response>;
}

/** A Durable Object namespace binding (`env.ACTORS`). */
export interface DurableObjectNamespaceLike {
  /** The id derived from a name: the same name always gives the same object. */
  idFromName(name: string): DurableObjectIdLike;
  /** Parses an id made by this namespace; throws for anything else. */
  idFromString(id: string): DurableObjectIdLike;
  /** The stub of an object. */
  get(id: DurableObjectIdLike): DurableObjectStubLike;
}

/** A Durable Object's transactional storage (the key-value API). */
export interface DurableObjectStorageLike {
  /** Reads values by key. */
  get(keys: string[]): Promise<Map<string, unknown>>;
  /** Writes values; writes made without an await between them commit together. */
  put(entries: Record<string, unknown>): Promise<void>;
  /** Deletes keys. */
  delete(keys: string[]): Promise<number>;
  /** Arms the object's single alarm (epoch ms), replacing an earlier one. */
  setAlarm(scheduledTime: number): Promise<void>;
  /** Disarms the alarm. */
  deleteAlarm(): Promise<void>;
}

/** A WebSocket of the Workers runtime (server end of a `WebSocketPair`). */
export interface WorkersWebSocketLike extends SocketLike {
  /** Accepts the socket in this isolate (the standard, non-hibernating API). */
  accept(): void;
  /** Keeps a small value with the socket that survives hibernation. */
  serializeAttachment(value: unknown): void;
  /** The value kept by `serializeAttachment`. */
  deserializeAttachment(): unknown;
}

/** What the runtime gives a Durable Object (`ctx` or `state`). */
export interface DurableObjectStateLike {
  /** The object's id. */
  readonly id: DurableObjectIdLike;
  /** Its storage. */
  readonly storage: DurableObjectStorageLike;
  /** Accepts a WebSocket with the hibernation API. */
  acceptWebSocket(socket: WorkersWebSocketLike, tags?: string[]): void;
  /** The WebSockets accepted with the hibernation API that are still open. */
  getWebSockets(tag?: string): WorkersWebSocketLike[];
  /** Answers one exact text frame with another without waking the object. */
  setWebSocketAutoResponse?(pair: unknown): void;
}
