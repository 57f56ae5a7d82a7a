/**
 * The README's examples talk to the port the demo listens on, so a
 * newcomer's first client call reaches the demo.
 *
 * @module
 */
import assert from "node:assert/strict";

Deno.test("every address in the README uses the demo's default port", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const demo = await Deno.readTextFile(new URL("../examples/demo_server.ts", import.meta.url));
  const port = /Deno\.env\.get\("PORT"\) \?\? (\d+)/.exec(demo)?.[1];
  assert.ok(port, "the demo names its default port");
  const used = [...readme.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]);
  const ports = [...readme.matchAll(/port: (\d+)/g)].map((m) => m[1]);
  assert.ok(used.length > 0);
  // Wrangler's own dev server (`--port 8787`) is the one other port the README names.
  for (const p of [...used, ...ports].filter((p) => p !== "8787")) assert.equal(p, port);
});
