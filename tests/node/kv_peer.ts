/**
 * The Deno side of the Node kv test: writes to or reads from a kv file with
 * the kv driver under Deno, so the test can check that the same file opens
 * in both runtimes.
 *
 * Usage: `deno run -A tests/node/kv_peer.ts write|read <file>`; `read`
 * prints `{ n, size }` as JSON.
 *
 * @module
 */
import { actor, setup } from "../../mod.ts";
import { kvDriver } from "../../drivers/kv.ts";

/** A counter with a state that can grow past one KV value. */
export const tally = actor({
  state: { n: 0, pad: "" },
  actions: {
    inc: (c) => ++c.state.n,
    grow: (c, size: number) => {
      c.state.pad = "p".repeat(size);
      return size;
    },
    read: (c) => ({ n: c.state.n, size: c.state.pad.length }),
  },
});

/** The registry both runtimes serve. */
export const registry = setup({ use: { tally } });

if (import.meta.main) {
  const [mode, path] = Deno.args;
  const server = registry.createServer({
    driver: await kvDriver({ path: path! }),
    logger: () => {},
  });
  const h = server.client.tally.getOrCreate(["shared"]);
  if (mode === "write") {
    await h.inc();
    await h.inc();
    await h.grow(100_000);
  } else {
    console.log(JSON.stringify(await h.read()));
  }
  await server.shutdown();
}
