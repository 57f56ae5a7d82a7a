/**
 * `actor({...})`: defines an actor type. The definition is validated once,
 * by `zod/mini`, when it is made (strict objects, defaults in the schema); its
 * function-shaped parts (actions, hooks) stay plain TypeScript types.
 *
 * @module
 */
import * as z from "zod/mini";
import { parseConfig } from "../common/parse_config.ts";
import { SwitchyardError } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";
import type { Channel } from "../messaging/types.ts";
import type { ActionContext, ActorContext, Conn } from "./context.ts";
import { isStandardSchema, type StandardSchema } from "./schema.ts";

/** What a request to the manager wants to do with an actor. */
export type Intent = "get" | "create" | "connect" | "action" | "message";

/** An action: a function, or a function with a schema over its argument list. */
// deno-lint-ignore no-explicit-any
export type ActionEntry<C = any> =
  // deno-lint-ignore no-explicit-any
  | ((c: C, ...args: any[]) => unknown)
  // deno-lint-ignore no-explicit-any
  | { readonly args: StandardSchema; readonly handler: (c: C, ...args: any[]) => unknown };

/** Tunables of an actor type. */
export interface ActorOptions {
  /** Longest time an action may run before it answers `action_timed_out`. @default {60000} */
  actionTimeout?: number;
  /** A state change is written within this many milliseconds. @default {1000} */
  stateSaveInterval?: number;
  /** An actor with no connections sleeps after this many idle milliseconds; 0 never. @default {30000} */
  sleepTimeout?: number;
  /**
   * Answer an action only after the state it changed is written; when the
   * write fails, the action fails (`internal_error`) and the change goes out
   * with the next write. Without it, a failed background write is logged and
   * retried with the next change. Unset, the driver decides: `false` on
   * `memory`, `true` on `kv`.
   */
  durable?: boolean;
  /** Events kept per connection for replay after a reconnect. @default {256} */
  eventBufferSize?: number;
  /** How long a dropped connection may resume with its id and state. @default {30000} */
  reconnectWindow?: number;
  /**
   * A connection whose client sent nothing for this many milliseconds (not
   * even the answer to a ping) is dropped and kept for the reconnect window;
   * quiet clients are pinged before. 0 turns the heartbeat off. @default {30000}
   */
  heartbeatTimeout?: number;
  /**
   * Most bytes a connection's WebSocket may hold unsent (or an SSE stream
   * unread) before it is closed with 4101 (`slow_consumer`); the client
   * resumes from the last event it read. @default {4194304}
   */
  maxBufferedBytes?: number;
}

/** Arguments of `onAuth`. */
export interface AuthArgs {
  /** The incoming request (headers, URL). */
  request: Request;
  /** What the request wants to do. */
  intents: ReadonlySet<Intent>;
}

/** Arguments of `onBeforeConnect` and `createConnState`. */
export interface ConnectArgs<CP, A> {
  /** Connection parameters sent by the client. */
  params: CP;
  /** What `onAuth` returned (undefined for the trusted inline client). */
  auth: A | undefined;
  /** The request that opened the connection. */
  request: Request;
}

/**
 * The definition object given to {@linkcode actor}. `S` state, `V` vars, `CP`
 * connection params, `CS` connection state, `A` auth data, `I` input.
 */
export interface ActorConfig<S, V, CP, CS, A, I, TActions> {
  /** Initial state (cloned for every actor). Exclusive with `createState`. */
  state?: S;
  /** Builds the initial state from the creation input. */
  createState?: (c: ActorContext<undefined, undefined, CP, CS, A>, input: I) => S | Promise<S>;
  /** Builds ephemeral vars when the actor loads (not persisted). */
  createVars?: (c: ActorContext<S, undefined, CP, CS, A>) => V | Promise<V>;
  /** Initial connection state. Exclusive with `createConnState`. */
  connState?: CS;
  /**
   * Builds a connection's state; its return type is the connection state type
   * (so `c` here types other connections' state as `unknown`).
   */
  createConnState?: (
    c: ActorContext<S, V, CP, unknown, A>,
    args: ConnectArgs<CP, A>,
  ) => CS | Promise<CS>;
  /** The actions callers may run. */
  actions?: TActions & Record<string, ActionEntry<ActionContext<S, V, CP, CS, A>>>;
  /**
   * Runs in the manager for every outside request. Return auth data (any
   * JSON value) to allow, `false` or throw to deny. Without `onAuth` the actor
   * is not reachable from outside; `() => {}` makes it public.
   */
  onAuth?: (args: AuthArgs, params: CP) => A | false | Promise<A | false>;
  /** Runs once, when the actor is first created. */
  onCreate?: (c: ActorContext<S, V, CP, CS, A>, input: I) => void | Promise<void>;
  /** Runs every time the actor loads, before it serves anything. */
  onStart?: (c: ActorContext<S, V, CP, CS, A>) => void | Promise<void>;
  /** Runs after an action (or hook) changed the state. */
  onStateChange?: (c: ActorContext<S, V, CP, CS, A>, state: S) => void;
  /** Runs before a connection is accepted; throw to reject it. */
  onBeforeConnect?: (
    c: ActorContext<S, V, CP, CS, A>,
    args: ConnectArgs<CP, A>,
  ) => void | Promise<void>;
  /** Runs when a connection is established (not on a resume). */
  onConnect?: (c: ActorContext<S, V, CP, CS, A>, conn: Conn<CP, CS, A>) => void | Promise<void>;
  /** Runs when a connection ends for good. */
  onDisconnect?: (c: ActorContext<S, V, CP, CS, A>, conn: Conn<CP, CS, A>) => void | Promise<void>;
  /** Raw HTTP handler (`/raw/http/*`); the request path is relative to the actor. */
  onFetch?: (c: ActionContext<S, V, CP, CS, A>, request: Request) => Response | Promise<Response>;
  /** Raw WebSocket handler (`/raw/websocket/*`). */
  onWebSocket?: (
    c: ActionContext<S, V, CP, CS, A>,
    socket: SocketLike,
    args: { request: Request; params: CP },
  ) => void | Promise<void>;
  /** Runs before the actor is unloaded for being idle. */
  onSleep?: (c: ActorContext<S, V, CP, CS, A>) => void | Promise<void>;
  /** Runs when the actor loads from persisted state (after a sleep or restart). */
  onWake?: (c: ActorContext<S, V, CP, CS, A>) => void | Promise<void>;
  /** Sees every error an action or hook threw (after it was answered). */
  onError?: (c: ActorContext<S, V, CP, CS, A>, error: unknown) => void;
  /**
   * A one-way message from the message router (`from`: the sender's actor id
   * or client participant id). Messaging hooks of one actor run one at a
   * time, in mailbox order; a throw becomes a dead letter.
   */
  onMessage?: (
    c: ActorContext<S, V, CP, CS, A>,
    data: unknown,
    from: string,
  ) => void | Promise<void>;
  /**
   * A request from the message router; the returned value is the reply. A
   * thrown `UserError` reaches the caller with its code, anything else as
   * `handler_failed`.
   */
  onRequest?: (c: ActorContext<S, V, CP, CS, A>, data: unknown, from: string) => unknown;
  /** Another participant opens a channel: return `true` to accept, anything else rejects. */
  onChannelOpen?: (
    c: ActorContext<S, V, CP, CS, A>,
    channel: Channel,
    initial: unknown,
  ) => boolean | Promise<boolean>;
  /** A message on one of this actor's channels (unless the channel has its own `onMessage`). */
  onChannelMessage?: (
    c: ActorContext<S, V, CP, CS, A>,
    channel: Channel,
    data: unknown,
  ) => void | Promise<void>;
  /** The other end closed a channel, or stopped (unless the channel has its own `onClose`). */
  onChannelClose?: (c: ActorContext<S, V, CP, CS, A>, channel: Channel) => void | Promise<void>;
  /** Tunables. */
  options?: ActorOptions;
}

const fn = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === "function", {
  message: "Expected a function",
});
const optionalFn = z.optional(fn);
const int = (...checks: z.core.$ZodCheck<number>[]) => z.number().check(z.int(), ...checks);
const positive = (d: number) => z._default(int(z.positive()), d);
const nonnegative = (d: number, ...checks: z.core.$ZodCheck<number>[]) =>
  z._default(int(z.nonnegative(), ...checks), d);

const optionsSchema = z.strictObject({
  actionTimeout: positive(60_000),
  stateSaveInterval: nonnegative(1_000),
  sleepTimeout: nonnegative(30_000),
  durable: z.optional(z.boolean()),
  eventBufferSize: nonnegative(256, z.maximum(100_000)),
  reconnectWindow: nonnegative(30_000),
  heartbeatTimeout: nonnegative(30_000),
  maxBufferedBytes: positive(4 * 1024 * 1024),
});

const configSchema = z.strictObject({
  state: z.optional(z.unknown()),
  createState: optionalFn,
  createVars: optionalFn,
  connState: z.optional(z.unknown()),
  createConnState: optionalFn,
  actions: z._default(
    z.record(
      z.string().check(z.minLength(1), z.maxLength(256)),
      z.union([
        fn,
        z.strictObject({
          args: z.custom<StandardSchema>(isStandardSchema, {
            message: "Expected a Standard Schema",
          }),
          handler: fn,
        }),
      ]),
    ),
    {},
  ),
  onAuth: optionalFn,
  onCreate: optionalFn,
  onStart: optionalFn,
  onStateChange: optionalFn,
  onBeforeConnect: optionalFn,
  onConnect: optionalFn,
  onDisconnect: optionalFn,
  onFetch: optionalFn,
  onWebSocket: optionalFn,
  onSleep: optionalFn,
  onWake: optionalFn,
  onError: optionalFn,
  onMessage: optionalFn,
  onRequest: optionalFn,
  onChannelOpen: optionalFn,
  onChannelMessage: optionalFn,
  onChannelClose: optionalFn,
  options: z._default(optionsSchema, optionsSchema.parse({})),
}).check(
  z.refine((c) => !(c.state !== undefined && c.createState), {
    message: 'Give "state" or "createState", not both',
  }),
  z.refine((c) => !(c.connState !== undefined && c.createConnState), {
    message: 'Give "connState" or "createConnState", not both',
  }),
);

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;

/** The validated, normalised definition the runtime uses (hooks untyped). */
export interface ResolvedConfig {
  /** Initial state. */
  state?: unknown;
  /** Options with their defaults filled in. */
  options: Required<ActorOptions>;
  /** Actions by name. */
  actions: Record<string, ActionEntry>;
  /** Initial connection state. */
  connState?: unknown;
  createState?: Fn;
  createVars?: Fn;
  createConnState?: Fn;
  onAuth?: Fn;
  onCreate?: Fn;
  onStart?: Fn;
  onStateChange?: Fn;
  onBeforeConnect?: Fn;
  onConnect?: Fn;
  onDisconnect?: Fn;
  onFetch?: Fn;
  onWebSocket?: Fn;
  onSleep?: Fn;
  onWake?: Fn;
  onError?: Fn;
  onMessage?: Fn;
  onRequest?: Fn;
  onChannelOpen?: Fn;
  onChannelMessage?: Fn;
  onChannelClose?: Fn;
}

/**
 * A validated actor type, ready for `setup({ use: { name: definition } })`.
 *
 * @example An actor definition made by actor()
 * ```ts
 * import { actor, ActorDefinition } from "@switchyard/core";
 * const room = actor({ state: { members: [] as string[] }, actions: {} });
 * console.assert(room instanceof ActorDefinition);
 * ```
 */
export class ActorDefinition<
  S = unknown,
  V = unknown,
  CP = unknown,
  CS = unknown,
  A = unknown,
  I = unknown,
  TActions = unknown,
> {
  /** The validated configuration (internal).
   * @internal
   */
  readonly config: ResolvedConfig;
  /** Type-level only: the actions, for typed clients. */
  declare readonly actions: TActions;
  /** Type-level only. */
  declare readonly types: { state: S; vars: V; connParams: CP; connState: CS; auth: A; input: I };

  /**
   * Wraps a validated configuration; use {@linkcode actor} to make one.
   *
   * @param config Validated configuration.
   */
  constructor(config: ResolvedConfig) {
    this.config = config;
  }
}

/** Any actor definition. */
// deno-lint-ignore no-explicit-any
export type AnyActorDefinition = ActorDefinition<any, any, any, any, any, any, any>;

/**
 * Defines an actor type.
 *
 * @param config State, actions, hooks and options.
 * @returns The definition, for `setup({ use })`.
 * @throws {SwitchyardError} `invalid_config` when a key is unknown or of the wrong type.
 *
 * @example A counter
 * ```ts
 * import { actor } from "@switchyard/core";
 * const counter = actor({
 *   state: { count: 0 },
 *   actions: { increment: (c, by: number) => (c.state.count += by) },
 * });
 * console.assert(typeof counter.config.actions.increment === "function");
 * ```
 */
export function actor<
  S = undefined,
  V = undefined,
  CP = undefined,
  CS = undefined,
  A = undefined,
  I = undefined,
  // deno-lint-ignore ban-types
  TActions extends Record<string, ActionEntry<ActionContext<S, V, CP, CS, A>>> = {},
>(
  config: ActorConfig<S, V, CP, CS, A, I, TActions>,
): ActorDefinition<S, V, CP, CS, A, I, TActions> {
  const parsed = parseConfig(configSchema, config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at "${issue.path.join(".")}"` : "";
    throw new SwitchyardError(
      "invalid_config",
      `Actor definition is invalid${where}: ${issue?.message ?? "unknown issue"}`,
      { status: 500, public: false, metadata: { issues: parsed.error.issues } },
    );
  }
  return new ActorDefinition(parsed.data as ResolvedConfig);
}
