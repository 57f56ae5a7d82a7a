/**
 * The demo (`npm run demo`) end to end: `examples/demo_server.ts` runs as a
 * child process on a free port, two users open its page in headless
 * Chromium (`/usr/bin/chromium`, through playwright-core) and use the
 * counter, the chat room, direct messages and the gateway; the server is
 * restarted on the same port and both pages reconnect by themselves. Bad
 * input (oversize messages, HTML in names and messages, bursts of clicks)
 * is refused with a code or handled, never breaking the page or the server.
 * A screenshot of a page is saved to `.artifacts/demo.png`.
 *
 * With a persistent driver (the demo prints `driver: ... (persistent ...)`)
 * the test also checks that the counter and the chat survive the restart.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type DemoProcess, startDemo } from "./demo_process.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../../", import.meta.url);
/** Deadline of each wait in the page and of the demo's start. */
const DEADLINE_MS = 20_000;
const CHROMIUM_ARGS = ("--no-sandbox --disable-gpu --disable-quic --no-first-run " +
  "--disable-background-networking --disable-component-update --disable-sync").split(" ");
const LINKS = ["status-counter", "status-chat", "status-messages"];
const XSS_NAME = `<img src=x onerror="window.pwned=1">`;
const XSS_TEXT = `<b>bold</b><script>window.pwned=2</script><img src=y onerror="window.pwned=3">`;

/** An element, as the functions this test runs in the page see it. */
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
  click(): void;
}
/** The page's document (this file is type-checked without the DOM library). */
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  addEventListener(
    type: "securitypolicyviolation",
    listener: (e: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
};

/** A user's page and what went wrong in it. */
interface User {
  name: string;
  context: BrowserContext;
  page: Page;
  errors: string[];
}

async function openUser(browser: Browser, base: string, name: string): Promise<User> {
  const context = await browser.newContext();
  // Records Content-Security-Policy violations: escaped input causes none. The CBOR decoder
  // (cbor-x) probes once at load whether it may compile code (`new Function`) and, refused by
  // the page's policy, decodes without it: that probe is the one `eval` report left out.
  await context.addInitScript(() => {
    const w = globalThis as unknown as { violations: string[] };
    w.violations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      if (e.blockedURI === "eval") return;
      w.violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(`${base}/?name=${encodeURIComponent(name)}`);
  return { name, context, page, errors };
}

function wait<A>(page: Page, fn: (arg: A) => boolean, arg: A): Promise<unknown> {
  return page.waitForFunction(fn as (arg: unknown) => boolean, arg, { timeout: DEADLINE_MS });
}

/** Waits until every live link of the page shows `state`. */
function linksAre(user: User, state: string): Promise<unknown> {
  return wait(
    user.page,
    ([ids, s]) => ids.every((id) => document.getElementById(id)?.dataset.state === s),
    [LINKS, state] as const,
  );
}

function countIs(user: User, n: number): Promise<unknown> {
  return wait(user.page, (v) => {
    const out = document.getElementById("count")!;
    return out.textContent === String(v) && out.dataset.pending === "0";
  }, n);
}

async function shownCount(user: User): Promise<number> {
  await wait(user.page, () => /^\d+$/.test(document.getElementById("count")!.textContent!), 0);
  return Number(await user.page.textContent("#count"));
}

/** Waits until a log (`chat-log` or `dm-log`) shows a line `from` + `text`. */
function lineShown(user: User, log: string, from: string, text: string): Promise<unknown> {
  return wait(
    user.page,
    ([id, f, t]) =>
      [...document.querySelectorAll(`#${id} li`)].some((li) =>
        li.querySelector(".from")?.textContent === f && li.querySelector(".text")?.textContent === t
      ),
    [log, from, text] as const,
  );
}

function errorCode(user: User, id: string, code: string): Promise<unknown> {
  return wait(
    user.page,
    ([i, c]) => document.getElementById(i)?.dataset.code === c,
    [id, code] as const,
  );
}

async function chat(user: User, text: string): Promise<void> {
  await user.page.fill("#chat-text", text);
  await user.page.click("#chat-send");
}

async function direct(user: User, to: string, text: string): Promise<void> {
  await user.page.fill("#dm-to", to);
  await user.page.fill("#dm-text", text);
  await user.page.click("#dm-send");
}

/** The counter's value as the server sees it, over HTTP. */
async function serverCount(base: string): Promise<number> {
  const res = await fetch(`${base}/actors/actions/get`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-sy-query": JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["demo"] } }),
    },
    body: JSON.stringify({ args: [] }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { output: number }).output;
}

Deno.test({
  name: "demo in Chromium: two users, live counter, chat, direct messages, gateway, restart",
  sanitizeOps: false, // playwright keeps its pipe to Chromium in the background
  sanitizeResources: false,
  async fn(t) {
    try {
      await Deno.stat(CHROMIUM);
    } catch {
      throw new Error(`Chromium is missing at ${CHROMIUM}: run .ci/browser_deps first`);
    }
    const stateDir = await Deno.makeTempDir({ prefix: "switchyard-demo-state-" });
    const args = [`--state-file=${stateDir}/demo.kv`];
    let demo: DemoProcess | undefined = await startDemo({ port: 0, args, deadline: DEADLINE_MS });
    const base = demo.url;
    let browser: Browser | undefined;
    try {
      await t.step(
        "the page and its module are served with their types and a strict CSP",
        async () => {
          for (const [path, type] of [["/", "text/html"], ["/app.js", "text/javascript"]]) {
            const res = await fetch(`${base}${path}`);
            assert.equal(res.status, 200);
            assert.match(res.headers.get("content-type")!, new RegExp(`^${type};`));
            const csp = res.headers.get("content-security-policy")!;
            assert.match(csp, /default-src 'none'/);
            assert.match(csp, /script-src 'self'(;|$)/);
            assert.equal(res.headers.get("x-content-type-options"), "nosniff");
            const body = await res.text();
            if (path === "/app.js") assert.doesNotMatch(body, /\bDeno\.|["'`]node:/);
          }
          const missing = await fetch(`${base}/no-such-page`);
          assert.equal(missing.status, 404);
          assert.equal(((await missing.json()) as { code: string }).code, "not_found");
        },
      );

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      });
      const alice = await openUser(browser, base, "alice");
      const bob = await openUser(browser, base, "bob");
      const users = [alice, bob];

      await t.step("both pages show their connections open and the driver in use", async () => {
        for (const u of users) await linksAre(u, "open");
        const persistence = demo!.persistent ? "state survives a restart" : "nothing persists";
        await wait(
          alice.page,
          (p) => document.getElementById("driver")!.textContent!.includes(p),
          persistence,
        );
      });

      await t.step("a counter incremented in one page is seen in the other", async () => {
        const before = await shownCount(bob);
        await alice.page.click("#increment");
        await countIs(bob, before + 1);
        await countIs(alice, before + 1);
      });

      await t.step("two pages chat in the room and see each other as members", async () => {
        await chat(alice, "hello bob");
        await lineShown(bob, "chat-log", "alice", "hello bob");
        await chat(bob, "hi alice");
        await lineShown(alice, "chat-log", "bob", "hi alice");
        await wait(
          alice.page,
          () => document.getElementById("members")!.textContent === "alice, bob",
          0,
        );
      });

      await t.step(
        "a direct message reaches only its recipient, over the message router",
        async () => {
          await direct(alice, "bob", "a secret for bob");
          await lineShown(bob, "dm-log", "from alice", "a secret for bob");
          await lineShown(alice, "dm-log", "to bob", "a secret for bob");
        },
      );

      await t.step("the gateway shows its routes and proxies to the upstream", async () => {
        const rows = await alice.page.$$eval("#routes tbody tr", (trs) => trs.length);
        assert.equal(rows, 4);
        await alice.page.click('button[data-path="/gw/hello"]');
        await wait(
          alice.page,
          () => document.getElementById("gateway-result")!.dataset.status === "200",
          0,
        );
        assert.match(
          await alice.page.textContent("#gateway-result") ?? "",
          /Hello from the upstream/,
        );
        await alice.page.click('button[data-path="/gw/api/files%2F..%2Fsecret"]');
        await wait(
          alice.page,
          () => document.getElementById("gateway-result")!.dataset.status === "400",
          0,
        );
        assert.match(await alice.page.textContent("#gateway-result") ?? "", /"code":"path_escape"/);
      });

      await t.step(
        "an oversize chat message shows a coded error and the chat goes on",
        async () => {
          await chat(alice, "x".repeat(5_000));
          await errorCode(alice, "chat-error", "invalid_message");
          await chat(alice, "y".repeat(100_000));
          await errorCode(alice, "chat-error", "message_too_large");
          await direct(alice, "bob", "z".repeat(5_000));
          await errorCode(alice, "dm-error", "invalid_message");
          await chat(alice, "still here");
          await lineShown(bob, "chat-log", "alice", "still here");
          await errorCode(alice, "chat-error", "");
          const seen = await alice.page.getAttribute("#status-chat", "data-seen");
          assert.equal(seen, "connecting open", "the chat connection never dropped");
        },
      );

      await t.step(
        "an oversize request body gets 413 body_too_large and the demo keeps serving",
        async () => {
          const res = await fetch(`${base}/actors/actions/send`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-sy-query": JSON.stringify({
                getOrCreateForKey: { name: "chatRoom", key: ["lobby"] },
              }),
            },
            body: JSON.stringify({ args: ["w".repeat(2 * 1024 * 1024)] }),
          });
          assert.equal(res.status, 413);
          assert.equal(((await res.json()) as { code: string }).code, "body_too_large");
          assert.equal(typeof (await serverCount(base)), "number");
        },
      );

      await t.step("HTML in a name and in messages is shown as text and runs nothing", async () => {
        const mallory = await openUser(browser!, base, XSS_NAME);
        users.push(mallory);
        await linksAre(mallory, "open");
        await chat(mallory, XSS_TEXT);
        await direct(mallory, "alice", XSS_TEXT);
        await lineShown(alice, "chat-log", XSS_NAME, XSS_TEXT);
        await lineShown(alice, "dm-log", `from ${XSS_NAME}`, XSS_TEXT);
        await wait(
          alice.page,
          (n) => document.getElementById("members")!.textContent!.includes(n),
          XSS_NAME,
        );
        for (const u of users) {
          const r = await u.page.evaluate(() => ({
            injected: document.querySelectorAll("main img, main script, main b").length,
            pwned: (globalThis as { pwned?: unknown }).pwned ?? null,
            violations: (globalThis as unknown as { violations: string[] }).violations,
          }));
          assert.deepEqual(r, { injected: 0, pwned: null, violations: [] }, u.name);
        }
      });

      await t.step("100 fast clicks are all counted, none lost or doubled", async () => {
        const start = await serverCount(base);
        await alice.page.evaluate(() => {
          const button = document.getElementById("increment")!;
          for (let i = 0; i < 100; i++) button.click();
        });
        await countIs(alice, start + 100);
        await countIs(bob, start + 100);
        assert.equal(await serverCount(base), start + 100);
      });

      await t.step(
        "after a server restart on the same port both pages reconnect by themselves",
        async () => {
          const count = await serverCount(base);
          const port = demo!.port;
          assert.equal(await demo!.stop(), 0, "the demo stops cleanly on SIGTERM");
          demo = undefined;
          for (const u of [alice, bob]) await linksAre(u, "reconnecting");
          demo = await startDemo({ port, args, deadline: DEADLINE_MS });
          assert.equal(demo.url, base);
          for (const u of [alice, bob]) await linksAre(u, "open");
          // With a persistent driver the state survives; with the memory driver it starts afresh.
          const expected = demo.persistent ? count : 0;
          await countIs(alice, expected);
          await countIs(bob, expected);
          if (demo.persistent) await lineShown(bob, "chat-log", "alice", "still here");
          else {await wait(
              bob.page,
              () => document.querySelectorAll("#chat-log li").length === 0,
              0,
            );}
          await alice.page.click("#increment");
          await countIs(bob, expected + 1);
          await chat(bob, "back again");
          await lineShown(alice, "chat-log", "bob", "back again");
          await direct(bob, "alice", "after the restart");
          await lineShown(alice, "dm-log", "from bob", "after the restart");
        },
      );

      await t.step("a screenshot of the page is saved as a test artifact", async () => {
        const dir = new URL(".artifacts/", ROOT);
        await Deno.mkdir(dir, { recursive: true });
        const path = new URL("demo.png", dir).pathname;
        await alice.page.screenshot({ path, fullPage: true });
        assert.ok((await Deno.stat(path)).size > 10_000);
      });

      for (const u of users) assert.deepEqual(u.errors, [], `errors in ${u.name}'s page`);
    } finally {
      try {
        await browser?.close();
      } finally {
        await demo?.stop();
        await Deno.remove(stateDir, { recursive: true });
      }
    }
  },
});
