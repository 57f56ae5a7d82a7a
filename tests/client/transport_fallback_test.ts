import assert from "node:assert/strict";
import { setup } from "../../mod.ts";
import { counter } from "../../src/driver/testing/fixtures.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { createClient } from "../../src/client/mod.ts";

const registry = setup({ use: { counter } });

/**
 * Serves the registry behind a "proxy" that refuses WebSocket upgrades (as
 * some corporate proxies do) and records the paths it let through.
 */
function serveWithoutUpgrades(refuse: boolean) {
  const server = registry.createServer({ driver: memoryDriver() });
  const paths: string[] = [];
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (refuse && req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      paths.push(`refused ${path}`);
      return new Response("upgrades are not allowed here", { status: 403 });
    }
    paths.push(path);
    return server.fetch(req);
  });
  return {
    url: `http://127.0.0.1:${http.addr.port}`,
    paths,
    async close() {
      await http.shutdown();
      await server.shutdown();
    },
  };
}

Deno.test("transport auto falls back to SSE when WebSocket upgrades are refused", async () => {
  const s = serveWithoutUpgrades(true);
  const client = createClient<typeof registry>(s.url, { reconnect: false });
  try {
    const conn = client.counter.getOrCreate(["a"]).connect();
    const changed = new Promise((r) => conn.on("changed", r));
    assert.equal(await conn.increment(2), 2);
    assert.equal(await changed, 2);
    assert.ok(s.paths.includes("refused /actors/connect/websocket"));
    assert.ok(s.paths.includes("/actors/connect/sse"));
    // The next connection of this client goes to SSE directly.
    const before = s.paths.filter((p) => p.startsWith("refused")).length;
    const second = client.counter.getOrCreate(["b"]).connect();
    assert.equal(await second.increment(1), 1);
    assert.equal(s.paths.filter((p) => p.startsWith("refused")).length, before);
  } finally {
    await client.dispose();
    await s.close();
  }
});

Deno.test("transport auto stays on WebSocket when upgrades get through", async () => {
  const s = serveWithoutUpgrades(false);
  const client = createClient<typeof registry>(s.url, { reconnect: false });
  try {
    const conn = client.counter.getOrCreate(["a"]).connect();
    assert.equal(await conn.increment(1), 1);
    assert.ok(s.paths.includes("/actors/connect/websocket"));
    assert.ok(!s.paths.includes("/actors/connect/sse"));
  } finally {
    await client.dispose();
    await s.close();
  }
});

Deno.test('transport "websocket" does not fall back', async () => {
  const s = serveWithoutUpgrades(true);
  const client = createClient<typeof registry>(s.url, { reconnect: false, transport: "websocket" });
  try {
    const conn = client.counter.getOrCreate(["a"]).connect();
    await assert.rejects(conn.increment(1), { code: "connection_failed" });
    assert.ok(!s.paths.includes("/actors/connect/sse"));
  } finally {
    await client.dispose();
    await s.close();
  }
});
