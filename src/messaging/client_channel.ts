/**
 * The client's end of a channel opened over `/messages`.
 *
 * @module
 */

/**
 * The client's end of a channel it opened.
 *
 * @example A client talks to an actor over a channel
 * ```ts
 * import {
 *   MessageRouter,
 *   MessagingClient,
 *   serveMessagingSocket,
 * } from "@switchyard/core/messaging";
 * import { socketPair } from "@switchyard/core/driver";
 *
 * const router = new MessageRouter();
 * router.register("shout", {
 *   onChannelOpen: () => true,
 *   onChannelMessage: (channel, data) => channel.send(String(data).toUpperCase()),
 * });
 * const [clientEnd, serverEnd] = socketPair();
 * const conn = serveMessagingSocket(router, serverEnd);
 * const client = await MessagingClient.connect(clientEnd);
 *
 * const channel = await client.openChannel("shout");
 * const reply = new Promise((resolve) => channel.onMessage(resolve));
 * await channel.send("hi");
 * console.assert((await reply) === "HI");
 * await channel.close();
 * console.assert(channel.closed);
 * await client.close();
 * await conn.closed;
 * ```
 */
export class ClientChannel {
  #command: (cmd: Record<string, unknown>) => Promise<unknown>;
  #onMessage: ((data: unknown) => void) | null = null;
  #onClose: (() => void) | null = null;
  #kept: unknown[] = [];
  #closed = false;
  #closeArrived = false;

  /** The channel id given by the server. */
  readonly id: string;

  /**
   * Created by {@linkcode MessagingClient.openChannel}.
   *
   * @param id The channel id given by the server.
   * @param command Sends a command on the client's connection.
   */
  constructor(id: string, command: (cmd: Record<string, unknown>) => Promise<unknown>) {
    this.id = id;
    this.#command = command;
  }

  /** Whether the channel is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a message on the channel.
   *
   * @param data The payload.
   * @returns Resolves once the server enqueued it.
   * @throws {SwitchyardError} (rejects) `channel_not_found`, `mailbox_full`, `connection_closed`.
   */
  send(data: unknown): Promise<void> {
    return this.#command({ op: "channel_send", channel: this.id, data }) as Promise<
      void
    >;
  }

  /**
   * Closes the channel; the other end is told.
   *
   * @returns Resolves once the server closed it.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#command({ op: "channel_close", channel: this.id }) as Promise<void>;
  }

  /**
   * Sets the callback for incoming messages; messages received before it was
   * set are handed to it at once.
   *
   * @param callback Called once per message, in order.
   */
  onMessage(callback: (data: unknown) => void): void {
    this.#onMessage = callback;
    const kept = this.#kept;
    this.#kept = [];
    for (const d of kept) callback(d);
  }

  /**
   * Sets the callback for a close by the other end or the connection.
   *
   * @param callback Called at most once.
   */
  onClose(callback: () => void): void {
    this.#onClose = callback;
    if (this.#closeArrived) {
      this.#closeArrived = false;
      callback();
    }
  }

  /** @internal */
  receive(data: unknown): void {
    if (this.#onMessage !== null) this.#onMessage(data);
    else this.#kept.push(data);
  }

  /** @internal */
  closedByPeer(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#onClose !== null) this.#onClose();
    else this.#closeArrived = true;
  }
}
