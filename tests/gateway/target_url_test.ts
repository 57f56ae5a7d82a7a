import assert from "node:assert/strict";
import {
  buildTargetUrl,
  type HttpTarget,
  isSafeRemainder,
  parseTarget,
} from "../../src/gateway/target_url.ts";

Deno.test("parseTarget() reads http, ws and actor targets", () => {
  assert.deepEqual(parseTarget("https://api.test/v1/?a=1"), {
    kind: "http",
    source: "https://api.test/v1/?a=1",
    base: "https://api.test/v1",
    query: "a=1",
    secure: true,
  });
  assert.equal((parseTarget("ws://h.test:81") as HttpTarget).base, "http://h.test:81");
  assert.deepEqual(parseTarget("actor://chat%20room/a,b%2Cc/x/y/"), {
    kind: "actor",
    source: "actor://chat%20room/a,b%2Cc/x/y/",
    name: "chat room",
    key: ["a", "b,c"],
    path: "/x/y",
    query: "",
  });
  for (const bad of ["ftp://x", "nope", "https://u:p@x.test", "actor://", "actor://name"]) {
    assert.throws(
      () => parseTarget(bad),
      (e: { code?: string }) => e.code === "invalid_route_target",
    );
  }
});

Deno.test("buildTargetUrl() keeps the request's trailing slash and merges queries", () => {
  const t = parseTarget("http://h.test/base/") as HttpTarget;
  assert.equal(buildTargetUrl(t, undefined, ""), "http://h.test/base");
  assert.equal(buildTargetUrl(t, "/a/", "?q=1"), "http://h.test/base/a/?q=1");
  const root = parseTarget("http://h.test?k=v") as HttpTarget;
  assert.equal(buildTargetUrl(root, "", ""), "http://h.test/?k=v");
  assert.equal(buildTargetUrl(root, "/x", "q=1"), "http://h.test/x?k=v&q=1");
});

Deno.test("isSafeRemainder() refuses dot-segments and encoded separators", () => {
  for (const ok of ["", "/", "/a/b.txt", "/a..b", "/.well-known/x", "/%20", "/..."]) {
    assert.equal(isSafeRemainder(ok), true, ok);
  }
  for (const bad of ["/..", "/./a", "/%2E%2e", "/a%2Fb", "/a%5Cb", "/a\\b", "/%252f"]) {
    assert.equal(isSafeRemainder(bad), false, bad);
  }
});
