/**
 * The server the crash test kills: durable actors on a kv file, served on
 * 127.0.0.1. Prints `listening <port>` once it serves.
 *
 * Usage: `deno run -A tests/kv_crash_server.ts <file>`
 *
 * @module
 */
import { actor, setup } from "../mod.ts";
import { kvDriver } from "../drivers/kv.ts";

/** Bytes of padding in a `big` actor: its state spans three KV values. */
export const PAD = 150_000;

function tally(pad: number) {
  return actor({
    state: { n: 0, pad: "" },
    onAuth: () => {},
    actions: {
      inc: (c) => {
        c.state.n++;
        if (pad > 0) c.state.pad = String(c.state.n % 10).repeat(pad);
        return c.state.n;
      },
      read: (c) => ({
        n: c.state.n,
        whole: pad === 0 || c.state.n === 0 || c.state.pad === String(c.state.n % 10).repeat(pad),
      }),
    },
  });
}

if (import.meta.main) {
  const registry = setup({ use: { small: tally(0), big: tally(PAD) } });
  const server = registry.createServer({
    driver: await kvDriver({ path: Deno.args[0]! }),
    logger: (level, message, data) => console.error(level, message, JSON.stringify(data)),
  });
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening ${port}`),
  }, server.fetch);
}
