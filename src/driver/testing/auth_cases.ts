/**
 * `onAuth`: allow, deny, intents, auth data, and who may reach an actor.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { rejectsWith } from "./_helpers.ts";

const REMOTE = ["remote-http", "remote-ws", "remote-sse"] as const;
const INLINE = ["inline"] as const;
const CREDENTIALS = { headers: { authorization: "Bearer letmein" } };

export const authCases: SuiteGroup = {
  name: "auth",
  cases: [
    {
      name: "onAuth allows a caller with credentials and its data reaches c.auth",
      kinds: REMOTE,
      async fn({ otherClient, key, caller, kind }) {
        const client = otherClient(CREDENTIALS);
        const c = await caller(client.guarded.getOrCreate(key()), { token: "letmein" });
        const auth = await c.whoAmI();
        assert.equal(auth?.user, "alice");
        const intent = kind === "remote-http" ? "action" : "connect";
        assert.ok(auth?.intents.includes(intent), `intents: ${auth?.intents.join(",")}`);
      },
    },
    {
      name: "onAuth data reaches createConnState",
      kinds: REMOTE,
      async fn({ client, key }) {
        const conn = client.guarded.getOrCreate(key()).connect({ token: "letmein" });
        const state = await conn.connAuth();
        assert.equal((state?.authAtConnect as { user?: string } | null)?.user, "alice");
      },
    },
    {
      name: "onAuth that throws denies with forbidden",
      kinds: REMOTE,
      async fn({ client, key }) {
        const handle = client.guarded.getOrCreate(key());
        await rejectsWith(handle.whoAmI(), "forbidden");
        await rejectsWith(handle.resolve(), "forbidden");
        await rejectsWith(handle.connect({ token: "wrong" }).ready(), "forbidden");
      },
    },
    {
      name: "onAuth that returns false denies with forbidden",
      kinds: REMOTE,
      async fn({ client, key }) {
        await rejectsWith(
          client.guarded.getOrCreate(key()).connect({ deny: "false" }).ready(),
          "forbidden",
        );
      },
    },
    {
      name: "a refusal has one code and one status over HTTP and over a connection",
      kinds: REMOTE,
      async fn({ client, key }) {
        const handle = client.internal.getOrCreate(key());
        const overHttp = await rejectsWith(handle.ping(), "forbidden");
        const overConnection = await rejectsWith(handle.connect().ready(), "forbidden");
        assert.equal(overHttp.status, 403);
        assert.equal(overConnection.status, 403);
      },
    },
    {
      name: "an actor without onAuth is not reachable from outside",
      kinds: REMOTE,
      async fn({ client, key }) {
        const handle = client.internal.getOrCreate(key());
        await rejectsWith(handle.ping(), "forbidden");
        await rejectsWith(handle.connect().ready(), "forbidden");
        const res = await handle.fetch("/anything");
        assert.equal(res.status, 403);
        await res.body?.cancel();
      },
    },
    {
      name: "an empty onAuth makes an actor public",
      kinds: REMOTE,
      async fn({ client, key, caller }) {
        const c = await caller(client.plain.getOrCreate(key()));
        assert.equal(await c.ping(), "pong");
      },
    },
    {
      name: "the inline client is trusted: no onAuth runs and every actor is reachable",
      kinds: INLINE,
      async fn({ client, key }) {
        assert.equal(await client.internal.getOrCreate(key()).ping(), "pong");
        assert.equal(await client.guarded.getOrCreate(key()).whoAmI(), null);
        const conn = client.internal.getOrCreate(key()).connect();
        assert.equal(await conn.ping(), "pong");
      },
    },
  ],
};
