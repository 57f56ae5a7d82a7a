/**
 * `node examples/node_server.ts`: the demo's registry served on Node with
 * the Node adapter, started as a child process on a free port, called over
 * HTTP and stopped with SIGTERM.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { createClient } from "../../src/client/mod.ts";
import type { registry } from "../../examples/actors.ts";

const ROOT = new URL("../../", import.meta.url);

const stateDir = mkdtempSync(join(tmpdir(), "switchyard-node-demo-"));
let child: ChildProcess;
let base: string;
let output = "";

before(async () => {
  child = spawn(process.execPath, ["examples/node_server.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", DEMO_STATE_FILE: join(stateDir, "demo.kv") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const listening = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /switchyard on Node listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once(
      "exit",
      (code) => reject(new Error(`Exited with ${code} before listening:\n${output}`)),
    );
  });
  base = await listening;
});

after(async () => {
  if (child.exitCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(stateDir, { recursive: true, force: true });
});

function call(actor: string, key: string[], action: string, args: unknown[]) {
  return fetch(`${base}/actors/actions/${action}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-sy-query": JSON.stringify({ getOrCreateForKey: { name: actor, key } }),
    },
    body: JSON.stringify({ args }),
  });
}

test("the Node example listens on 127.0.0.1 and prints its URL", () => {
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test("an action of the demo's counter runs over HTTP on Node", async () => {
  const first = await call("counter", ["node"], "increment", [2]);
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { output: 2 });
  const second = await call("counter", ["node"], "increment", [3]);
  assert.deepEqual(await second.json(), { output: 5 });
});

test("a chat message over 2000 characters is refused with invalid_message", async () => {
  const res = await call("chatRoom", ["node"], "send", ["x".repeat(2001)]);
  assert.equal(res.status, 400);
  const body = await res.json() as { code: string; message: string };
  assert.equal(body.code, "invalid_message");
  assert.equal(body.message, "Message must be 1 to 2000 characters");
});

test("a chat member named with over 64 characters is refused with invalid_name", async () => {
  const client = createClient<typeof registry>(base, { reconnect: false });
  try {
    const conn = client.chatRoom.getOrCreate(["node"]).connect({ name: "n".repeat(65) });
    await assert.rejects(conn.ready(), { code: "invalid_name" });
    const ok = client.chatRoom.getOrCreate(["node"]).connect({ name: "<b>ada</b>" });
    await ok.ready();
    assert.deepEqual(await ok.members(), ["<b>ada</b>"]);
  } finally {
    await client.dispose();
  }
});

test("the inbox actor is not reachable over HTTP", async () => {
  const res = await call("inbox", ["node"], "history", []);
  assert.equal(res.status, 403);
  assert.equal((await res.json() as { code: string }).code, "forbidden");
});

test("SIGTERM stops the Node example cleanly", async () => {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0);
});
