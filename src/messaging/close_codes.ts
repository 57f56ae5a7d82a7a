/**
 * Close codes of `/messages` connections (RFC 6455 §7.4.2, private range).
 *
 * @module
 */

/**
 * The peer was silent for the whole heartbeat timeout: the end that noticed
 * gave the connection up. A client may reconnect.
 */
export const CLOSE_PEER_SILENT = 4100;

/**
 * The client left more than the server's `maxBufferedBytes` unread: the
 * server disconnected it.
 */
export const CLOSE_SLOW_CONSUMER = 4101;
