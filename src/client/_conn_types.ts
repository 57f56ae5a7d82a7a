/**
 * The types of a connection (`actor_conn.ts`): its status, how it ended,
 * its options, and the close codes the client acts on (see
 * `docs/protocol.md`).
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import type { ResolvedReconnectOptions } from "./backoff.ts";
import type { ConnectOptions } from "./client_driver.ts";

/** Where a connection is in its life. */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

/** Why a connection ended for good. */
export interface ConnCloseInfo {
  /** Close code (1000 when disposed or ended by the server). */
  readonly code: number;
  /** Close reason. */
  readonly reason: string;
  /** The error that ended it, if it was not a clean close. */
  readonly error?: SwitchyardError;
}

/** Options of {@linkcode ActorConnection}. */
export interface ActorConnectionOptions {
  /** Connection parameters. */
  params?: unknown;
  /** Frame encoding and transport. */
  encoding: ConnectOptions["encoding"];
  /** WebSocket or SSE. */
  transport: ConnectOptions["transport"];
  /** Reconnect policy (`maxAttempts: 0` disables reconnects). */
  reconnect: ResolvedReconnectOptions;
  /**
   * Milliseconds without a frame from the server (pings are sent to a quiet
   * server first) after which the transport counts as dead: it is dropped
   * and the connection resumes. 0 turns the heartbeat off. @default {30000}
   */
  heartbeatTimeout?: number;
  /** Called once when the connection ends for good (used by the client to forget it). */
  onEnd?: () => void;
}

/** Close code of a transport whose peer went silent (see `docs/protocol.md`). */
export const CLOSE_SILENT = 4100;

/** Close codes 4000–4099 mean "do not reconnect". */
export const FATAL_MIN = 4000;
/** The last close code that means "do not reconnect". */
export const FATAL_MAX = 4099;
