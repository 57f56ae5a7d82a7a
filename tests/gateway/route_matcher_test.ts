import assert from "node:assert/strict";
import { type RouteDefinition, RouteMatcher } from "../../src/gateway/route_matcher.ts";

const GET = { method: "GET" };

function table(patterns: string[]): RouteDefinition<string>[] {
  return patterns.map((p) => ({ pattern: p, data: p }));
}

function winner(m: RouteMatcher<string>, path: string, c = GET): string | undefined {
  return m.match(path, c)?.route.data;
}

/** All orders of a small list, to show results never depend on declaration order. */
function permutations<X>(xs: X[]): X[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest])
  );
}

const PRIORITY_TABLE = [
  "/*",
  "/api/*",
  "/api/users/*",
  "/api/:version/*",
  "/api/users/:id",
  "/api/users/:id(\\d+)",
  "/api/users/me",
  "/api/:version/me",
];

Deno.test("match() prefers exact over params over wildcards whatever the declaration order", () => {
  const cases: [string, string][] = [
    ["/api/users/me", "/api/users/me"],
    ["/api/users/42", "/api/users/:id(\\d+)"],
    ["/api/users/bob", "/api/users/:id"],
    ["/api/v2/me", "/api/:version/me"],
    ["/api/users/42/posts", "/api/users/*"],
    ["/api/v2/anything", "/api/:version/*"],
    ["/api", "/api/*"],
    ["/elsewhere", "/*"],
    ["/", "/*"],
  ];
  for (const order of permutations(PRIORITY_TABLE.slice(0, 6)).slice(0, 120)) {
    const m = new RouteMatcher(table([...order, ...PRIORITY_TABLE.slice(6)]));
    for (const [path, want] of cases) assert.equal(winner(m, path), want, `${path} in ${order}`);
  }
});

Deno.test("match() ranks wildcards by literal segments, then segments, with the root last", () => {
  const m = new RouteMatcher(table(["/*", "/a/:x/c/d/*", "/a/b/*", "/:x/*", "/a/*"]));
  assert.equal(winner(m, "/a/b/c/d/e"), "/a/:x/c/d/*"); // 3 literal segments beat 2
  assert.equal(winner(m, "/a/b/z"), "/a/b/*");
  assert.equal(winner(m, "/a/z"), "/a/*");
  assert.equal(winner(m, "/q/z"), "/:x/*"); // one segment beats the root
  assert.equal(winner(m, "/"), "/*");
  assert.deepEqual(m.routes.map((r) => r.pattern), [
    "/a/:x/c/d/*",
    "/a/b/*",
    "/a/*",
    "/:x/*",
    "/*",
  ]);
});

Deno.test("match() breaks param ties from the left: literal before constrained before plain", () => {
  const m = new RouteMatcher(table(["/:a/b/:c", "/x/:b/:c", "/:a(\\w+)/:b/z", "/:a/:b/z"]));
  assert.equal(winner(m, "/x/b/z"), "/x/:b/:c");
  assert.equal(winner(m, "/y/b/q"), "/:a/b/:c");
  assert.equal(winner(m, "/y/b/z"), "/:a(\\w+)/:b/z"); // the first difference decides
  assert.equal(winner(m, "/y/q/z"), "/:a(\\w+)/:b/z");
  assert.equal(winner(m, "/-/q/z"), "/:a/:b/z");
});

Deno.test("match() orders two constraints on one position by their regex source", () => {
  const a = new RouteMatcher(table(["/f/:slug([a-z0-9]+)", "/f/:id(\\d+)"]));
  const b = new RouteMatcher(table(["/f/:id(\\d+)", "/f/:slug([a-z0-9]+)"]));
  // "[a-z0-9]+" < "\\d+" in code-unit order, in both declaration orders.
  assert.equal(winner(a, "/f/12"), "/f/:slug([a-z0-9]+)");
  assert.equal(winner(b, "/f/12"), "/f/:slug([a-z0-9]+)");
  assert.equal(winner(b, "/f/%2b1"), undefined);
});

Deno.test("match() returns decoded params and the encoded wildcard remainder", () => {
  const m = new RouteMatcher(table(["/u/:name/files/*", "/*"]));
  const r = m.match("/u/J%C3%BCrgen/files/a%2Fb/c/", GET)!;
  assert.equal(r.route.pattern, "/u/:name/files/*");
  assert.deepEqual(r.params, { name: "Jürgen" });
  assert.equal(r.remainder, "/a%2Fb/c/");
  assert.equal(m.match("/u/x/files", GET)!.remainder, "");
  assert.equal(m.match("/u/x/files/", GET)!.remainder, "/");
  assert.equal(m.match("/u/%E0%A4%A/files/", GET)!.params.name, "%E0%A4%A");
  assert.equal(m.match("/", GET)!.remainder, "/");
});

Deno.test("match() ignores one trailing slash and never matches empty params", () => {
  const m = new RouteMatcher(table(["/users", "/users/:id"]));
  assert.equal(winner(m, "/users/"), "/users");
  assert.equal(winner(m, "/users/7/"), "/users/:id");
  assert.equal(winner(m, "/users//"), undefined);
  assert.equal(winner(m, "/users/7/x"), undefined);
  assert.equal(winner(m, "/"), undefined);
});

Deno.test("match() applies method and header conditions and falls through when they fail", () => {
  const m = new RouteMatcher<string>([
    { pattern: "/api/*", methods: ["post"], data: "writes" },
    { pattern: "/api/*", headers: { "X-Env": "staging" }, data: "staging" },
    { pattern: "/api/*", headers: { "x-env": "staging", "x-beta": true }, data: "beta" },
    { pattern: "/api/*", data: "reads" },
    { pattern: "/api/admin", methods: ["GET"], data: "admin" },
    { pattern: "/*", headers: { authorization: false }, data: "anonymous" },
  ]);
  const h = (o: Record<string, string>) => ({ method: "GET", headers: new Headers(o) });
  assert.equal(winner(m, "/api/x", { method: "POST" }), "writes");
  assert.equal(winner(m, "/api/x", h({ "x-env": "staging" })), "staging");
  assert.equal(winner(m, "/api/x", h({ "x-env": "staging", "x-beta": "" })), "beta");
  assert.equal(winner(m, "/api/x", h({ "x-env": "prod" })), "reads");
  assert.equal(winner(m, "/api/admin", { method: "HEAD" }), "admin");
  assert.equal(winner(m, "/api/admin", { method: "DELETE" }), "reads");
  assert.equal(winner(m, "/other", h({})), "anonymous");
  assert.equal(winner(m, "/other", h({ authorization: "x" })), undefined);
});

Deno.test("constructor rejects malformed patterns with a coded error naming the pattern", () => {
  const bad = [
    "api",
    "/a//b",
    "/a/*/b",
    "/a/b*",
    "/:1x",
    "/:id(",
    "/:id([)",
    "/:id()",
    "/:id(\\d+)x",
    "/:a/:a",
  ];
  for (const pattern of bad) {
    assert.throws(
      () => new RouteMatcher([{ pattern, data: 0 }]),
      (e: { code?: string; message?: string }) =>
        e.code === "invalid_route_pattern" && e.message!.includes(`"${pattern}"`),
      pattern,
    );
  }
});

Deno.test("constructor rejects two routes equal under the priority rule", () => {
  assert.throws(
    () => new RouteMatcher(table(["/a/:x", "/a/:x/"])),
    (e: { code?: string }) => e.code === "duplicate_route",
  );
  assert.throws(
    () => new RouteMatcher(table(["/a/:x", "/a/:y"])),
    (e: { code?: string }) => e.code === "duplicate_route",
  );
  // Different conditions are not duplicates.
  new RouteMatcher<number>([
    { pattern: "/a", data: 1 },
    { pattern: "/a", methods: ["GET"], data: 2 },
  ]);
});

Deno.test("match() on a large table agrees with a brute-force reference of the rule", () => {
  const patterns: string[] = ["/*"];
  for (let i = 0; i < 20; i++) {
    patterns.push(`/s${i % 4}/e${i}`, `/s${i % 4}/:p${i}/x${i}`, `/s${i % 4}/w${i % 5}/*`);
  }
  const uniq = [...new Set(patterns)];
  const m = new RouteMatcher(table(uniq));
  const paths = ["/s1/e5", "/s1/e6", "/s2/q/x6", "/s2/w3/a/b", "/s3/w9", "/zz", "/s0/w0"];
  for (const p of paths) {
    // Reference: every single-route matcher that matches, lowest rank wins.
    const candidates = m.routes.filter((r) =>
      new RouteMatcher([{ pattern: r.pattern, data: 0 }]).match(p, GET)
    );
    assert.equal(winner(m, p), candidates[0]?.pattern, p);
  }
});

Deno.test("match() respects segment boundaries inside compressed literal chains", () => {
  const m = new RouteMatcher(
    table(["/api/v1/x", "/api/v1/x/:id", "/api/v1x/*", "/api/v1/xy/*", "/api/:v/x"]),
  );
  assert.equal(winner(m, "/api/v1/x"), "/api/v1/x");
  assert.equal(winner(m, "/api/v1/x/7"), "/api/v1/x/:id");
  assert.equal(winner(m, "/api/v1x/a"), "/api/v1x/*");
  assert.equal(winner(m, "/api/v1/xy"), "/api/v1/xy/*");
  assert.equal(winner(m, "/api/v1/xyz"), undefined);
  assert.equal(winner(m, "/api/v2/x"), "/api/:v/x");
  assert.equal(winner(m, "/api/v1/x/7/8"), undefined);
});
