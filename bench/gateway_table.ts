/**
 * The benchmark route table (200 routes: 60 exact, 80 with params, 59
 * wildcards and the root) and a skewed mix of 10,000 paths over it.
 */

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 200 patterns. */
export function benchPatterns(): string[] {
  const p: string[] = [];
  for (let i = 0; i < 60; i++) {
    p.push(
      i % 3 === 0
        ? `/page${i}`
        : i % 3 === 1
        ? `/api/v1/svc${i % 12}/info${i}`
        : `/docs/section${i % 7}/chapter${i}`,
    );
  }
  for (let i = 0; i < 80; i++) {
    p.push(
      i % 4 === 0
        ? `/api/v${i % 3}/items${i}/:id`
        : i % 4 === 1
        ? `/api/v1/users${i}/:id(\\d+)`
        : i % 4 === 2
        ? `/api/v2/org${i}/:org/repos/:repo`
        : `/shop/cat${i}/:slug`,
    );
  }
  for (let i = 0; i < 59; i++) {
    p.push(
      i % 3 === 0 ? `/files/bucket${i}/*` : i % 3 === 1 ? `/api/v1/svc${i}/*` : `/assets/a${i}/*`,
    );
  }
  p.push("/*");
  return [...new Set(p)];
}

function instantiate(pattern: string, rnd: () => number): string {
  const n = () => String(Math.floor(rnd() * 100_000));
  let path = pattern
    .replace(/:[a-z]+\(\\\\d\+\)/g, n)
    .replace(/:[a-z]+/g, () => (rnd() < 0.5 ? n() : `w${n()}`));
  if (path.endsWith("/*")) {
    const depth = 1 + Math.floor(rnd() * 3);
    const rest = Array.from({ length: depth }, () => `r${n()}`).join("/");
    path = path.slice(0, -1) + rest;
  }
  return path;
}

/** 10,000 paths, Zipf-skewed over the routes (a few routes get most traffic). */
export function benchPaths(patterns: string[], count = 10_000, seed = 42): string[] {
  const rnd = prng(seed);
  const order = patterns.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const weights = order.map((_, r) => 1 / (r + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const paths: string[] = [];
  for (let k = 0; k < count; k++) {
    let x = rnd() * total;
    let i = 0;
    while (x > weights[i]! && i < weights.length - 1) x -= weights[i++]!;
    paths.push(instantiate(order[i]!, rnd));
  }
  return paths;
}
