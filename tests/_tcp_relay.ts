/**
 * A TCP relay on 127.0.0.1 for tests: it forwards every connection to a
 * target port and can be told to stop forwarding the connections it has
 * without closing them (what a half-open connection looks like to both
 * ends: no error, no close, nothing arrives).
 *
 * @module
 */

interface Pair {
  client: Deno.Conn;
  upstream: Deno.Conn;
  forwarding: boolean;
  /** While set, nothing is read from the upstream (its sends back up in TCP buffers). */
  paused?: Promise<void>;
}

/** A running relay. */
export interface TcpRelay {
  /** The port it listens on. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** From now on, bytes of the connections open now are read and dropped; new ones are forwarded. */
  stopForwarding(): void;
  /** Stops reading what the server sends on the connections open now (a client that never reads). */
  pause(): void;
  /** Reads again after {@linkcode TcpRelay.pause}. */
  resume(): void;
  /** Closes the listener and every connection, and waits until they are done. */
  close(): Promise<void>;
}

async function pump(from: Deno.Conn, to: Deno.Conn, pair: Pair): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while (true) {
      if (from === pair.upstream) await pair.paused;
      const n = await from.read(buf);
      if (n === null) break;
      if (!pair.forwarding) continue;
      let at = 0;
      while (at < n) at += await to.write(buf.subarray(at, n));
    }
  } catch { /* closed */ }
  for (const c of [pair.client, pair.upstream]) {
    try {
      c.close();
    } catch { /* already closed */ }
  }
}

/**
 * Starts a relay to `127.0.0.1:targetPort`.
 *
 * @param targetPort Where connections go.
 * @returns The relay.
 */
export function startRelay(targetPort: number): TcpRelay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pairs = new Set<Pair>();
  const pumps: Promise<void>[] = [];
  let accepted = 0;
  let unpause = () => {};
  const accepting = (async () => {
    try {
      for await (const client of listener) {
        accepted++;
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        const pair = { client, upstream, forwarding: true };
        pairs.add(pair);
        pumps.push(pump(client, upstream, pair), pump(upstream, client, pair));
      }
    } catch { /* listener closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    stopForwarding() {
      for (const pair of pairs) pair.forwarding = false;
    },
    pause() {
      const gate = Promise.withResolvers<void>();
      unpause = gate.resolve;
      for (const pair of pairs) pair.paused = gate.promise;
    },
    resume() {
      for (const pair of pairs) pair.paused = undefined;
      unpause();
    },
    async close() {
      unpause();
      try {
        listener.close();
      } catch { /* closed before */ }
      await accepting;
      for (const pair of pairs) {
        for (const c of [pair.client, pair.upstream]) {
          try {
            c.close();
          } catch { /* already closed */ }
        }
      }
      await Promise.all(pumps);
    },
  };
}
