/**
 * The actions in flight on a connection (`actor_conn.ts`): ids, the
 * promises waiting for their `result` or `error`, and which were sent on the
 * current transport (those are lost with it; the others wait for `init`).
 *
 * @module
 */
import type { ClientMessage } from "../protocol/messages.ts";

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  msg: ClientMessage;
  sent: boolean;
}

/** Actions waiting for their answer, by id. */
export class PendingCalls {
  #nextId = 1;
  #pending = new Map<number, Pending>();

  /**
   * Starts an action.
   *
   * @param name Action name.
   * @param args Arguments.
   * @param send Sends the message now (the connection is open), or
   * `undefined` to queue it until {@linkcode sendQueued}.
   * @returns The action's output, or its error.
   */
  call(
    name: string,
    args: unknown[],
    send: ((msg: ClientMessage) => void) | undefined,
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const id = this.#nextId++;
      const p: Pending = { resolve, reject, msg: { t: "action", id, name, args }, sent: false };
      this.#pending.set(id, p);
      if (send) {
        p.sent = true;
        send(p.msg);
      }
    });
  }

  /**
   * Settles the action a `result` or `error` answers.
   *
   * @param id The message's `id`.
   * @param outcome The output, or the error to reject with.
   * @returns Whether an action was waiting for that id.
   */
  settle(id: unknown, outcome: { output: unknown } | { error: unknown }): boolean {
    const p = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (!p) return false;
    this.#pending.delete(id as number);
    if ("error" in outcome) p.reject(outcome.error);
    else p.resolve(outcome.output);
    return true;
  }

  /**
   * Sends the actions queued before the connection opened, in call order.
   *
   * @param send Sends one message.
   */
  sendQueued(send: (msg: ClientMessage) => void): void {
    for (const p of this.#pending.values()) {
      if (p.sent) continue;
      p.sent = true;
      send(p.msg);
    }
  }

  /**
   * The transport dropped: actions sent on it reject (they are not re-sent,
   * as they may have run); queued ones keep waiting.
   *
   * @param error The rejection.
   */
  rejectSent(error: unknown): void {
    for (const [id, p] of this.#pending) {
      if (!p.sent) continue;
      this.#pending.delete(id);
      p.reject(error);
    }
  }

  /**
   * The connection ended: every action rejects.
   *
   * @param error The rejection.
   */
  rejectAll(error: unknown): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }
}
