/**
 * `ActorMessaging`: one actor's place in the server's message router: its
 * `c.messages` participant, its registration while it runs (only actors with
 * message hooks register, so an idle actor stays small), and the hooks run
 * for messages, whether they come from this process or were forwarded from
 * another one.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import type { MessageRouter } from "../messaging/message_router.ts";
import type { Participant } from "../messaging/types.ts";
import type { Activity } from "./activity.ts";
import type { ResolvedConfig } from "./definition.ts";
import type { Ctx } from "./ctx.ts";
import { type Hook, messageHandlers } from "./message_hooks.ts";

/** What the messaging link needs of its actor. */
export interface MessagingOwner {
  /** The actor's record. */
  readonly record: { readonly actorId: string; readonly name: string };
  /** The validated definition. */
  readonly def: ResolvedConfig;
  /** Whether it serves. */
  readonly running: boolean;
  /** A context without a caller. */
  readonly context: Ctx;
  /** In-flight work. */
  readonly activity: Activity;
  /** Logs a hook's error and calls `onError`. */
  reportError(err: unknown, where: string): void;
}

/** One actor's link to the message router. */
export class ActorMessaging {
  #owner: MessagingOwner;
  #router: MessageRouter | undefined;
  #participant: Participant | undefined;
  #registered = false;

  /**
   * @param owner The actor.
   * @param router The server's message router, when it has one.
   */
  constructor(owner: MessagingOwner, router: MessageRouter | undefined) {
    this.#owner = owner;
    this.#router = router;
  }

  /**
   * `c.messages`: the router as this actor.
   *
   * @throws {SwitchyardError} `messaging_unavailable` (501) without a router.
   */
  get participant(): Participant {
    if (this.#participant) return this.#participant;
    if (!this.#router) {
      throw publicError(
        "messaging_unavailable",
        501,
        "Message router is not available to this actor",
      );
    }
    return (this.#participant = this.#router.participant(this.#owner.record.actorId));
  }

  /**
   * Registers the running actor under its id (idempotent); actors without
   * message hooks are not registered.
   */
  attach(): void {
    const router = this.#router;
    const owner = this.#owner;
    if (!router || this.#registered || !owner.running) return;
    const d = owner.def;
    if (!(d.onMessage || d.onRequest || d.onChannelOpen)) return;
    if (router.has(owner.record.actorId)) return;
    router.register(
      owner.record.actorId,
      messageHandlers(d, (where, hook, a, b) => this.#hook(where, hook, a, b)),
      { hookTimeout: d.options.actionTimeout },
    );
    this.#registered = true;
  }

  /** Unregisters (the next message wakes a new instance). */
  detach(): void {
    if (!this.#registered) return;
    this.#registered = false;
    this.#router!.unregister(this.#owner.record.actorId);
  }

  /**
   * Runs `onMessage` or `onRequest` for a message forwarded from another
   * process.
   *
   * @param hook Which hook.
   * @param data The payload.
   * @param from The sender's participant id.
   * @returns What the hook returned.
   * @throws {SwitchyardError} `handler_failed` without the hook, `actor_stopped` when stopping.
   */
  async runForwarded(
    hook: "onMessage" | "onRequest",
    data: unknown,
    from: string,
  ): Promise<unknown> {
    const owner = this.#owner;
    const fn = owner.def[hook] as Hook | undefined;
    if (!fn) {
      throw publicError("handler_failed", 500, `Actor "${owner.record.name}" has no ${hook} hook`);
    }
    if (!owner.running) {
      throw publicError("actor_stopped", 503, `Actor "${owner.record.name}" is stopping`);
    }
    return await this.#hook(hook, fn, data, from);
  }

  /** Runs a hook with `c`; counts as activity; reports errors, then rethrows them to the router. */
  #hook(where: string, hook: Hook, a: unknown, b: unknown): unknown {
    const { activity } = this.#owner;
    activity.begin();
    let r: unknown;
    try {
      r = hook(this.#owner.context, a, b);
    } catch (err) {
      activity.end();
      this.#owner.reportError(err, where);
      throw err;
    }
    if (!(r instanceof Promise)) {
      activity.end();
      return r;
    }
    return r.then((v) => {
      activity.end();
      return v;
    }, (err) => {
      activity.end();
      this.#owner.reportError(err, where);
      throw err;
    });
  }
}
