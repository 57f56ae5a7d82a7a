/**
 * The `ready()` promise of a connection (`actor_conn.ts`): it resolves once
 * the server accepted the connection and every listener added before is
 * subscribed. Subscriptions that went out after the opening are confirmed
 * by a `ping` with an id: the server answers its `pong` after handling the
 * messages sent before it.
 *
 * @module
 */

/** The settling of `ready()`. */
export class ReadyGate {
  /** The promise `ready()` returns. */
  readonly promise: Promise<string>;
  #resolve!: (id: string) => void;
  #reject!: (e: unknown) => void;
  #done = false;
  #connId: string | undefined;
  #ping: number | undefined;
  #nextPing = 1;

  constructor() {
    this.promise = new Promise<string>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => {}); // callers that never ask must not see an unhandled rejection
  }

  /** Whether it resolved or rejected. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * The server sent `init`.
   *
   * @param connId The connection id.
   * @param late Subscriptions sent after the opening.
   * @returns The id of the ping to send (its pong resolves), or `undefined` when it resolved now.
   */
  opened(connId: string, late: number): number | undefined {
    if (this.#done) return undefined;
    this.#connId = connId;
    if (late === 0) return void this.#settle();
    return this.#ping = this.#nextPing++;
  }

  /**
   * A `pong` arrived.
   *
   * @param id Its id.
   */
  pong(id: unknown): void {
    if (id === undefined || id !== this.#ping) return;
    this.#ping = undefined;
    this.#settle();
  }

  /**
   * The connection ended before it was ready.
   *
   * @param error The rejection.
   */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#reject(error);
  }

  #settle(): void {
    if (this.#done || this.#connId === undefined) return;
    this.#done = true;
    this.#resolve(this.#connId);
  }
}
