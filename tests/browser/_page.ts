/**
 * The browser side of `remote_client_browser_test.ts`. The test bundles this
 * module with the remote client (esbuild, at test time) and serves it to
 * Chromium, where it publishes one function per scenario as
 * `globalThis.switchyardSteps`; the test calls them with `page.evaluate`.
 * Web-standard globals only: no DOM, no server code.
 *
 * @module
 */
import { createClient, type Encoding, type SwitchyardError } from "../../src/client/mod.ts";
import type { BrowserRegistry } from "./remote_client_browser_test.ts";

/** The page and the switchyard server share one origin. */
const ORIGIN = new URL(import.meta.url).origin;

/** What the page reports about a coded error. */
interface ErrorInfo {
  isError: boolean;
  name: string;
  code: string;
  message: string;
  metadata: unknown;
}

function errorInfo(err: unknown): ErrorInfo {
  const e = err as SwitchyardError;
  return {
    isError: e instanceof Error,
    name: e.name,
    code: e.code,
    message: e.message,
    metadata: e.metadata,
  };
}

/** Resolves with the next `changed` event of a connection. */
function nextChange(conn: { once(name: string, l: (count: number) => void): () => void }) {
  return new Promise<number>((resolve) => conn.once("changed", resolve));
}

const steps = {
  /** Stateless actions over HTTP, including a coded error. */
  async action(encoding: Encoding) {
    const client = createClient<BrowserRegistry>(ORIGIN, { encoding });
    try {
      const counter = client.counter.getOrCreate([`http-${encoding}`]);
      const first = await counter.increment(2);
      const second = await counter.increment(3);
      const error = await counter.increment(0.5).then(() => undefined, errorInfo);
      return { first, second, error, actorId: await counter.resolve() };
    } finally {
      await client.dispose();
    }
  },

  /** A live connection: events caused by its own action and by another caller over HTTP. */
  async connection(transport: "websocket" | "sse", encoding: Encoding) {
    const client = createClient<BrowserRegistry>(ORIGIN, { transport, encoding });
    try {
      const key = [`live-${transport}-${encoding}`];
      const conn = client.counter.getOrCreate(key).connect();
      const seen: number[] = [];
      conn.on("changed", (count: number) => seen.push(count));
      const connId = await conn.ready();
      const own = nextChange(conn);
      // The subscription travels before this action on the same transport.
      const viaConn = await conn.increment(1);
      const ownEvent = await own;
      const other = nextChange(conn);
      const viaHttp = await client.counter.getOrCreate(key).increment(10);
      const otherEvent = await other;
      return { connId, status: conn.status, viaConn, ownEvent, viaHttp, otherEvent, seen };
    } finally {
      await client.dispose();
    }
  },

  /** A raw request to the actor's `onFetch`. */
  async rawFetch() {
    const client = createClient<BrowserRegistry>(ORIGIN);
    try {
      const res = await client.counter.getOrCreate(["raw"]).fetch("echo?x=1", {
        method: "POST",
        headers: { "x-custom": "from-browser" },
        body: "héllo",
      });
      return { status: res.status, reply: res.headers.get("x-reply"), body: await res.json() };
    } finally {
      await client.dispose();
    }
  },

  /** `dispose()` closes open connections for good. */
  async dispose() {
    const client = createClient<BrowserRegistry>(ORIGIN);
    const conn = client.counter.getOrCreate(["dispose"]).connect();
    const connId = await conn.ready();
    const closed = new Promise<{ code: number; error?: unknown }>((r) => conn.onClose(r));
    await client.dispose();
    const info = await closed;
    const after = await conn.increment(1).then(() => undefined, errorInfo);
    return { connId, status: conn.status, closeCode: info.code, clean: !info.error, after };
  },
};

/** The scenarios, as the test sees them. */
export type Steps = typeof steps;

(globalThis as { switchyardSteps?: Steps }).switchyardSteps = steps;
