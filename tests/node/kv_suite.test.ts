/**
 * The conformance suite's inline and HTTP parts on the kv driver under
 * Node 24 (`@deno/kv`), on a real file with the persistence cases, served
 * by the Node adapter.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { serve } from "../../adapters/node.ts";
import { kvDriver } from "../../drivers/kv.ts";
import type { DriverFactory } from "../../src/driver/mod.ts";
import { runDriverSuite } from "../../src/driver/testing/mod.ts";

const dir = mkdtempSync(join(tmpdir(), "sy_kv_node_suite_"));
after(() => rmSync(dir, { recursive: true, force: true }));
const paths = new WeakMap<DriverFactory, string>();
let n = 0;
async function onFile(path: string): Promise<DriverFactory> {
  const driver = await kvDriver({ path });
  paths.set(driver, path);
  return driver;
}

runDriverSuite("kv file (Node)", () => onFile(join(dir, `${n++}.db`)), {
  kinds: ["inline", "remote-http"],
  reopen: (previous) => onFile(paths.get(previous)!),
  register: (t) => test(t.name, { skip: t.ignore }, t.fn),
  listen: async (server) => {
    const http = await serve(server, { port: 0 });
    return { url: http.url, close: () => http.close() };
  },
});
