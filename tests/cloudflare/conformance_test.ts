/**
 * The driver conformance suite over HTTP, WebSocket and SSE against the
 * suite's actors running in real workerd on the Cloudflare driver. The
 * inline kind is not run here: server code runs inside the Worker, which
 * the remote kinds already go through.
 *
 * @module
 */
import { memoryDriver } from "../../drivers/memory.ts";
import { runDriverSuite } from "../../src/driver/testing/mod.ts";
import { bundleWorker, startWorkerd } from "./workerd.ts";

const workerd = await startWorkerd(await bundleWorker("tests/cloudflare/_worker.ts"));

// `memoryDriver()` only backs the case context's local server; every call goes to workerd.
runDriverSuite("cloudflare", () => memoryDriver(), {
  kinds: ["remote-http", "remote-ws"],
  endpoint: () => workerd.url,
});
runDriverSuite("cloudflare", () => memoryDriver(), {
  kinds: ["remote-sse"],
  endpoint: () => workerd.url,
  skip: {
    reconnect:
      "workerd tells a Worker that a client left an idle SSE stream only at its next write",
  },
});

Deno.test({
  name: "cloudflare: workerd stops after the suite",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => workerd.dispose(),
});
