/**
 * `KvDriver`: both driver halves over a {@linkcode KvStore}; the key layout
 * and the guarantees are described in `kv.ts`.
 *
 * @module
 */
import {
  actorAlreadyExists,
  type ActorDriver,
  actorNotFound,
  type ActorRecord,
  actorStopped,
  type DriverContext,
  keyTooLong,
  type ListActorsOptions,
  type LoadedActor,
  LocalActors,
  type ManagerDriver,
  type OpenWebSocketOptions,
  publicError,
  serializeKey,
  type SocketLike,
  stateCorrupt,
} from "../src/driver/mod.ts";
import type { ActorKey } from "../src/protocol/query.ts";
import { decodeCbor, encodeCbor } from "../src/common/encoding.ts";
import { keySize, KV_LIMITS, type KvKey, type KvStore, stringPartSize } from "./_kv_store.ts";
import { joinState, MAX_STATE_BYTES, readHeader, splitState } from "./_kv_state.ts";
import { GroupCommit } from "./_kv_writer.ts";

const SEQ: KvKey = ["sy", "seq"];
const actorKey = (id: string): KvKey => ["sy", "actor", id];
const stateKey = (id: string, n: number): KvKey => ["sy", "state", id, n];
const alarmKey = (id: string): KvKey => ["sy", "alarm", id];
const MAX_TIMER = 2 ** 31 - 1;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * A 32-hex-digit actor id that starts with its creation time (12 digits of
 * epoch ms) and ends with 80 random bits: new records, states and alarms
 * land next to each other in the file (cheap commits) and list oldest first.
 *
 * @param now The creation time, ms since the epoch.
 * @returns The id.
 */
export function orderedId(now: number): string {
  const random = crypto.getRandomValues(new Uint8Array(10));
  let hex = Math.max(0, Math.floor(now)).toString(16).padStart(12, "0").slice(-12);
  for (const b of random) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Settings of a {@linkcode KvDriver}. */
export interface KvDriverSettings {
  /** Decides when alarms are due. */
  clock: { now(): number };
  /** Retries of a failing commit. */
  retries: number;
  /** First retry delay, ms. */
  retryDelay: number;
}

/** Both driver halves over a KV store. */
export class KvDriver implements ManagerDriver, ActorDriver {
  #ctx: DriverContext;
  #store: KvStore;
  #writer: GroupCommit;
  #clock: { now(): number };
  #actors: LocalActors;
  #records = new Map<string, ActorRecord>();
  #ids = new Map<string, string>();
  #creating = new Map<string, Promise<unknown>>();
  #chunks = new Map<string, number>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  // Alarm times as written (NaN: unknown after a failed write).
  #alarmAt = new Map<string, number>();
  #touched = new Set<string>();
  #alarmsListed = false;
  #listing: Promise<void>;
  #closed = false;

  /**
   * @param ctx The driver context.
   * @param store The open store (closed by `shutdown`).
   * @param settings Clock and retries.
   */
  constructor(ctx: DriverContext, store: KvStore, settings: KvDriverSettings) {
    this.#ctx = ctx;
    this.#store = store;
    this.#clock = settings.clock;
    this.#writer = new GroupCommit(store, {
      sequenceKey: SEQ,
      retries: settings.retries,
      retryDelay: settings.retryDelay,
      log: (message, data) => ctx.log("warn", message, data),
    });
    this.#actors = new LocalActors(ctx, this, (id) => this.#record(id));
    this.#listing = this.#listAlarms();
  }

  // --- ManagerDriver ---

  async getForId(name: string, actorId: string): Promise<ActorRecord | undefined> {
    const r = await this.#record(actorId);
    return r && r.name === name ? r : undefined;
  }

  async getWithKey(name: string, key: ActorKey): Promise<ActorRecord | undefined> {
    const { k, s } = this.#index(name, key);
    return await this.#lookupKey(k, s);
  }

  async getOrCreateWithKey(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    this.#assertOpen();
    if (!this.#ctx.hasActorType(name)) throw actorNotFound(`Actor type "${name}" is not defined`);
    const { k, s } = this.#index(name, key);
    for (;;) {
      const cached = this.#ids.get(s);
      if (cached !== undefined) {
        const r = await this.#record(cached);
        if (r) return r;
      }
      // No read first: the claim reads the key in its batch and answers the winner.
      const pending = this.#creating.get(s);
      if (!pending) return (await this.#create(name, key, input, k, s)).record;
      await pending.catch(() => {});
    }
  }

  async createActor(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    this.#assertOpen();
    if (!this.#ctx.hasActorType(name)) throw actorNotFound(`Actor type "${name}" is not defined`);
    const { k, s } = this.#index(name, key);
    for (;;) {
      if (this.#ids.has(s)) throw actorAlreadyExists(name, key);
      const pending = this.#creating.get(s);
      if (!pending) {
        const { record, created } = await this.#create(name, key, input, k, s);
        if (!created) throw actorAlreadyExists(name, key);
        return record;
      }
      await pending.catch(() => {});
    }
  }

  async listActors(options: ListActorsOptions = {}): Promise<ActorRecord[]> {
    const limit = options.limit ?? 100;
    const out: ActorRecord[] = [];
    if (limit <= 0) return out;
    // Ids start with their creation time: key order is age order.
    for await (const e of this.#store.list(["sy", "actor"])) {
      const r = await this.#record(String(e.key[2]));
      if (r && (options.name === undefined || r.name === options.name)) out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  local(actorId: string): LoadedActor | Promise<LoadedActor> {
    return this.#actors.get(actorId);
  }

  sendRequest(actorId: string, request: Request): Promise<Response> {
    return this.#actors.fetch(actorId, request);
  }

  proxyRequest(actorId: string, request: Request): Promise<Response> {
    return this.#actors.fetch(actorId, request);
  }

  openWebSocket(
    actorId: string,
    path: string,
    options: OpenWebSocketOptions,
  ): Promise<SocketLike> {
    return Promise.resolve(this.#actors.openWebSocket(actorId, path, options));
  }

  proxyWebSocket(actorId: string, request: Request, socket: SocketLike): Promise<void> {
    return this.#actors.websocket(actorId, request, socket);
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await this.#actors.close();
    this.#closed = true;
    await this.#listing;
    await this.#writer.drain();
    this.#store.close();
  }

  // --- ActorDriver ---

  loadActor(actorId: string): Promise<LoadedActor> {
    return this.#actors.load(actorId);
  }

  async readState(actorId: string): Promise<Uint8Array | undefined> {
    if (this.#chunks.get(actorId) === 0) return undefined; // created here, never written
    const first = await this.#store.get(stateKey(actorId, 0));
    if (first.versionstamp === null) {
      this.#chunks.set(actorId, 0);
      return undefined;
    }
    try {
      const header = readHeader(actorId, first.value);
      const values: unknown[] = [first.value];
      for (let i = 1; i < header.count; i += KV_LIMITS.getMany) {
        const keys: KvKey[] = [];
        for (let n = i; n < Math.min(header.count, i + KV_LIMITS.getMany); n++) {
          keys.push(stateKey(actorId, n));
        }
        for (const e of await this.#store.getMany(keys)) values.push(e.value);
      }
      const bytes = joinState(actorId, header, values);
      this.#chunks.set(actorId, header.count);
      return bytes;
    } catch (err) {
      this.#ctx.log("error", "Stored state cannot be read", { actorId, error: String(err) });
      throw err;
    }
  }

  async writeState(actorId: string, bytes: Uint8Array): Promise<void> {
    this.#assertOpen();
    if (bytes.length > MAX_STATE_BYTES) {
      throw publicError(
        "state_too_large",
        413,
        `State of actor "${actorId}" is ${bytes.length} bytes encoded; this driver stores at most ${MAX_STATE_BYTES}`,
      );
    }
    const chunks = splitState(bytes);
    const mutations = chunks.map((value, n) => ({
      type: "set" as const,
      key: stateKey(actorId, n),
      value,
    }));
    const before = this.#chunks.get(actorId) ?? 0;
    await this.#writer.write([
      ...mutations,
      ...Array.from(
        { length: Math.max(0, before - chunks.length) },
        (_, i) => ({ type: "delete" as const, key: stateKey(actorId, chunks.length + i) }),
      ),
    ]);
    this.#chunks.set(actorId, chunks.length);
  }

  async setAlarm(actorId: string, at: number): Promise<void> {
    this.#assertOpen();
    this.#touched.add(actorId);
    this.#arm(actorId, at);
    if (this.#alarmAt.get(actorId) === at) return;
    this.#alarmAt.set(actorId, at);
    try {
      await this.#writer.write([{ type: "set", key: alarmKey(actorId), value: encodeCbor(at) }]);
    } catch (err) {
      this.#alarmAt.set(actorId, NaN);
      throw err;
    }
  }

  async deleteAlarm(actorId: string): Promise<void> {
    this.#assertOpen();
    this.#touched.add(actorId);
    this.#disarm(actorId);
    if (this.#alarmsListed && !this.#alarmAt.has(actorId)) return;
    this.#alarmAt.delete(actorId);
    try {
      await this.#writer.write([{ type: "delete", key: alarmKey(actorId) }]);
    } catch (err) {
      this.#alarmAt.set(actorId, NaN);
      throw err;
    }
  }

  sleep(actorId: string): Promise<void> {
    this.#actors.unload(actorId);
    return Promise.resolve();
  }

  // --- records and keys ---

  #assertOpen(): void {
    if (this.#closed) throw actorStopped();
  }

  #index(name: string, key: ActorKey): { k: KvKey; s: string } {
    const serialized = serializeKey(key);
    const k: KvKey = ["sy", "key", name, serialized];
    const size = keySize(k);
    if (size > KV_LIMITS.keyBytes) {
      const own = stringPartSize(serialized);
      throw keyTooLong(name, own, KV_LIMITS.keyBytes - (size - own));
    }
    return { k, s: `${name}\u0000${serialized}` };
  }

  async #lookupKey(k: KvKey, s: string): Promise<ActorRecord | undefined> {
    const cached = this.#ids.get(s);
    if (cached !== undefined) return this.#records.get(cached) ?? await this.#record(cached);
    const entry = await this.#store.get(k);
    if (!(entry.value instanceof Uint8Array)) return undefined;
    const record = await this.#record(fromUtf8.decode(entry.value));
    if (record) this.#ids.set(s, record.actorId);
    return record;
  }

  async #record(actorId: string): Promise<ActorRecord | undefined> {
    const cached = this.#records.get(actorId);
    if (cached) return cached;
    const entry = await this.#store.get(actorKey(actorId));
    if (entry.versionstamp === null) return undefined;
    let record: ActorRecord;
    try {
      record = decodeCbor(entry.value as Uint8Array) as ActorRecord;
      if (record.actorId !== actorId) throw new Error("the record names another actor");
    } catch (err) {
      this.#ctx.log("error", "Stored actor record cannot be read", { actorId, error: String(err) });
      throw stateCorrupt(actorId, "its record cannot be read");
    }
    this.#records.set(actorId, record);
    return record;
  }

  #create(
    name: string,
    key: ActorKey,
    input: unknown,
    k: KvKey,
    s: string,
  ): Promise<{ record: ActorRecord; created: boolean }> {
    const record: ActorRecord = {
      actorId: orderedId(this.#clock.now()),
      name,
      key: [...key],
      createdAt: this.#clock.now(),
    };
    if (input !== undefined) record.input = input;
    const bytes = encodeCbor(record);
    if (bytes.length > KV_LIMITS.valueBytes) {
      return Promise.reject(publicError(
        "input_too_large",
        413,
        `Creation input of actor "${name}" takes ${bytes.length} bytes stored; this driver stores at most ${KV_LIMITS.valueBytes}`,
      ));
    }
    const id = record.actorId;
    const created = this.#writer.claim(k, [
      { type: "set", key: k, value: utf8.encode(id) },
      { type: "set", key: actorKey(id), value: bytes },
    ]).then(async (outcome) => {
      if (outcome.created) {
        this.#records.set(id, record);
        this.#ids.set(s, id);
        this.#chunks.set(id, 0);
        return { record, created: true };
      }
      const winner = await this.#record(fromUtf8.decode(outcome.value as Uint8Array));
      if (!winner) throw stateCorrupt(id, "its key names an actor without a record");
      this.#ids.set(s, winner.actorId);
      return { record: winner, created: false };
    }).finally(() => this.#creating.delete(s));
    this.#creating.set(s, created);
    return created;
  }

  // --- alarms ---

  #arm(actorId: string, at: number): void {
    this.#disarm(actorId);
    if (this.#closed || this.#actors.closed) return;
    const wait = Math.max(0, at - this.#clock.now());
    const timer = setTimeout(() => {
      this.#timers.delete(actorId);
      if (at > this.#clock.now()) return this.#arm(actorId, at); // a wait past the timer's range
      void this.#actors.fireAlarm(actorId, this.#clock.now());
    }, Math.min(wait, MAX_TIMER));
    this.#timers.set(actorId, timer);
  }

  #disarm(actorId: string): void {
    const t = this.#timers.get(actorId);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(actorId);
  }

  /** Arms the alarms stored by earlier runs (in the background: actors load lazily). */
  async #listAlarms(): Promise<void> {
    await Promise.resolve();
    try {
      for await (const e of this.#store.list(["sy", "alarm"])) {
        if (this.#closed || this.#actors.closed) return;
        const id = String(e.key[2]);
        if (this.#touched.has(id) || !(e.value instanceof Uint8Array)) continue;
        const at = decodeCbor(e.value);
        if (typeof at !== "number") continue;
        this.#alarmAt.set(id, at);
        this.#arm(id, at);
      }
      this.#alarmsListed = true;
    } catch (err) {
      this.#ctx.log("error", "Stored alarms cannot be listed", { error: String(err) });
    }
  }
}
