/**
 * WebSockets of the Cloudflare driver.
 *
 * - {@linkcode UpgradeHandover}: the socket the manager router gets in the
 *   Worker. The router checks the actor query and `onAuth` first; then the
 *   driver hands the client's upgrade to the actor's Durable Object, whose
 *   101 response goes back to the client: the client talks to the object
 *   directly and the Worker is out of the path. A refusal before the
 *   handover is sent on a socket of the Worker instead.
 * - {@linkcode HibernatingSocket}: the server end of a connection inside the
 *   object, accepted with the hibernation API. The runtime calls the
 *   object's `webSocketMessage` / `webSocketClose`, which the object passes
 *   to the adapter's listeners.
 * - {@linkcode acceptedSocket}: the client end of an upgrade answered by an
 *   object, for server code (`openWebSocket`).
 *
 * @module
 */
import type { SocketLike } from "../src/driver/mod.ts";
import type { WorkersWebSocketLike } from "./_cf_types.ts";

type Listener = (ev: never) => void;

/** Listeners by event type, shared by the adapters below. */
class Listeners {
  #by: Record<string, Listener[]> = {};

  add(type: string, listener: Listener): void {
    (this.#by[type] ??= []).push(listener);
    if (type === "open") queueMicrotask(() => (listener as (ev: unknown) => void)({}));
  }

  dispatch(type: string, ev: unknown): void {
    for (const l of [...(this.#by[type] ?? [])]) {
      try {
        (l as (ev: unknown) => void)(ev);
      } catch (err) {
        console.error("switchyard: socket listener threw", err);
      }
    }
  }
}

/** The `WebSocketPair` constructor of the Workers runtime. */
export function newWebSocketPair(): [WorkersWebSocketLike, WorkersWebSocketLike] {
  const Pair = (globalThis as { WebSocketPair?: new () => Record<string, WorkersWebSocketLike> })
    .WebSocketPair;
  if (!Pair) throw new Error("WebSocketPair is not available outside the Workers runtime");
  const pair = new Pair();
  return [pair[0]!, pair[1]!];
}

/**
 * Completes the closing handshake when the peer starts it (the runtime
 * leaves that to the code that accepted the socket).
 *
 * @param ws An accepted socket.
 */
export function replyToClose(ws: SocketLike): void {
  ws.addEventListener("close", (ev) => {
    try {
      ws.close(ev.code === 1005 || ev.code === 1006 ? 1000 : ev.code, ev.reason);
    } catch { /* closed */ }
  });
}

/** A 101 response carrying the client end of a WebSocket. */
export function upgradeResponse(client: WorkersWebSocketLike, protocol?: string): Response {
  const headers = protocol ? { "sec-websocket-protocol": protocol } : undefined;
  return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit);
}

/**
 * A client's upgrade in the Worker, until the driver hands it to the actor's
 * Durable Object (see the module doc).
 */
export class UpgradeHandover implements SocketLike {
  readyState = 1;
  readonly protocol: string;
  binaryType = "arraybuffer";
  /** The response for the client: the object's 101, or the Worker's own socket. */
  readonly response: Promise<Response>;
  #resolve!: (res: Response) => void;
  #listeners = new Listeners();
  #local: WorkersWebSocketLike | undefined;

  /** @param protocol The sub-protocol agreed with the client. */
  constructor(protocol: string) {
    this.protocol = protocol;
    this.response = new Promise((resolve) => (this.#resolve = resolve));
  }

  /**
   * Answers the client with the Durable Object's upgrade response.
   *
   * @param res The object's 101 response.
   */
  handOver(res: Response): void {
    if (this.#local || this.readyState !== 1) return;
    this.readyState = 3;
    this.#resolve(res);
    // Gone from this isolate: listeners here (the Worker's socket metrics) see a close.
    this.#listeners.dispatch("close", { code: 1000, reason: "Handed to the actor" });
  }

  /** Whether the socket can still be handed over. */
  get pending(): boolean {
    return this.readyState === 1 && !this.#local;
  }

  #socket(): WorkersWebSocketLike {
    if (this.#local) return this.#local;
    const [client, server] = newWebSocketPair();
    server.accept();
    replyToClose(server);
    server.addEventListener("message", (ev) => this.#listeners.dispatch("message", ev));
    server.addEventListener("close", (ev) => {
      this.readyState = 3;
      this.#listeners.dispatch("close", ev);
    });
    this.#local = server;
    this.#resolve(upgradeResponse(client, this.protocol));
    return server;
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    this.#socket().send(data);
  }

  close(code?: number, reason?: string): void {
    this.#socket().close(code, reason);
    this.readyState = 3;
  }

  addEventListener(type: string, listener: (ev: never) => void): void {
    this.#listeners.add(type, listener);
  }
}

/**
 * The server end of a connection inside a Durable Object, accepted with the
 * hibernation API. The object passes the runtime's `webSocketMessage` and
 * `webSocketClose` calls to {@linkcode HibernatingSocket.dispatch}; every
 * frame in or out calls `onActivity`, which keeps the connection's
 * attachment up to date.
 */
export class HibernatingSocket implements SocketLike {
  /** The runtime's socket. */
  readonly ws: WorkersWebSocketLike;
  binaryType = "arraybuffer";
  /** Called after every frame in or out (the first argument is the frame sent, if any). */
  onActivity: ((sent?: string | ArrayBuffer | Uint8Array) => void) | undefined;
  #listeners = new Listeners();

  /** @param ws The accepted server end. */
  constructor(ws: WorkersWebSocketLike) {
    this.ws = ws;
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    this.ws.send(data);
    this.onActivity?.(data);
  }

  close(code?: number, reason?: string): void {
    try {
      this.ws.close(code, reason);
    } catch { /* closed */ }
  }

  addEventListener(type: string, listener: (ev: never) => void): void {
    this.#listeners.add(type, listener);
  }

  /**
   * Delivers an event from the runtime.
   *
   * @param type `message` or `close`.
   * @param ev The event (`{ data }` or `{ code, reason }`).
   */
  dispatch(type: "message" | "close", ev: unknown): void {
    this.#listeners.dispatch(type, ev);
    if (type === "message") this.onActivity?.();
  }
}

/**
 * The client end of an upgrade answered by a Durable Object, accepted here.
 *
 * @param res The object's response.
 * @returns The socket, or `undefined` when the object did not upgrade.
 */
export function acceptedSocket(res: Response): WorkersWebSocketLike | undefined {
  const ws = (res as Response & { webSocket?: WorkersWebSocketLike | null }).webSocket;
  if (res.status !== 101 || !ws) return undefined;
  ws.accept();
  replyToClose(ws);
  return ws;
}

/**
 * Joins two sockets: frames and closes cross in both directions.
 *
 * @param a One socket.
 * @param b The other.
 */
export function pipeSockets(a: SocketLike, b: SocketLike): void {
  const join = (from: SocketLike, to: SocketLike) => {
    from.addEventListener("message", (ev) => {
      try {
        if (to.readyState === 1) to.send(ev.data as string | ArrayBuffer);
      } catch { /* closing */ }
    });
    from.addEventListener("close", (ev) => {
      try {
        to.close(ev.code === 1005 || ev.code === 1006 ? 1000 : ev.code, ev.reason);
      } catch { /* closed */ }
    });
  };
  join(a, b);
  join(b, a);
}
