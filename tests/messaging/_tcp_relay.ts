/**
 * A TCP relay on 127.0.0.1 for tests: forwards bytes both ways between its
 * clients and a target port until told to stall, after which it drops what
 * it reads and forwards nothing, without closing either side, as a network
 * path that went dead does. Pausing one direction instead stops reading it,
 * as a peer that does not read: the sender's buffers fill up.
 *
 * @module
 */

/** Which way bytes go: `up` from the relay's client to the target, `down` back. */
export type Direction = "up" | "down";

/** A running relay. */
export interface TcpRelay {
  /** The port to connect to instead of the target's. */
  readonly port: number;
  /** Stops forwarding (both ways, every connection); nothing is closed. */
  stall(): void;
  /** Stops reading `direction` (every connection) until the relay closes. */
  pause(direction: Direction): void;
  /** Resolves once `n` more chunks went `direction`. */
  chunks(direction: Direction, n: number): Promise<void>;
  /** Closes the listener and every connection, and waits for them. */
  close(): Promise<void>;
}

/**
 * Starts a relay to `targetPort` on 127.0.0.1.
 *
 * @param targetPort The port of the server to relay to.
 * @returns The relay.
 */
export function tcpRelay(targetPort: number): TcpRelay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const pumps: Promise<void>[] = [];
  const waiters: { direction: Direction; left: number; resolve: () => void }[] = [];
  let stalled = false;
  const paused = new Set<Direction>();
  let closing!: () => void;
  const closed = new Promise<void>((r) => (closing = r));

  const counted = (direction: Direction) => {
    for (const w of [...waiters]) {
      if (w.direction !== direction || --w.left > 0) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };

  const pump = async (from: Deno.Conn, to: Deno.Conn, direction: Direction) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        if (paused.has(direction)) {
          await closed;
          break;
        }
        const n = await from.read(buf);
        if (n === null) break;
        if (stalled) continue; // read and dropped: the path is dead, not closed
        let at = 0;
        while (at < n) at += await to.write(buf.subarray(at, n));
        counted(direction);
      }
    } catch {
      // The relay is closing, or a side went away.
    }
    for (const c of [from, to]) {
      if (!conns.delete(c)) continue;
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
  };

  const accepting = (async () => {
    for await (const client of listener) {
      const target = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
      conns.add(client);
      conns.add(target);
      pumps.push(pump(client, target, "up"), pump(target, client, "down"));
    }
  })();

  return {
    port: (listener.addr as Deno.NetAddr).port,
    stall() {
      stalled = true;
    },
    pause(direction) {
      paused.add(direction);
    },
    chunks(direction, n) {
      return new Promise((resolve) => waiters.push({ direction, left: n, resolve }));
    },
    async close() {
      closing();
      listener.close();
      await accepting.catch(() => {});
      for (const c of [...conns]) {
        conns.delete(c);
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(pumps);
    },
  };
}
