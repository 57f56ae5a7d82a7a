/**
 * The Worker the Cloudflare tests run in workerd: the conformance suite's
 * actors plus a few that show what only this host does (hibernation, large
 * state, calls between actors).
 *
 * @module
 */
import { actor, setup } from "../../mod.ts";
import { createHandler } from "../../drivers/cloudflare.ts";
import { registry as suite } from "../../src/driver/testing/fixtures.ts";

/** Connections with state, a boot id that changes when the object is rebuilt, calls to peers. */
const room = actor({
  onAuth: () => {},
  state: { said: [] as string[] },
  createVars: () => ({ boot: crypto.randomUUID() }),
  createConnState: (_c, { params }) => ({
    name: (params as { name?: string } | undefined)?.name ?? "anon",
    count: 0,
  }),
  actions: {
    boot: (c) => c.vars.boot,
    bump: (c) => (c.conn ? ++c.conn.state.count : -1),
    connName: (c) => c.conn?.state.name ?? null,
    say: (c, text: string) => {
      c.state.said.push(text);
      c.broadcast("said", text);
      return c.state.said.length;
    },
    said: (c) => c.state.said,
    ask: (c, target: string, data: unknown) => c.messages.request(target, data),
    tellPeer: async (c, key: string, text: string) => {
      // deno-lint-ignore no-explicit-any
      const client = c.client<any>();
      return await client.room.getOrCreate([key]).say(text) as number;
    },
  },
});

/** Answers message-router requests. */
const inbox = actor({
  onAuth: () => {},
  state: { n: 0 },
  onRequest: (c, data, from) => ({ echo: data, from, n: ++c.state.n }),
  actions: { count: (c) => c.state.n },
});

/** State of any size (several storage chunks). */
const blob = actor({
  onAuth: () => {},
  state: { data: "" },
  actions: {
    fill: (c, size: number, char: string) => {
      c.state.data = char.repeat(size);
      return c.state.data.length;
    },
    summary: (c) => ({ length: c.state.data.length, head: c.state.data.slice(0, 3) }),
  },
});

export const registry = setup({ use: { ...suite.actors, room, inbox, blob } });
const { handler, ActorDurableObject } = createHandler(registry);
export default handler;
export { ActorDurableObject };
