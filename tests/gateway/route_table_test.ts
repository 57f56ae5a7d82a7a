import assert from "node:assert/strict";
import { parseRouteTable } from "../../src/gateway/route_table.ts";

Deno.test("parseRouteTable() accepts the plain form of the original design", () => {
  const specs = parseRouteTable({
    "/api/users/*": "https://users.example.com",
    "/*": "https://www.example.com",
  });
  assert.deepEqual(specs.map((s) => [s.pattern, s.targets[0]!.url, s.methods]), [
    ["/api/users/*", "https://users.example.com", undefined],
    ["/*", "https://www.example.com", undefined],
  ]);
});

Deno.test("parseRouteTable() fills defaults of the object form", () => {
  const [s] = parseRouteTable({
    "get,head /x": {
      targets: ["http://a.test", { url: "http://b.test", weight: 3 }],
      balance: "weighted",
      retries: 2,
      circuitBreaker: true,
      rateLimit: { limit: 10 },
    },
  });
  assert.deepEqual(s!.methods, ["GET", "HEAD"]);
  assert.deepEqual(s!.targets, [{ url: "http://a.test", weight: 1 }, {
    url: "http://b.test",
    weight: 3,
  }]);
  assert.deepEqual(s!.retries, { attempts: 2, backoff: 50, maxBackoff: 1000, on: [502, 503, 504] });
  assert.deepEqual(s!.circuitBreaker, { failures: 5, resetAfter: 30_000 });
  assert.deepEqual(s!.rateLimit, { limit: 10, window: 1000, burst: 10, by: "route" });
});

Deno.test("parseRouteTable() names the first problem of an invalid table", () => {
  const bad: [unknown, RegExp][] = [
    [{ "/x": { target: "http://a.test", targets: ["http://b.test"] } }, /exactly one/],
    [{ "/x": {} }, /exactly one/],
    [{ "/x": { target: "http://a.test", timeout: -1 } }, /"\/x.timeout"/],
    [{ "/x": { target: "http://a.test", bogus: true } }, /"\/x"/],
    [{ "x": "http://a.test" }, /Route key "x"/],
    [{ "GET /x": { target: "http://a.test", methods: ["POST"] } }, /both in its key/],
    [[], /invalid/],
  ];
  for (const [table, message] of bad) {
    assert.throws(() => parseRouteTable(table), (e: { code?: string; message?: string }) => {
      return e.code === "invalid_route_table" && message.test(e.message!);
    }, JSON.stringify(table));
  }
});
