import assert from "node:assert/strict";

Deno.test("an SSE connection on Deno.serve prints no warning", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_sse_child.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const { code, stdout, stderr } = await child.output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(new TextDecoder().decode(stdout).trim(), "done", err);
  assert.equal(code, 0, err);
  assert.equal(err, "");
});
