/**
 * The demo's actors on Cloudflare Workers: each actor is a Durable Object.
 *
 *     npx wrangler dev --ip 127.0.0.1 --port 8787     # wrangler.jsonc points here
 *     npx wrangler deploy                              # with a Cloudflare account
 *
 * @module
 */
import { createHandler } from "../drivers/cloudflare.ts";
import { registry } from "./actors.ts";

const { handler, ActorDurableObject } = createHandler(registry, {
  server: { cors: { origin: "*" } },
});

export default handler;
export { ActorDurableObject };
