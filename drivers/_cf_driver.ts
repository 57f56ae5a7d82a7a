/**
 * `CloudflareDriver`: both driver halves over Durable Objects, one object
 * per actor. The same class runs in the Worker (it hosts no actor: every
 * call becomes a `Request` to the actor's object stub) and inside each
 * object (it hosts that object's actor; calls to other actors go to their
 * stubs).
 *
 * Identity: the object of an actor is `idFromName(name + "\0" + key)`, and
 * the actor id is that object's id. The object keeps the actor's record in
 * its storage; lookups and creation are requests to the object, which
 * serves them one at a time, so `getOrCreate` is atomic by construction.
 *
 * @module
 */
import {
  actorAlreadyExists,
  type ActorDriver,
  actorNotFound,
  type ActorRecord,
  type DriverContext,
  HEADER_ACTOR_ID,
  type ListActorsOptions,
  type LoadedActor,
  LocalActors,
  type ManagerDriver,
  type OpenWebSocketOptions,
  publicError,
  serializeKey,
  type SocketLike,
} from "../src/driver/mod.ts";
import { decodeCbor, encodeCbor } from "../src/common/encoding.ts";
import { fromErrorBody, toErrorBody } from "../src/common/errors.ts";
import { isThenable } from "../src/common/thenable.ts";
import type { ActorKey } from "../src/protocol/query.ts";
import { ChunkedState } from "./_cf_storage.ts";
import { acceptedSocket, pipeSockets, type UpgradeHandover } from "./_cf_sockets.ts";
import type {
  DurableObjectNamespaceLike,
  DurableObjectStateLike,
  DurableObjectStubLike,
} from "./_cf_types.ts";

/** Path of the record requests the driver sends to an object (never an actor router path). */
export const RECORD_PATH = "/__sy/record";
/** Header naming a client's upgrade held by the Worker (see `UpgradeHandover`). */
export const HANDOVER_HEADER = "sy-cf-upgrade";
const RECORD_KEY = "sy:record";

/** A record request: look up, get or create, create. */
export interface RecordOp {
  /** What to do. */
  op: "get" | "getOrCreate" | "create";
  /** The actor type the caller expects. */
  name: string;
  /** The key (absent for a lookup by id). */
  key?: ActorKey;
  /** Creation input. */
  input?: unknown;
}

/** Options of {@linkcode CloudflareDriver}. */
export interface CloudflareDriverOptions {
  /** The namespace binding; throws when the binding is missing. */
  namespace(): DurableObjectNamespaceLike;
  /** Inside a Durable Object: its state (the driver hosts its actor). */
  self?: DurableObjectStateLike;
  /** In the Worker: client upgrades waiting for their object, by handover token. */
  handovers?: Map<string, UpgradeHandover>;
  /** Called once per instance that starts, before it serves anything. */
  onStarted?(instance: LoadedActor): void;
}

/**
 * The object name of an actor.
 *
 * @param name The actor type.
 * @param key The key.
 * @returns The name given to `idFromName`.
 */
export function objectName(name: string, key: ActorKey): string {
  return `${name}\u0000${serializeKey(key)}`;
}

function withActorId(request: Request, actorId: string): Request {
  if (request.headers.get(HEADER_ACTOR_ID) === actorId) return request;
  const headers = new Headers(request.headers);
  headers.set(HEADER_ACTOR_ID, actorId);
  return new Request(request, { headers });
}

/** Both driver halves over Durable Objects (see the module doc). */
export class CloudflareDriver implements ManagerDriver, ActorDriver {
  #ctx: DriverContext;
  #opts: CloudflareDriverOptions;
  #selfId: string | undefined;
  #actors: LocalActors | undefined;
  #state: ChunkedState | undefined;
  #record: Promise<ActorRecord | undefined> | undefined;
  #ops: Promise<unknown> = Promise.resolve();
  #alarms: Promise<void> = Promise.resolve();
  #started = new WeakSet<LoadedActor>();

  /**
   * @param ctx The driver context.
   * @param opts Namespace, and the object's state when inside one.
   */
  constructor(ctx: DriverContext, opts: CloudflareDriverOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    const self = opts.self;
    if (self) {
      const selfId = this.#selfId = self.id.toString();
      this.#actors = new LocalActors(ctx, this, (id) => id === selfId ? this.record() : undefined);
      this.#state = new ChunkedState(self.storage, selfId);
    }
  }

  // --- inside an object: its record ---

  /** The record of this object's actor, `undefined` before it is created. */
  record(): Promise<ActorRecord | undefined> {
    const storage = this.#opts.self!.storage;
    return this.#record ??= storage.get([RECORD_KEY]).then(
      (m) => m.get(RECORD_KEY) as ActorRecord | undefined,
      (err) => {
        this.#record = undefined;
        throw err;
      },
    );
  }

  /**
   * Serves a record request for this object, one at a time.
   *
   * @param op The request.
   * @returns The record, or `undefined` when a lookup finds none.
   * @throws {SwitchyardError} `actor_already_exists` for `create` on an existing actor.
   */
  recordOp(op: RecordOp): Promise<ActorRecord | undefined> {
    const run = this.#ops.then(async () => {
      const existing = await this.record();
      if (existing) {
        if (existing.name !== op.name) return undefined;
        if (op.op === "create") throw actorAlreadyExists(op.name, op.key ?? existing.key);
        return existing;
      }
      if (op.op === "get" || !op.key) return undefined;
      const record: ActorRecord = {
        actorId: this.#selfId!,
        name: op.name,
        key: [...op.key],
        createdAt: Date.now(),
      };
      if (op.input !== undefined) record.input = op.input;
      await this.#opts.self!.storage.put({ [RECORD_KEY]: record });
      this.#record = Promise.resolve(record);
      return record;
    });
    this.#ops = run.catch(() => {});
    return run;
  }

  // --- ManagerDriver ---

  #stub(actorId: string): DurableObjectStubLike {
    const ns = this.#opts.namespace();
    let id;
    try {
      id = ns.idFromString(actorId);
    } catch {
      throw actorNotFound();
    }
    return ns.get(id);
  }

  async #remoteRecord(actorId: string | undefined, op: RecordOp): Promise<ActorRecord | undefined> {
    const ns = this.#opts.namespace();
    let id;
    if (actorId === undefined) id = ns.idFromName(objectName(op.name, op.key!));
    else {
      try {
        id = ns.idFromString(actorId);
      } catch {
        return undefined; // not an id of this namespace: no such actor
      }
    }
    if (id.toString() === this.#selfId) return this.recordOp(op);
    const res = await ns.get(id).fetch(
      new Request(`http://actor${RECORD_PATH}`, { method: "POST", body: encodeCbor(op) }),
    );
    const body = decodeCbor(new Uint8Array(await res.arrayBuffer())) as {
      record?: ActorRecord;
      code?: string;
    };
    if (res.status === 404 && body.code === "actor_not_found") return undefined;
    if (!res.ok) throw fromErrorBody(body, res.status);
    return body.record;
  }

  #assertType(name: string): void {
    if (!this.#ctx.hasActorType(name)) throw actorNotFound(`Actor type "${name}" is not defined`);
  }

  getForId(name: string, actorId: string): Promise<ActorRecord | undefined> {
    return this.#remoteRecord(actorId, { op: "get", name });
  }

  getWithKey(name: string, key: ActorKey): Promise<ActorRecord | undefined> {
    return this.#remoteRecord(undefined, { op: "get", name, key });
  }

  async getOrCreateWithKey(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    this.#assertType(name);
    return (await this.#remoteRecord(undefined, { op: "getOrCreate", name, key, input }))!;
  }

  async createActor(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    this.#assertType(name);
    return (await this.#remoteRecord(undefined, { op: "create", name, key, input }))!;
  }

  listActors(_options?: ListActorsOptions): Promise<ActorRecord[]> {
    return Promise.reject(
      publicError(
        "not_supported",
        501,
        "Listing actors is not supported by the cloudflare driver (each actor is its own object)",
      ),
    );
  }

  local(actorId: string): LoadedActor | Promise<LoadedActor> | null {
    if (actorId !== this.#selfId) return null;
    const live = this.#actors!.get(actorId);
    return isThenable(live) || !this.#started.has(live) ? this.loadActor(actorId) : live;
  }

  sendRequest(actorId: string, request: Request): Promise<Response> {
    if (actorId === this.#selfId) return this.#actors!.fetch(actorId, request);
    try {
      return this.#stub(actorId).fetch(withActorId(request, actorId));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  proxyRequest(actorId: string, request: Request): Promise<Response> {
    return this.sendRequest(actorId, request);
  }

  async openWebSocket(
    actorId: string,
    path: string,
    options: OpenWebSocketOptions,
  ): Promise<SocketLike> {
    if (actorId === this.#selfId) return this.#actors!.openWebSocket(actorId, path, options);
    const headers = new Headers(options.headers);
    headers.set(HEADER_ACTOR_ID, actorId);
    headers.set("upgrade", "websocket");
    if (options.protocols?.length) {
      headers.set("sec-websocket-protocol", options.protocols.join(","));
    }
    return await this.#upgrade(actorId, new Request(`http://actor${path}`, { headers }));
  }

  async #upgrade(actorId: string, request: Request): Promise<SocketLike> {
    const res = await this.#stub(actorId).fetch(request);
    const ws = acceptedSocket(res);
    if (ws) return ws;
    let body: unknown;
    try {
      body = await res.json();
    } catch { /* no coded body */ }
    throw fromErrorBody(body, res.status);
  }

  async proxyWebSocket(actorId: string, request: Request, socket: SocketLike): Promise<void> {
    const token = request.headers.get(HANDOVER_HEADER);
    const handover = token === null ? undefined : this.#opts.handovers?.get(token);
    const headers = new Headers(request.headers);
    headers.delete(HANDOVER_HEADER);
    headers.set(HEADER_ACTOR_ID, actorId);
    headers.set("upgrade", "websocket");
    const upgrade = new Request(request.url, { headers });
    if (actorId === this.#selfId) return this.#actors!.websocket(actorId, upgrade, socket);
    if (handover?.pending) {
      const res = await this.#stub(actorId).fetch(upgrade);
      if (res.status === 101) return handover.handOver(res);
      let body: unknown;
      try {
        body = await res.json();
      } catch { /* no coded body */ }
      throw fromErrorBody(body, res.status);
    }
    pipeSockets(socket, await this.#upgrade(actorId, upgrade));
  }

  async shutdown(): Promise<void> {
    await this.#actors?.close();
  }

  // --- ActorDriver (inside an object) ---

  loadActor(actorId: string): Promise<LoadedActor> {
    if (!this.#actors || actorId !== this.#selfId) {
      return Promise.reject(actorNotFound("Actor is hosted by its own Durable Object"));
    }
    return this.#actors.load(actorId).then((instance) => {
      if (!this.#started.has(instance)) {
        this.#started.add(instance);
        this.#opts.onStarted?.(instance);
      }
      return instance;
    });
  }

  readState(_actorId: string): Promise<Uint8Array | undefined> {
    return this.#state!.read();
  }

  async writeState(_actorId: string, bytes: Uint8Array): Promise<void> {
    await this.#state!.write(bytes);
  }

  setAlarm(_actorId: string, at: number): Promise<void> {
    return this.#opts.self!.storage.setAlarm(Math.max(at, Date.now()));
  }

  deleteAlarm(_actorId: string): Promise<void> {
    return this.#opts.self!.storage.deleteAlarm();
  }

  sleep(actorId: string): Promise<void> {
    this.#actors?.unload(actorId);
    return Promise.resolve();
  }

  /**
   * Runs the due scheduled actions of this object's actor (its alarm fired);
   * failures are logged. One alarm at a time: the runtime may fire the
   * re-armed alarm while the previous one still runs its actions.
   */
  fireAlarm(): Promise<void> {
    const run = this.#alarms.then(() => this.#fireAlarm());
    this.#alarms = run.catch(() => {});
    return run;
  }

  async #fireAlarm(): Promise<void> {
    if (!(await this.record())) return;
    try {
      await (await this.loadActor(this.#selfId!)).onAlarm();
    } catch (err) {
      this.#ctx.log("error", "Alarm failed", { actorId: this.#selfId, error: String(err) });
    }
  }

  /**
   * Serves a WebSocket of this object's actor router.
   *
   * @param request The upgrade request.
   * @param socket The server end.
   * @returns Resolves once the connection is set up (or refused).
   */
  websocket(request: Request, socket: SocketLike): Promise<void> {
    return this.#ctx.actorRouter.websocket(request, socket);
  }
}

/**
 * A coded response for a record request.
 *
 * @param run The request's work.
 * @returns CBOR `{ record }`, or the error body with its status.
 */
export async function recordResponse(run: () => Promise<ActorRecord | undefined>) {
  try {
    const record = await run();
    if (!record) throw actorNotFound();
    return new Response(encodeCbor({ record }));
  } catch (err) {
    const { body, status } = toErrorBody(err);
    return new Response(encodeCbor(body), { status });
  }
}
