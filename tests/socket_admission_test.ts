import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { toBase64UrlJson, WS_PROTOCOL_QUERY } from "../src/protocol/headers.ts";

// A slow `onAuth` runs after the upgrade, while the client may already send:
// frames sent in that window must reach the actor, not vanish (Deno drops
// message events that arrive before a listener exists).
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));

const echo = actor({
  onAuth: async () => {
    await gate;
  },
  onWebSocket: (_c, socket) => {
    socket.addEventListener("message", (ev) => socket.send(`echo:${ev.data}`));
  },
});

/** Fails instead of hanging when `p` does not settle in time. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("frames sent while onAuth still runs reach the raw WebSocket handler", async () => {
  const server = setup({ use: { echo } }).createServer({ driver: memoryDriver() });
  // The upgrader opens the gate once both early frames reached the server.
  const upgradeWebSocket = (request: Request, options: { protocol?: string }) => {
    const r = Deno.upgradeWebSocket(request, options);
    let seen = 0;
    r.socket.addEventListener("message", () => ++seen === 2 && release());
    return r;
  };
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => server.fetch(request, { upgradeWebSocket }),
  );
  try {
    const query = { getOrCreateForKey: { name: "echo", key: ["a"] } };
    const ws = new WebSocket(
      `ws://127.0.0.1:${http.addr.port}/actors/raw/websocket/`,
      ["switchyard", WS_PROTOCOL_QUERY + toBase64UrlJson(query)],
    );
    const got: string[] = [];
    const two = Promise.withResolvers<void>();
    ws.onmessage = (ev) => {
      got.push(ev.data);
      if (got.length === 2) two.resolve();
    };
    await new Promise((r) => (ws.onopen = r));
    ws.send("early 1");
    ws.send("early 2");
    await within(two.promise, 10_000, "the echoes of the early frames");
    assert.deepEqual(got, ["echo:early 1", "echo:early 2"]);
    const closed = new Promise((r) => (ws.onclose = r));
    ws.close();
    await closed;
  } finally {
    await http.shutdown();
    await server.shutdown();
  }
});
