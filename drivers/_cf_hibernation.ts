/**
 * Connections that outlive their actor instance. A Durable Object with
 * only hibernated WebSockets is evicted from memory; the sockets stay open.
 * Each socket carries an attachment with what its connection needs (id,
 * token, params, state, auth, subscriptions, last event number), refreshed
 * after every frame. When the object wakes, the driver rebuilds every
 * connection from the attachments before the actor serves anything, so
 * clients keep their connection id, state and event numbering. Events the
 * evicted instance kept for replay are gone: a client that resumes and asks
 * for them is told about the gap.
 *
 * @module
 */
import { decode, type Encoding } from "../src/common/encoding.ts";
import { frameData, type SocketLike } from "../src/common/socket.ts";
import { CLOSE_TOO_LARGE, type ConnSink, ConnState } from "../src/actor/conn.ts";
import type { ActorInstance } from "../src/actor/instance.ts";
import type { HibernatingSocket } from "./_cf_sockets.ts";
import type { WorkersWebSocketLike } from "./_cf_types.ts";

/** What a hibernated connection keeps with its socket. */
interface ConnSnapshot {
  v: 1;
  id: string;
  token: string;
  encoding: Encoding;
  params: unknown;
  state: unknown;
  auth: unknown;
  subs: string[];
  lastSeq: number;
}

/**
 * Keeps a connection's attachment current. The connection id comes from the
 * first frame the actor sends on the socket (`init`).
 *
 * @param socket The hibernating socket.
 * @param actor The actor instance serving it now.
 * @param known The connection, when it is known already (a restored one).
 */
export function trackConnection(
  socket: HibernatingSocket,
  actor: () => ActorInstance | undefined,
  known?: { connId: string; encoding: Encoding },
): void {
  let connId = known?.connId;
  let encoding: Encoding = known?.encoding ?? "json";
  let queued = false;
  socket.onActivity = (sent) => {
    if (connId === undefined && sent !== undefined) {
      const bytes = typeof sent === "string" || sent instanceof Uint8Array
        ? sent
        : new Uint8Array(sent);
      try {
        const msg = decode(bytes) as { t?: unknown; connId?: unknown };
        if (msg?.t === "init" && typeof msg.connId === "string") {
          connId = msg.connId;
          encoding = typeof sent === "string" ? "json" : "cbor";
        }
      } catch { /* not a protocol frame */ }
    }
    if (connId === undefined || queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      const conn = actor()?.connections.live.get(connId!);
      if (conn && !conn.closed) saveSnapshot(socket.ws, conn, encoding);
    });
  };
}

function saveSnapshot(ws: WorkersWebSocketLike, conn: ConnState, encoding: Encoding): void {
  const snap: ConnSnapshot = {
    v: 1,
    id: conn.id,
    token: conn.token,
    encoding,
    params: conn.params,
    state: conn.state,
    auth: conn.auth,
    subs: [...conn.subs],
    lastSeq: conn.lastSeq,
  };
  try {
    ws.serializeAttachment(snap);
  } catch (err) {
    // Too large or not cloneable: the connection ends when the object hibernates.
    console.warn("switchyard: connection cannot be kept through hibernation", String(err));
  }
}

/**
 * Rebuilds the connections of hibernated sockets on a fresh instance and
 * wires the sockets to it.
 *
 * @param actor The instance that just started.
 * @param sockets The object's open hibernated sockets, each with its adapter.
 * @param maxMessageSize Largest frame accepted, bytes.
 * @param current The instance serving the object from now on (for attachments).
 */
export function restoreConnections(
  actor: ActorInstance,
  sockets: Array<{ ws: WorkersWebSocketLike; socket: HibernatingSocket }>,
  maxMessageSize: number,
  current: () => ActorInstance | undefined,
): void {
  let seq = 0;
  for (const { ws, socket } of sockets) {
    const snap = ws.deserializeAttachment() as ConnSnapshot | null | undefined;
    if (snap?.v !== 1 || ws.readyState !== 1) continue;
    const conn = new ConnState({
      id: snap.id,
      token: snap.token,
      params: snap.params,
      state: snap.state,
      auth: snap.auth,
      bufferSize: actor.def.options.eventBufferSize,
    }, actor.connections);
    for (const s of snap.subs) conn.subs.add(s);
    conn.lastSeq = snap.lastSeq;
    conn.droppedUpTo = snap.lastSeq; // nothing left to replay
    seq = Math.max(seq, snap.lastSeq);
    const sink: ConnSink = {
      encoding: snap.encoding,
      get bufferedAmount() {
        return (socket as { bufferedAmount?: number }).bufferedAmount ?? 0;
      },
      send(frame) {
        if (socket.readyState !== 1) return;
        try {
          socket.send(frame);
        } catch { /* closing */ }
      },
      close: (code, reason) => socket.close(code, reason),
    };
    actor.connections.live.set(conn.id, conn);
    conn.sink = sink;
    trackConnection(socket, current, { connId: conn.id, encoding: snap.encoding });
    const events: SocketLike = socket;
    events.addEventListener("message", (ev) => {
      const data = frameData(ev.data);
      if (data === undefined) return;
      const size = typeof data === "string" ? data.length : data.byteLength;
      if (size > maxMessageSize) {
        conn.flush();
        sink.send(JSON.stringify({
          t: "error",
          code: "message_too_large",
          message: `Message is larger than ${maxMessageSize} bytes`,
        }));
        sink.close(CLOSE_TOO_LARGE, "message_too_large");
        return;
      }
      actor.connections.receive(conn, sink, data);
    });
    events.addEventListener("close", (ev) => actor.connections.dropped(conn, sink, ev.code));
  }
  actor.continueSeqAfter(seq);
}
