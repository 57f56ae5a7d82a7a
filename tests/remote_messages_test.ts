import assert from "node:assert/strict";
import { actor, setup, UserError } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { remoteOnly } from "./_remote_only.ts";

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: { code?: string }) => {
    assert.equal(err.code, code, String(err));
    return true;
  });
}

let slept = Promise.withResolvers<void>();

const pong = actor({
  state: { messages: [] as unknown[], from: [] as string[], wakes: 0 },
  actions: {
    seen: (c) => ({ messages: [...c.state.messages], from: [...c.state.from] }),
    nap: (c) => c.sleep(),
  },
  onWake: (c) => void c.state.wakes++,
  onSleep: () => slept.resolve(),
  onMessage(c, data, from) {
    c.state.messages.push(data);
    c.state.from.push(from);
  },
  onRequest(c, data, from) {
    if (data === "user error") throw new UserError("Nope", { code: "nope" });
    if (data === "crash") throw new Error("internal detail");
    if (data === "wakes") return c.state.wakes;
    if (data === "count") return c.state.messages.length;
    if (data instanceof Uint8Array) return data.byteLength;
    return { echo: data, from };
  },
  onChannelOpen: () => true,
});

const ping = actor({
  actions: {
    tell: (c, target: string, data: unknown) => c.messages.send(target, data),
    ask: (c, target: string, data: unknown) => c.messages.request(target, data, { timeout: 5000 }),
    chat: async (c, target: string) => {
      try {
        await c.messages.openChannel(target, "hi");
        return "accepted";
      } catch (err) {
        return (err as { code: string }).code;
      }
    },
  },
});

const registry = setup({ use: { pong, ping } });

Deno.test("messages to an actor of another host go through the driver to its router", async () => {
  const driver = remoteOnly(memoryDriver());
  const server = registry.createServer({ driver, logger: () => {} });
  try {
    const p = server.client.ping.getOrCreate(["a"]);
    const q = server.client.pong.getOrCreate(["b"]);
    const pingId = await p.resolve();
    const pongId = await q.resolve();

    await p.tell(pongId, { n: 1 });
    await p.tell(pongId, new Uint8Array([1, 2]));
    // Per-sender FIFO holds across the hop: the request comes after both sends.
    assert.equal(await p.ask(pongId, "count"), 2);
    assert.deepEqual(await p.ask(pongId, "x"), { echo: "x", from: pingId });
    assert.equal(await p.ask(pongId, new Uint8Array(5)), 5);
    const seen = await q.seen();
    assert.deepEqual(seen.messages, [{ n: 1 }, new Uint8Array([1, 2])]);
    assert.deepEqual(seen.from, [pingId, pingId]);
    assert.deepEqual(
      driver.paths.filter((x) => x.startsWith("/messages/")),
      [
        "/messages/send",
        "/messages/send",
        "/messages/request",
        "/messages/request",
        "/messages/request",
      ],
    );

    await rejectsWith(p.ask(pongId, "user error"), "nope");
    await rejectsWith(p.ask(pongId, "crash"), "handler_failed");
    assert.equal(await p.chat(pongId), "channel_rejected");
    // An outside sender reaches it the same way.
    assert.deepEqual(await server.messaging.request(pongId, "y", { from: "ops" }), {
      echo: "y",
      from: "ops",
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("a forwarded message to an unknown actor fails with actor_not_found", async () => {
  const server = registry.createServer({ driver: remoteOnly(memoryDriver()), logger: () => {} });
  try {
    const p = server.client.ping.getOrCreate(["a"]);
    await rejectsWith(p.ask("no-such-actor", "x"), "actor_not_found");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a forwarded message wakes a sleeping actor on its host", async () => {
  const server = registry.createServer({ driver: remoteOnly(memoryDriver()), logger: () => {} });
  try {
    const pongId = await server.client.pong.getOrCreate(["s"]).resolve();
    assert.equal(await server.messaging.request(pongId, "wakes", { from: "ops" }), 0);
    slept = Promise.withResolvers<void>();
    await server.client.pong.getForId(pongId).nap();
    await slept.promise;
    assert.equal(await server.messaging.request(pongId, "wakes", { from: "ops" }), 1);
  } finally {
    await server.shutdown();
  }
});
