/**
 * What an operator sees: `/metrics` in Prometheus text (actions by type and
 * outcome with latency histograms, state writes, live actors, connections,
 * mailbox depth), the operator listing of `GET /actors`, and the built-in
 * logger's level and JSON format.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";

const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  options: { durable: true },
  actions: {
    increment: (c, by: number) => (c.state.count += by),
    fail: () => {
      throw new Error("boom");
    },
  },
});
const registry = setup({ use: { counter } });
const TOKEN = "operator-token-0123456789";

function metric(text: string, line: string): number {
  const hit = text.split("\n").find((l) => l.startsWith(line + " "));
  assert.ok(hit, `metric line "${line}" is missing`);
  return Number(hit.slice(line.length + 1));
}

Deno.test("/metrics counts actions by type and outcome with latency histograms", async () => {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  const a = server.client.counter.getOrCreate(["m"]);
  await a.increment(1);
  await a.increment(2);
  await assert.rejects(a.fail(), { code: "internal_error" });
  const conn = a.connect();
  await conn.ready();
  const text = await (await server.fetch(new Request("http://x/metrics"))).text();
  assert.equal(metric(text, 'switchyard_actions_total{actor="counter",outcome="ok"}'), 2);
  assert.equal(metric(text, 'switchyard_actions_total{actor="counter",outcome="error"}'), 1);
  assert.equal(
    metric(text, 'switchyard_action_duration_seconds_bucket{actor="counter",le="+Inf"}'),
    3,
  );
  assert.equal(metric(text, 'switchyard_action_duration_seconds_count{actor="counter"}'), 3);
  assert.ok(metric(text, 'switchyard_state_writes_total{outcome="ok"}') >= 2, "durable writes");
  assert.ok(metric(text, "switchyard_state_written_bytes_total") > 0);
  assert.equal(metric(text, "switchyard_actors_loaded"), 1);
  assert.equal(metric(text, "switchyard_connections_open"), 1);
  assert.equal(metric(text, "switchyard_mailbox_depth"), 0);
  await conn.dispose();
  await server.shutdown();
});

Deno.test("GET /actors lists actors with their connections and state size for the operator", async () => {
  const server = registry.createServer({
    driver: memoryDriver(),
    operatorToken: TOKEN,
    logger: () => {},
  });
  const a = server.client.counter.getOrCreate(["listed"]);
  await a.increment(5);
  await server.client.counter.create(["never-loaded"]);
  const refused = await server.fetch(
    new Request("http://x/actors", { headers: { authorization: "Bearer wrong-token-0000000000" } }),
  );
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).code, "forbidden");
  const res = await server.fetch(
    new Request("http://x/actors", { headers: { authorization: `Bearer ${TOKEN}` } }),
  );
  assert.equal(res.status, 200);
  const { actors } = await res.json() as {
    actors: Array<{ key: string[]; live: null | { connections: number; stateBytes: number } }>;
  };
  const listed = actors.find((x) => x.key[0] === "listed");
  assert.ok(listed?.live, "a loaded actor shows its live figures");
  assert.equal(listed.live.connections, 0);
  assert.ok(listed.live.stateBytes > 0, "its stored record has a size");
  assert.equal(actors.find((x) => x.key[0] === "never-loaded")?.live, null);
  await server.shutdown();
});

Deno.test("the built-in logger writes JSON lines at the chosen level and above", async () => {
  const lines: string[] = [];
  const saved = { warn: console.warn, error: console.error, info: console.info, log: console.log };
  console.warn =
    console.error =
    console.info =
    console.log =
      (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  try {
    const server = registry.createServer({
      driver: memoryDriver(),
      logLevel: "error",
      logFormat: "json",
    });
    await assert.rejects(server.client.counter.getOrCreate(["log"]).fail());
    await server.shutdown();
  } finally {
    Object.assign(console, saved);
  }
  assert.ok(lines.length >= 1, "the failed action is logged");
  for (const line of lines) {
    const entry = JSON.parse(line);
    assert.equal(entry.level, "error", "nothing below the chosen level");
    assert.equal(typeof entry.time, "string");
    assert.equal(typeof entry.msg, "string");
  }
});

Deno.test("an unknown log level is refused at start with invalid_config", () => {
  assert.throws(
    () =>
      registry.createServer({
        driver: memoryDriver(),
        logLevel: "loud" as unknown as "info",
      }),
    { code: "invalid_config" },
  );
});
