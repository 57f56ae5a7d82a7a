/**
 * The remote client (`@switchyard/core/client`) in a real Chromium: the test
 * bundles `_page.ts` with the client (esbuild from node_modules, checked to
 * hold no server code), serves it with a switchyard server on one origin,
 * and drives headless `/usr/bin/chromium` through playwright-core. Missing
 * Chromium fails the test: run `.ci/browser_deps` first.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { actor, setup, UserError } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { HEADER_ENCODING, parseSocketProtocols } from "../../src/protocol/headers.ts";
import type { Encoding } from "../../src/client/mod.ts";

type Transport = "websocket" | "sse";
import type { Steps } from "./_page.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../../", import.meta.url);
const ESBUILD = new URL("node_modules/.bin/esbuild", ROOT).pathname;
/** Deadline of each browser step and server-side wait. */
const DEADLINE_MS = 20_000;
/** Flags that keep Chromium quiet on a closed network. */
const CHROMIUM_ARGS = ("--no-sandbox --disable-gpu --disable-quic --no-first-run " +
  "--disable-background-networking --disable-component-update --disable-sync").split(" ");
const ESBUILD_ARGS = "--bundle --format=esm --platform=browser --target=es2022 --log-level=warning"
  .split(" ");

/** Connection ids the server saw close (`onDisconnect`), and whoever waits for one. */
const disconnected = new Set<string>();
let onDisconnected = () => {};

const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  onDisconnect: (_c, conn) => {
    disconnected.add(conn.id);
    onDisconnected();
  },
  actions: {
    increment: (c, by: number) => {
      if (!Number.isInteger(by)) {
        throw new UserError("Increment must be an integer", { code: "bad_step", metadata: { by } });
      }
      c.state.count += by;
      c.broadcast("changed", c.state.count);
      return c.state.count;
    },
  },
  onFetch: async (c, request) => {
    const url = new URL(request.url);
    return Response.json({
      method: request.method,
      path: url.pathname,
      search: url.search,
      header: request.headers.get("x-custom"),
      body: await request.text(),
      count: c.state.count,
    }, { headers: { "x-reply": "yes" } });
  },
});

const registry = setup({ use: { counter } });
/** The registry type the page's client is typed with. */
export type BrowserRegistry = typeof registry;

async function waitDisconnected(connId: string): Promise<void> {
  while (!disconnected.has(connId)) await new Promise<void>((r) => (onDisconnected = r));
}

/** Bundles `_page.ts` for the browser; fails when anything but client code got in. */
async function bundlePage(): Promise<{ code: string; inputs: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-browser-" });
  const [out, meta] = [`${dir}/page.js`, `${dir}/meta.json`];
  try {
    const { success, stderr } = await new Deno.Command(ESBUILD, {
      args: ["tests/browser/_page.ts", ...ESBUILD_ARGS, `--outfile=${out}`, `--metafile=${meta}`],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(success, `esbuild failed:\n${new TextDecoder().decode(stderr)}`);
    const { inputs } = JSON.parse(await Deno.readTextFile(meta));
    return { code: await Deno.readTextFile(out), inputs: Object.keys(inputs) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const TYPE = {
  html: { "content-type": "text/html; charset=utf-8" },
  js: { "content-type": "text/javascript; charset=utf-8" },
};
const PAGE_HTML = `<!doctype html>
<meta charset="utf-8">
<title>switchyard remote client</title>
<link rel="icon" href="data:,">
<script type="module" src="/page.js"></script>
`;

/** One line of the server's request log: method, path, upgrade, the encoding asked for. */
function describe(req: Request, pathname: string): string {
  const upgrade = req.headers.get("upgrade") ? " upgrade" : "";
  const encoding = req.headers.get(HEADER_ENCODING) ??
    parseSocketProtocols(req.headers.get("sec-websocket-protocol")).encoding ?? "-";
  return `${req.method} ${pathname}${upgrade} ${encoding}`;
}

/** Settles like `promise`, or rejects once `ms` passed: a lost event fails the test, never hangs it. */
async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one `_page.ts` scenario in the page and returns its result. */
function run<K extends keyof Steps>(
  page: Page,
  step: K,
  ...args: Parameters<Steps[K]>
): Promise<Awaited<ReturnType<Steps[K]>>> {
  type AnySteps = Record<string, (...a: unknown[]) => unknown>;
  const call = page.evaluate(
    ([name, a]) => (globalThis as { switchyardSteps?: AnySteps }).switchyardSteps![name]!(...a),
    [step, args as unknown[]] as const,
  );
  return withDeadline(call as Promise<Awaited<ReturnType<Steps[K]>>>, `Browser step "${step}"`);
}

Deno.test({
  name: "remote client in Chromium: actions, WebSocket and SSE events, raw fetch, dispose",
  sanitizeOps: false, // playwright keeps its pipe to Chromium in the background
  sanitizeResources: false,
  async fn(t) {
    try {
      await Deno.stat(CHROMIUM);
    } catch {
      throw new Error(`Chromium is missing at ${CHROMIUM}: run .ci/browser_deps first`);
    }
    const bundle = await bundlePage();

    await t.step("the bundle holds the client and no server code", () => {
      assert.ok(bundle.inputs.includes("src/client/mod.ts"), bundle.inputs.join(", "));
      const foreign = bundle.inputs.filter((p) =>
        !/^(src\/(client|common|protocol)\/|node_modules\/cbor-x\/|tests\/browser\/_page\.ts$)/
          .test(p)
      );
      assert.deepEqual(foreign, [], "modules outside the client's allowed set");
      assert.doesNotMatch(bundle.code, /\bDeno\./);
      assert.doesNotMatch(bundle.code, /["'`]node:/);
      assert.doesNotMatch(bundle.code, /\brequire\(|\bimport\(|^\s*import\s/m);
    });

    const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
    const requests: string[] = [];
    const listening = Promise.withResolvers<Deno.NetAddr>();
    const http = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
    }, (req) => {
      const { pathname } = new URL(req.url);
      requests.push(describe(req, pathname));
      if (pathname === "/") return new Response(PAGE_HTML, { headers: TYPE.html });
      if (pathname === "/page.js") return new Response(bundle.code, { headers: TYPE.js });
      return server.fetch(req);
    });
    let browser: Browser | undefined;
    const pageErrors: string[] = [];
    try {
      const { port } = await listening.promise;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
      const page = await browser.newPage();
      page.on("pageerror", (err) => pageErrors.push(err.message));
      page.on("console", (msg) => {
        // Chromium logs every 4xx answer, including the coded error the action step expects.
        const text = msg.text();
        if (msg.type() === "error" && !text.startsWith("Failed to load resource")) {
          pageErrors.push(text);
        }
      });
      await page.goto(`http://127.0.0.1:${port}/`); // waits for "load": the module has run
      const loaded = await page.evaluate(() => "switchyardSteps" in globalThis);
      assert.ok(loaded, `the page did not run _page.ts: ${pageErrors.join("; ")}`);

      for (const encoding of ["json", "cbor"] as const) {
        await t.step(`stateless actions over HTTP (${encoding}), coded errors`, async () => {
          const r = await run(page, "action", encoding);
          assert.ok(requests.includes(`POST /actors/actions/increment ${encoding}`));
          assert.equal(r.first, 2);
          assert.equal(r.second, 5);
          assert.match(r.actorId, /\S/);
          assert.deepEqual(r.error, {
            isError: true,
            name: "SwitchyardError",
            code: "bad_step",
            message: "Increment must be an integer",
            metadata: { by: 0.5 },
          });
        });
      }

      const live = [["websocket", "json"], ["sse", "json"], ["websocket", "cbor"], ["sse", "cbor"]];
      for (const [transport, encoding] of live as [Transport, Encoding][]) {
        await t.step(`connect() over ${transport} (${encoding}): events reach on()`, async () => {
          const r = await run(page, "connection", transport, encoding);
          assert.equal(r.status, "open");
          assert.match(r.connId, /\S/);
          assert.equal(r.viaConn, 1);
          assert.equal(r.ownEvent, 1);
          assert.equal(r.viaHttp, 11);
          assert.equal(r.otherEvent, 11);
          assert.deepEqual(r.seen, [1, 11]);
          const expected = transport === "websocket"
            ? [`GET /actors/connect/websocket upgrade ${encoding}`]
            : [`GET /actors/connect/sse ${encoding}`, `POST /actors/message ${encoding}`];
          for (const line of expected) assert.ok(requests.includes(line), `no "${line}"`);
        });
      }

      await t.step("raw fetch reaches onFetch", async () => {
        const r = await run(page, "rawFetch");
        assert.equal(r.status, 200);
        assert.equal(r.reply, "yes");
        assert.deepEqual(r.body, {
          method: "POST",
          path: "/echo",
          search: "?x=1",
          header: "from-browser",
          body: "héllo",
          count: 0,
        });
      });

      await t.step("dispose() closes the connection for good", async () => {
        const r = await run(page, "dispose");
        assert.equal(r.status, "closed");
        assert.equal(r.closeCode, 1000);
        assert.equal(r.clean, true);
        assert.equal(r.after?.code, "connection_closed");
        await withDeadline(waitDisconnected(r.connId), "Server-side onDisconnect");
      });

      assert.deepEqual(pageErrors, [], "errors in the page");
    } finally {
      try {
        await browser?.close();
      } finally {
        await http.shutdown().finally(() => server.shutdown());
      }
    }
  },
});
