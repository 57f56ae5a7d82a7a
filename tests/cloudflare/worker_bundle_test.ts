/**
 * The Cloudflare example Worker stays small once bundled for deployment:
 * configuration is validated with `zod/mini`, so only the schema parts in
 * use are in the bundle, never zod's full chaining API.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bundleWorker } from "./workerd.ts";

const LIMIT = 300 * 1024;

Deno.test("the example Worker bundles to under 300 KB minified", async () => {
  const script = await bundleWorker("examples/worker.ts", { minify: true });
  const size = new TextEncoder().encode(script).length;
  assert.ok(size < LIMIT, `the Worker bundle is ${size} bytes, over the ${LIMIT}-byte budget`);
});

Deno.test("the example Worker bundle holds no zod locale but English and no chaining API", async () => {
  const script = await bundleWorker("examples/worker.ts");
  const zodFiles = [...script.matchAll(/^\/\/ (node_modules\/zod\/\S+)$/gm)].map((m) => m[1]);
  assert.ok(zodFiles.length > 0, "the bundle validates configuration with zod");
  assert.deepEqual(zodFiles.filter((f) => f!.includes("/classic/")), []);
  assert.deepEqual(
    zodFiles.filter((f) => f!.includes("/locales/")),
    ["node_modules/zod/v4/locales/en.js"],
  );
});
