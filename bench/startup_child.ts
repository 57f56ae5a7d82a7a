/**
 * Child of bench/startup_bench.ts: imports the library (dynamic import),
 * creates a server, serves it on 127.0.0.1:0 and prints `port <n>`. When it
 * has answered its first request it prints `times <since process start ms>
 * <since before the import ms>` and exits. `--bare`: a `Deno.serve` handler
 * without the library (the floor).
 *
 * @module
 */
const beforeImport = performance.now();
const bare = Deno.args.includes("--bare");
let handler: (req: Request) => Promise<Response> | Response;
if (bare) handler = () => Response.json({ output: 1 });
else {
  const { actor, setup } = await import("../mod.ts");
  const { memoryDriver } = await import("../drivers/memory.ts");
  const counter = actor({
    state: { count: 0 },
    onAuth: () => {},
    actions: { increment: (c, by: number) => (c.state.count += by) },
  });
  handler = setup({ use: { counter } }).createServer({ driver: memoryDriver(), logger: () => {} })
    .fetch;
}
let answered = false;
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`port ${port}`),
}, async (req) => {
  const res = await handler(req);
  if (!answered && res.status === 200) {
    answered = true;
    const now = performance.now();
    console.log(`times ${now.toFixed(2)} ${(now - beforeImport).toFixed(2)}`);
    // Exit soon after the answer is written; shutdown() would wait for the
    // parent's keep-alive connection.
    setTimeout(() => Deno.exit(0), 20);
  }
  return res;
});
