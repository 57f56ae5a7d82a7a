/**
 * `ActorInstance`: one live actor. It owns the state (tracked, checked,
 * persisted through the `ActorDriver`), vars, connections, events, the
 * schedule, action execution with timeouts, and the idle timer that puts the
 * actor to sleep. Drivers create instances through the registry and call
 * `start()` once.
 *
 * Actions run concurrently: their synchronous parts never interleave (one JS
 * thread), awaits may. This matches what users of actor frameworks on JS
 * expect and keeps one slow action from blocking the others.
 *
 * The file is longer than most because everything here shares the
 * instance's private lifecycle state (status, the stored state, timers);
 * what does not lives beside it: `ctx.ts` (the `c` of actions),
 * `persistence.ts` (stored state and schedule), `activity.ts` (in-flight
 * work, last activity, the shutdown drain), `actor_messaging.ts` (the
 * message router link), `connections.ts`, `state.ts` (change tracking).
 *
 * @module
 */
import { publicError, SwitchyardError } from "../common/errors.ts";
import { type Deadline, deadlines } from "../common/deadlines.ts";
import { randomId } from "../common/ids.ts";
import { isThenable } from "../common/thenable.ts";
import type { SocketLike } from "../common/socket.ts";
import type { ActorRecord } from "../driver/actor_record.ts";
import type { ActorDriver, LoadedActor } from "../driver/actor_driver.ts";
import type { ResolvedConfig } from "./definition.ts";
import type { Logger, Schedule } from "./context.ts";
import { type ConnState, Frame } from "./conn.ts";
import { Ctx } from "./ctx.ts";
import { Persistence } from "./persistence.ts";
import { Connections } from "./connections.ts";
import { validateArgs } from "./schema.ts";
import type { MessageRouter } from "../messaging/message_router.ts";
import type { Participant } from "../messaging/types.ts";
import { Activity } from "./activity.ts";
import { ActorMessaging } from "./actor_messaging.ts";
import { checkSerializable, cloneData, trackState, unwrap } from "./state.ts";

/** What the registry lends every instance. */
export interface InstanceHost {
  /** The inline client of the registry. */
  client(): unknown;
  /** A logger for one actor. */
  logger(name: string, actorId: string): Logger;
  /** Called for every action run (metrics): actor type, outcome, duration in ms. */
  onAction?(name: string, ok: boolean, ms: number): void;
  /** Called after every state write (metrics): outcome, duration in ms, bytes written. */
  onStateWrite?(ok: boolean, ms: number, bytes: number): void;
  /** Called when an instance starts serving and when it has stopped or slept. */
  onLifecycle?(instance: ActorInstance, event: "started" | "stopped"): void;
  /** The server's message router; the instance registers itself there while it runs. */
  messaging?: MessageRouter;
  /** `durable` of actors that do not set it: the driver's default. */
  durableByDefault?: boolean;
}

type Status = "new" | "running" | "stopping" | "stopped";

/** One live actor. */
export class ActorInstance implements LoadedActor {
  /** The manager's record of this actor. */
  readonly record: ActorRecord;
  /** The validated definition. */
  readonly def: ResolvedConfig;
  /** Host services. */
  readonly host: InstanceHost;
  /** Ephemeral vars. */
  vars: unknown;
  /** The tracked state. */
  stateProxy: unknown;
  // Made on first use: an idle actor should cost little heap (see docs/benchmarks.md).
  #connections: Connections | undefined;
  #log: Logger | undefined;
  #schedule: Schedule | undefined;
  #driver: ActorDriver;
  #store: Persistence;
  #durable: boolean;
  #seq = 0;
  #status: Status = "new";
  #flushQueued = false;
  #inStateChange = false;
  /** In-flight work and last activity (sleep, shutdown drain). */
  readonly activity: Activity = new Activity();
  #idle: Deadline | undefined;
  #stopped: Promise<void> | undefined;
  #ctx: Ctx | undefined;
  // --- messaging wiring ---
  #messaging: ActorMessaging | undefined;

  /**
   * @param record The actor's record.
   * @param def The validated definition.
   * @param driver The actor driver that persists it.
   * @param host Registry services.
   */
  constructor(record: ActorRecord, def: ResolvedConfig, driver: ActorDriver, host: InstanceHost) {
    this.record = record;
    this.def = def;
    this.#driver = driver;
    this.#store = new Persistence(driver, this);
    this.host = host;
    this.#durable = def.options.durable ?? host.durableByDefault ?? false;
  }

  /** Connections of this actor. */
  get connections(): Connections {
    return this.#connections ??= new Connections(this);
  }

  /** The actor's logger. */
  get log(): Logger {
    return this.#log ??= this.host.logger(this.record.name, this.record.actorId);
  }

  /** Schedules actions (persisted). */
  get schedule(): Schedule {
    return this.#schedule ??= {
      after: (ms, action, ...args) => this.#scheduleAt(Date.now() + ms, action, args),
      at: (ts, action, ...args) => this.#scheduleAt(ts, action, args),
    };
  }

  /** Whether the instance serves requests. */
  get running(): boolean {
    return this.#status === "running";
  }

  /** Resolves when a stopping instance has stopped (immediately otherwise). */
  whenStopped(): Promise<void> {
    return this.#stopped ?? Promise.resolve();
  }

  /** A context without a caller, for hooks. */
  get context(): Ctx {
    return this.#ctx ??= new Ctx(this, undefined, undefined);
  }

  /**
   * Loads state (or creates it), runs `onCreate`/`onWake`, `createVars` and
   * `onStart`, and re-arms the alarm. Called once by the driver.
   */
  async start(): Promise<void> {
    const { def, record } = this;
    const store = this.#store;
    const bytes = await store.read();
    const stored = bytes !== undefined;
    if (stored) store.restore(bytes);
    const ctx = this.context;
    if (!stored) {
      const s = def.createState
        ? await def.createState(ctx, record.input)
        : (def.state === undefined ? undefined : cloneData(def.state));
      checkSerializable(s);
      store.raw = s;
    }
    this.stateProxy = trackState(store.raw, this.#onChange);
    if (def.createVars) this.vars = await def.createVars(ctx);
    if (!stored) {
      if (def.onCreate) await def.onCreate(ctx, record.input);
      // The first save joins the first action's save (one encode, one commit):
      // the state stays marked, so the first call on a `durable` actor, even
      // one that changes nothing, is answered only once the state is written.
      store.dirty = true;
    } else if (def.onWake) await def.onWake(ctx);
    if (def.onStart) await def.onStart(ctx);
    this.#status = "running";
    if (store.dirty) this.scheduleSave();
    if (store.events.length) await store.armAlarm();
    this.#armIdle();
    this.attachMessaging();
    this.host.onLifecycle?.(this, "started");
  }

  // --- messaging wiring (see ./actor_messaging.ts) ---

  #link(): ActorMessaging {
    return this.#messaging ??= new ActorMessaging(this, this.host.messaging);
  }

  /** `c.messages`: the server's message router as this actor. */
  get messages(): Participant {
    return this.#link().participant;
  }

  /**
   * Registers this running instance with the message router under its actor
   * id (idempotent). Called at the end of `start()` and by the router's
   * resolver when a message wakes the actor.
   */
  attachMessaging(): void {
    const d = this.def;
    if (!this.host.messaging || !(d.onMessage || d.onRequest || d.onChannelOpen)) return;
    this.#link().attach();
  }

  /**
   * Runs `onMessage` or `onRequest` for a message forwarded from another
   * process (see `./remote_messages.ts`).
   *
   * @param hook Which hook.
   * @param data The payload.
   * @param from The sender's participant id.
   * @returns What the hook returned.
   */
  runMessageHook(hook: "onMessage" | "onRequest", data: unknown, from: string): Promise<unknown> {
    return this.#link().runForwarded(hook, data, from);
  }

  /**
   * Runs an action. Always answers with a promise; {@linkcode callAction} is
   * the same without the promise when the handler answers synchronously.
   *
   * @param name Action name.
   * @param args Arguments (validated when the action has a schema).
   * @param caller The calling connection and auth data.
   * @returns The action's output.
   * @throws {SwitchyardError} `action_not_found`, `invalid_arguments`, `action_timed_out`, `actor_stopped`, or what the action threw.
   */
  runAction(
    name: string,
    args: unknown[],
    caller: { conn?: ConnState; auth?: unknown } = {},
  ): Promise<unknown> {
    try {
      const out = this.callAction(name, args, caller);
      return out instanceof Promise ? out : Promise.resolve(out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Runs an action and answers its result directly when that is known at
   * once (a plain handler that returns a value, on an actor that is not
   * `durable`), or a promise of it otherwise. The hot paths (HTTP actions of
   * the manager router) use it to skip a promise per call.
   *
   * @param name Action name.
   * @param args Arguments (validated when the action has a schema).
   * @param caller The calling connection and auth data.
   * @returns The action's output, or a promise of it.
   * @throws {SwitchyardError} `action_not_found` and `actor_stopped` synchronously; whatever the handler throws.
   */
  callAction(
    name: string,
    args: unknown[],
    caller: { conn?: ConnState; auth?: unknown } = {},
  ): unknown {
    const actions = this.def.actions;
    const entry = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!entry) {
      throw publicError(
        "action_not_found",
        404,
        `Cannot call action "${
          name.slice(0, 64)
        }" as it is not defined on actor "${this.record.name}"`,
      );
    }
    this.#assertRunning();
    this.activity.begin();
    const t0 = performance.now();
    let out: unknown;
    try {
      if (typeof entry === "function") {
        out = entry(new Ctx(this, caller.conn, caller.auth), ...args);
      } else {
        const handler = entry.handler as (c: Ctx, ...args: unknown[]) => unknown;
        out = validateArgs(entry.args, args, name).then((valid) =>
          handler(new Ctx(this, caller.conn, caller.auth), ...valid)
        );
      }
    } catch (err) {
      this.#actionDone(name, t0, true, err);
      throw err;
    }
    if (isThenable(out) || (this.#durable && this.#store.dirty)) {
      return this.#finishAction(out, name, t0);
    }
    this.#actionDone(name, t0, false);
    return unwrap(out);
  }

  async #finishAction(out: unknown, name: string, t0: number): Promise<unknown> {
    try {
      if (isThenable(out)) out = await this.#withTimeout(Promise.resolve(out), name);
      if (this.#status === "stopped") {
        // The final flush of a shutdown went out before this action ended.
        throw publicError(
          "actor_stopped",
          503,
          `Actor "${this.record.name}" stopped before action "${name}" finished`,
        );
      }
      if (this.#durable && this.#store.dirty) await this.saveNow();
    } catch (err) {
      this.#actionDone(name, t0, true, err);
      throw err;
    }
    this.#actionDone(name, t0, false);
    return unwrap(out);
  }

  /** Bookkeeping after an action: in-flight count, activity, metrics, errors reported. */
  #actionDone(name: string, t0: number, failed: boolean, err?: unknown): void {
    this.activity.end();
    this.host.onAction?.(this.record.name, !failed, performance.now() - t0);
    if (failed) this.reportError(err, `action "${name}"`);
  }

  /**
   * Runs `onFetch` for a raw HTTP request.
   *
   * @throws {SwitchyardError} `not_found` without `onFetch`; `invalid_fetch_response` when it returns no `Response`.
   */
  async fetch(request: Request, auth: unknown): Promise<Response> {
    const onFetch = this.def.onFetch;
    if (!onFetch) {
      throw publicError("not_found", 404, `Actor "${this.record.name}" does not handle raw HTTP`);
    }
    this.#assertRunning();
    this.activity.begin();
    try {
      const res = await onFetch(new Ctx(this, undefined, auth), request);
      // Duck-typed: hosts such as @hono/node-server may swap the global Response class.
      if (!res || typeof (res as Response).status !== "number" || !("headers" in res)) {
        throw publicError(
          "invalid_fetch_response",
          500,
          `onFetch of actor "${this.record.name}" returned no Response`,
        );
      }
      return res;
    } catch (err) {
      this.reportError(err, "onFetch");
      throw err;
    } finally {
      this.activity.end();
    }
  }

  /** Hands a raw WebSocket to `onWebSocket` (closes it with 4004 when absent). */
  async rawWebSocket(
    socket: SocketLike,
    request: Request,
    params: unknown,
    auth: unknown,
  ): Promise<void> {
    const onWebSocket = this.def.onWebSocket;
    if (!onWebSocket || !this.running) {
      socket.close(4004, "Actor does not handle raw WebSockets");
      return;
    }
    this.activity.begin();
    socket.addEventListener("close", () => this.activity.end());
    try {
      await onWebSocket(new Ctx(this, undefined, auth), socket, { request, params });
    } catch (err) {
      this.reportError(err, "onWebSocket");
      try {
        socket.close(1011, "Internal error");
      } catch { /* already closed */ }
    }
  }

  /** Sends an event to every subscribed connection. */
  broadcast(name: string, args: unknown[]): void {
    const seq = ++this.#seq;
    let frame: Frame | undefined;
    const conns = this.#connections?.live;
    if (!conns) return;
    for (const conn of conns.values()) {
      if (conn.subs.has(name)) {
        conn.deliver(seq, frame ??= new Frame({ t: "event", seq, name, args }));
      }
    }
  }

  /**
   * Continues the event sequence after `seq`: a host that rebuilt
   * connections of this actor (WebSockets that outlived the instance) tells
   * it the highest number they saw, so event numbers keep rising.
   *
   * @param seq The highest sequence number already sent.
   */
  continueSeqAfter(seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
  }

  /** Sends an event to one connection. */
  sendTo(conn: ConnState, name: string, args: unknown[]): void {
    if (conn.closed) return;
    const seq = ++this.#seq;
    conn.deliver(seq, new Frame({ t: "event", seq, name, args }));
  }

  /** Replaces the whole state (`c.state = …`). */
  replaceState(v: unknown): void {
    const raw = unwrap(v);
    checkSerializable(raw);
    this.#store.raw = raw;
    this.stateProxy = trackState(raw, this.#onChange);
    this.#onChange();
  }

  /** Logs an error and tells `onError`. */
  reportError(err: unknown, where: string): void {
    if (!(err instanceof SwitchyardError && err.public)) {
      this.log.error(`Error in ${where}`, {
        error: err instanceof Error ? err.stack : String(err),
      });
    }
    const onError = this.def.onError;
    if (onError) {
      try {
        onError(this.context, err);
      } catch (e) {
        this.log.error("onError threw", { error: String(e) });
      }
    }
  }

  /** Schedules a state write within the save interval (none once stopped). */
  scheduleSave(): void {
    if (this.#status === "stopped") this.#store.dirty = true;
    else this.#store.saveWithin(this.def.options.stateSaveInterval);
  }

  /** Writes the state now (after any write in progress). */
  saveNow(): Promise<void> {
    return this.#store.saveNow();
  }

  /**
   * Runs due scheduled actions; called by the driver when the alarm fires.
   * The entries leave the stored schedule in the same write as the changes
   * their actions made, so a crash before that write runs them again and
   * never loses them.
   *
   * @param now The driver's time, ms since the epoch.
   */
  async onAlarm(now: number = Date.now()): Promise<void> {
    const due = this.#store.takeDue(now);
    for (const e of due) {
      try {
        await this.runAction(e.action, e.args);
      } catch { /* reported by runAction */ }
    }
    if (due.length > 0) await this.saveNow();
    await this.#store.armAlarm();
  }

  /** Puts an idle actor to sleep: `onSleep`, state flushed, unloaded by the driver. */
  sleep(): Promise<void> {
    if (this.#status !== "running") return this.whenStopped();
    this.#status = "stopping";
    this.#messaging?.detach(); // the next message wakes a new instance
    this.#stopped = (async () => {
      this.#idle?.cancel();
      this.#connections?.closeAll(1001, "Actor is going to sleep");
      try {
        if (this.def.onSleep) await this.def.onSleep(this.context);
      } catch (err) {
        this.reportError(err, "onSleep");
      }
      await this.saveNow().catch(() => {});
      this.#status = "stopped";
      this.host.onLifecycle?.(this, "stopped");
      try {
        await this.#driver.sleep(this.record.actorId);
      } catch (err) {
        // Stopped either way; the driver loads a fresh instance next time.
        this.log.error("Unloading a sleeping actor failed", { error: String(err) });
      }
    })();
    return this.#stopped;
  }

  /**
   * Stops the instance for a server shutdown. New calls are refused with
   * `actor_stopped` at once; the actions and hooks already running may finish
   * (for at most the action timeout) and their changes are written by the
   * final flush, before this resolves. An action still running after that is
   * abandoned: its caller gets `actor_stopped`, never an acknowledgement of a
   * change that was not written. Connections close with 1001 (going away:
   * clients resume on the next server).
   */
  stop(): Promise<void> {
    if (this.#status === "stopping" || this.#status === "stopped") return this.whenStopped();
    this.#status = "stopping";
    this.#messaging?.detach();
    this.#stopped = (async () => {
      this.#idle?.cancel();
      await this.activity.drain(this.def.options.actionTimeout);
      this.#connections?.closeAll(1001, "Server is shutting down");
      await this.saveNow().catch(() => {});
      this.#status = "stopped";
      this.host.onLifecycle?.(this, "stopped");
    })();
    return this.#stopped;
  }

  /** Forwards a state write's figures to the host (metrics). */
  onStateWrite(ok: boolean, ms: number, bytes: number): void {
    this.host.onStateWrite?.(ok, ms, bytes);
  }

  /**
   * What an operator sees of this instance.
   *
   * @returns Status, open connections and the size of the stored record.
   */
  describe(): { status: string; connections: number; stateBytes: number } {
    return {
      status: this.#status,
      connections: this.#connections?.live.size ?? 0,
      stateBytes: this.#store.size,
    };
  }

  /** Marks activity (keeps the actor awake). */
  touch(): void {
    this.activity.touch();
  }

  #assertRunning(): void {
    if (this.#status !== "running") {
      throw publicError("actor_stopped", 503, `Actor "${this.record.name}" is stopping`);
    }
  }

  #onChange = (): void => {
    this.#store.dirty = true;
    if (this.#flushQueued || this.#inStateChange) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      const hook = this.def.onStateChange;
      if (hook) {
        this.#inStateChange = true;
        try {
          hook(this.context, this.stateProxy);
        } catch (err) {
          this.reportError(err, "onStateChange");
        } finally {
          this.#inStateChange = false;
        }
      }
      this.scheduleSave();
    });
  };

  #withTimeout(p: Promise<unknown>, name: string): Promise<unknown> {
    const ms = this.def.options.actionTimeout;
    return new Promise((resolve, reject) => {
      const d = deadlines.add(
        ms,
        () =>
          reject(publicError("action_timed_out", 408, `Action "${name}" timed out after ${ms} ms`)),
      );
      p.then((v) => {
        d.cancel();
        resolve(v);
      }, (e) => {
        d.cancel();
        reject(e);
      });
    });
  }

  async #scheduleAt(at: number, action: string, args: unknown[]): Promise<string> {
    if (!Number.isFinite(at)) throw new RangeError(`Schedule time must be finite, got ${at}`);
    if (!Object.hasOwn(this.def.actions, action)) {
      throw publicError(
        "action_not_found",
        404,
        `Cannot schedule action "${action}" as it is not defined`,
      );
    }
    checkSerializable(args, "args");
    const id = randomId();
    await this.#store.schedule({ id, at, action, args: unwrap(args) });
    return id;
  }

  #armIdle(): void {
    const timeout = this.def.options.sleepTimeout;
    if (timeout === 0 || this.#idle || this.#status !== "running") return;
    const activity = this.activity;
    const wait = Math.max(0, activity.lastActive + timeout - Date.now());
    this.#idle = deadlines.add(wait, () => {
      this.#idle = undefined;
      if (this.#status !== "running") return;
      const busy = activity.running > 0 || (this.#connections?.live.size ?? 0) > 0;
      if (!busy && Date.now() - activity.lastActive >= timeout) void this.sleep();
      else {
        if (busy) activity.touch();
        this.#armIdle();
      }
    });
  }
}
