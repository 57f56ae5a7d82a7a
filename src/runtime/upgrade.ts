/**
 * The one place that knows how each runtime upgrades a request to a
 * WebSocket. Deno: `Deno.upgradeWebSocket`; Workers: `WebSocketPair`; Node:
 * the adapter (`adapters/node.ts`) passes `env.upgradeWebSocket`.
 *
 * {@linkcode upgradeWebSocket} checks the handshake before any runtime sees
 * it, so a bad handshake is a coded client error (400 or 426) on every host
 * and every upgrade path, never a runtime exception.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";

/** Upgrades a request; the response must be returned to the runtime. */
export type Upgrader = (
  request: Request,
  options: { protocol?: string },
) => { socket: SocketLike; response: Response };

/** The only WebSocket version there is (RFC 6455 §4.1). */
export const WEBSOCKET_VERSION = "13";

/** Comma-separated header tokens, lower-cased. */
function tokens(value: string | null): string[] {
  return value ? value.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t) : [];
}

/**
 * Checks the client's opening handshake (RFC 6455 §4.2.1).
 *
 * @param request The upgrade request.
 * @throws {SwitchyardError} `upgrade_required` (426) without `Upgrade: websocket`
 * and `Connection: Upgrade`; `unsupported_websocket_version` (426) unless
 * `Sec-WebSocket-Version` is 13; `malformed_websocket_key` (400) unless
 * `Sec-WebSocket-Key` is 16 bytes in base64.
 */
export function checkHandshake(request: Request): void {
  const h = request.headers;
  if (!tokens(h.get("upgrade")).includes("websocket")) {
    throw publicError("upgrade_required", 426, "Expected a WebSocket upgrade");
  }
  if (!tokens(h.get("connection")).includes("upgrade")) {
    throw publicError(
      "upgrade_required",
      426,
      'Expected a WebSocket upgrade with header "Connection: Upgrade"',
    );
  }
  const version = h.get("sec-websocket-version");
  if (version?.trim() !== WEBSOCKET_VERSION) {
    throw publicError(
      "unsupported_websocket_version",
      426,
      `WebSocket version "${version ?? ""}" is not supported, only "${WEBSOCKET_VERSION}"`,
      { supported: [Number(WEBSOCKET_VERSION)] },
    );
  }
  const key = h.get("sec-websocket-key")?.trim() ?? "";
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) {
    throw publicError(
      "malformed_websocket_key",
      400,
      'Header "Sec-WebSocket-Key" must be 16 bytes in base64',
    );
  }
}

/**
 * Upgrades a request with the host's upgrader after checking the handshake.
 * The server's sub-protocol must be one the client offered (RFC 6455
 * §4.2.2). Whatever the runtime still refuses is answered as a client error.
 *
 * @param upgrader The host's upgrader, if it has one.
 * @param request The upgrade request.
 * @param options The sub-protocol to answer with, if any.
 * @returns The server end of the socket and the response to return.
 * @throws {SwitchyardError} What {@linkcode checkHandshake} throws;
 * `websocket_unsupported` (501) without an upgrader; `unsupported_subprotocol`
 * (400) when the client did not offer `options.protocol`;
 * `malformed_handshake` (400) when the runtime refuses the handshake.
 */
export function upgradeWebSocket(
  upgrader: Upgrader | undefined,
  request: Request,
  options: { protocol?: string } = {},
): { socket: SocketLike; response: Response } {
  checkHandshake(request);
  if (!upgrader) {
    throw publicError("websocket_unsupported", 501, "This host cannot accept WebSockets");
  }
  const { protocol } = options;
  if (protocol !== undefined) {
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",")
      .map((p) => p.trim());
    if (!offered.includes(protocol)) {
      throw publicError(
        "unsupported_subprotocol",
        400,
        `WebSocket must offer the sub-protocol "${protocol}"`,
      );
    }
  }
  try {
    return upgrader(request, protocol === undefined ? {} : { protocol });
  } catch {
    throw publicError("malformed_handshake", 400, "WebSocket handshake is invalid");
  }
}

/**
 * The current runtime's upgrader, if it has one built in.
 *
 * @returns The upgrader, or `undefined` (e.g. on Node without the adapter).
 */
export function detectUpgrader(): Upgrader | undefined {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (typeof g.Deno?.upgradeWebSocket === "function") {
    return (request, options) => g.Deno.upgradeWebSocket(request, options);
  }
  if (typeof g.WebSocketPair === "function") {
    return () => {
      const pair = new g.WebSocketPair();
      const [client, server] = Object.values(pair) as [unknown, SocketLike & { accept(): void }];
      server.accept();
      return {
        socket: server,
        response: new Response(null, { status: 101, webSocket: client } as ResponseInit),
      };
    };
  }
  return undefined;
}
