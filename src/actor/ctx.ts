/**
 * `Ctx`: the `c` of actions and hooks. A thin view of one actor instance
 * with the caller's connection and auth data; made per action call, so it
 * holds three fields and nothing else.
 *
 * @module
 */
import type { ConnState } from "./conn.ts";
import type { ActionContext, Logger, Schedule } from "./context.ts";
import type { ActorInstance } from "./instance.ts";
import type { Participant } from "../messaging/types.ts";

/** The context object handed to actions and hooks: a view of one {@linkcode ActorInstance}. */
export class Ctx implements ActionContext {
  readonly i: ActorInstance;
  readonly conn: ConnState | undefined;
  readonly auth: unknown;
  // No parameter properties: Node's type stripping rejects them.
  constructor(i: ActorInstance, conn: ConnState | undefined, auth: unknown) {
    this.i = i;
    this.conn = conn;
    this.auth = auth;
  }
  get state(): unknown {
    return this.i.stateProxy;
  }
  set state(v: unknown) {
    this.i.replaceState(v);
  }
  get vars(): unknown {
    return this.i.vars;
  }
  set vars(v: unknown) {
    this.i.vars = v;
  }
  get conns(): ReadonlyMap<string, ConnState> {
    return this.i.connections.live;
  }
  get actorId(): string {
    return this.i.record.actorId;
  }
  get name(): string {
    return this.i.record.name;
  }
  get key(): string[] {
    return this.i.record.key;
  }
  get input(): unknown {
    return this.i.record.input;
  }
  get schedule(): Schedule {
    return this.i.schedule;
  }
  get log(): Logger {
    return this.i.log;
  }
  broadcast(name: string, ...args: unknown[]): void {
    this.i.broadcast(name, args);
  }
  client<C>(): C {
    return this.i.host.client() as C;
  }
  saveState(options?: { immediate?: boolean }): Promise<void> {
    return options?.immediate ? this.i.saveNow() : (this.i.scheduleSave(), Promise.resolve());
  }
  sleep(): void {
    queueMicrotask(() => void this.i.sleep());
  }
  get messages(): Participant {
    return this.i.messages;
  }
}
