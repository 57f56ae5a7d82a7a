/**
 * {@linkcode bridgeSockets}: joins two WebSocket-shaped sockets so frames and
 * close codes flow both ways.
 *
 * @module
 */
import { frameData, OPEN, type SocketLike } from "../common/socket.ts";

/**
 * Maps a received close code to one that may be sent. 1005 (no status) and
 * 1006 (abnormal closure) and 1015 (TLS failure) are reserved for reporting
 * (RFC 6455 §7.4.1): 1005 becomes 1000, 1006 and 1015 become 1011.
 *
 * @param code The code from a close event.
 * @returns A code that can be passed to `close()`.
 *
 * @example Reserved close codes are mapped before they are sent
 * ```ts
 * import { sendableCloseCode } from "@switchyard/core/gateway";
 * console.assert(sendableCloseCode(1005) === 1000); // no status
 * console.assert(sendableCloseCode(1006) === 1011); // abnormal closure
 * console.assert(sendableCloseCode(4001) === 4001); // an application's own code
 * ```
 */
export function sendableCloseCode(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1006 || code === 1015) return 1011;
  if (code < 1000 || code > 4999) return 1011;
  return code;
}

/**
 * Closes a socket with the mapped code. A WHATWG client `WebSocket` may only
 * send 1000 or 3000–4999; for any other code it is closed with 1000 and the
 * reason is kept.
 */
function closeWith(socket: SocketLike, code: number, reason: string): void {
  if (socket.readyState > OPEN) return;
  if (socket.readyState !== OPEN) {
    socket.addEventListener("open", () => closeWith(socket, code, reason));
    return;
  }
  const mapped = sendableCloseCode(code);
  try {
    socket.close(mapped, reason);
  } catch {
    try {
      socket.close(1000, reason);
    } catch {
      // Already closing: nothing left to do.
    }
  }
}

/**
 * Bridges two sockets: every frame from one is sent on the other, and a close
 * on either side closes the other with the same code (see
 * {@linkcode sendableCloseCode}) and reason. Frames that arrive for a side
 * that is not open yet are queued until it opens.
 *
 * @param client The socket facing the caller (usually still connecting).
 * @param upstream The socket facing the backend (usually open).
 *
 * @example Bridge two in-process pairs
 * ```ts
 * import { socketPair } from "@switchyard/core/driver";
 * import { bridgeSockets } from "@switchyard/core/gateway";
 * const [caller, callerEnd] = socketPair();
 * const [backendEnd, backend] = socketPair();
 * backend.addEventListener("message", (ev) => backend.send(`echo ${ev.data}`));
 * bridgeSockets(callerEnd, backendEnd);
 * const got = new Promise((r) => caller.addEventListener("message", (ev) => r(ev.data)));
 * caller.send("hi");
 * console.assert((await got) === "echo hi");
 * ```
 */
export function bridgeSockets(client: SocketLike, upstream: SocketLike): void {
  wire(client, upstream);
  wire(upstream, client);
}

function wire(from: SocketLike, to: SocketLike): void {
  let queue: (string | Uint8Array)[] | null = to.readyState === OPEN ? null : [];
  if (queue !== null) {
    to.addEventListener("open", () => {
      const pending = queue ?? [];
      queue = null;
      for (const frame of pending) to.send(frame);
    });
  }
  try {
    from.binaryType = "arraybuffer";
  } catch {
    // Some sockets only accept their own default.
  }
  from.addEventListener("message", (ev) => {
    const data = frameData(ev.data);
    if (data === undefined) return;
    if (queue !== null) queue.push(data);
    else if (to.readyState === OPEN) to.send(data);
  });
  from.addEventListener("close", (ev) => {
    queue = null;
    closeWith(to, ev.code, ev.reason);
  });
}
