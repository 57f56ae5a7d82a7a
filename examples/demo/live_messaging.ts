/**
 * The page's link to the message router (`/messages`): a `MessagingClient`
 * that reconnects by itself, opens a channel to the user's inbox and
 * delivers direct messages.
 *
 * @module
 */
import { MessagingClient } from "../../src/messaging/messaging_client.ts";
import { backoffDelay, DEFAULT_RECONNECT } from "../../src/client/backoff.ts";
import type { LinkState } from "./view.ts";

/** The directory's participant id (see `direct_messages.ts`). */
const DIRECTORY = "directory";
const RECONNECT = { ...DEFAULT_RECONNECT, maxDelay: 2_000 };

/** A direct message, as the inbox stores it. */
export interface DirectMessage {
  /** Sender. */
  from: string;
  /** Recipient. */
  to: string;
  /** Text. */
  text: string;
  /** Time, ms since the epoch. */
  at: number;
}

/** Options of {@linkcode LiveMessaging}. */
export interface LiveMessagingOptions {
  /** The `/messages` URL (`ws:` or `wss:`). */
  url: string;
  /** The user's name. */
  name: string;
  /** Told of every state change. */
  onState(state: LinkState): void;
  /** Each direct message received. */
  onMessage(message: DirectMessage): void;
  /** The inbox's messages, after every (re)connection. */
  onHistory(messages: DirectMessage[]): void;
  /** Errors that made a connection attempt fail. */
  onError(err: unknown): void;
}

/** A reconnecting link to the message router. */
export class LiveMessaging {
  #opts: LiveMessagingOptions;
  #client: MessagingClient | undefined;
  #attempt = 0;
  #stopped = false;

  /**
   * Starts connecting at once.
   *
   * @param options URL, name and callbacks.
   */
  constructor(options: LiveMessagingOptions) {
    this.#opts = options;
    void this.#run();
  }

  /**
   * Sends a direct message.
   *
   * @param to The recipient's name.
   * @param text The message.
   * @returns The message as stored.
   * @throws {Error} Coded: `connection_closed` while reconnecting, the inbox's `invalid_message`, ...
   */
  async send(to: string, text: string): Promise<DirectMessage> {
    const client = this.#client;
    if (!client) {
      throw Object.assign(new Error("Message router is not connected"), {
        code: "connection_closed",
      });
    }
    const inbox = await client.request(DIRECTORY, { name: to });
    return await client.request(String(inbox), { text }) as DirectMessage;
  }

  /** Closes the link for good. */
  close(): void {
    this.#stopped = true;
    void this.#client?.close();
  }

  async #run(): Promise<void> {
    const { url, name, onState } = this.#opts;
    onState("connecting");
    while (!this.#stopped) {
      let client: MessagingClient | undefined;
      try {
        client = await MessagingClient.connect(url);
        const inbox = String(await client.request(DIRECTORY, { name }));
        const channel = await client.openChannel(inbox);
        channel.onMessage((data) => this.#opts.onMessage(data as DirectMessage));
        channel.onClose(() => void client?.close()); // the inbox stopped: start over
        const history = await client.request(inbox, { op: "history" }) as DirectMessage[];
        this.#client = client;
        this.#attempt = 0;
        onState("open");
        this.#opts.onHistory(history);
        await client.closed;
      } catch (err) {
        this.#opts.onError(err);
        void client?.close();
      }
      this.#client = undefined;
      if (this.#stopped) break;
      onState("reconnecting");
      const delay = backoffDelay(this.#attempt++, RECONNECT);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    onState("closed");
  }
}
