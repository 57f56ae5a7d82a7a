import assert from "node:assert/strict";
import { deadlines } from "../../src/common/deadlines.ts";
import { UserError } from "../../src/common/errors.ts";
import { type DeadLetter, MessageRouter } from "../../src/messaging/mod.ts";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, String(err));
    return;
  }
  assert.fail(`Expected "${code}"`);
}

Deno.test("send() is acknowledged when enqueued and delivered with the sender", async () => {
  const router = new MessageRouter();
  const got = deferred<[unknown, string]>();
  let ran = false;
  router.register("a", {
    onMessage: (data, from) => {
      ran = true;
      got.resolve([data, from]);
    },
  });
  router.send("a", { n: 1 }, { from: "b" });
  assert.equal(ran, false, "the handler does not run on the sender's stack");
  assert.deepEqual(await got.promise, [{ n: 1 }, "b"]);
});

Deno.test("messages from one sender arrive in the order sent", async () => {
  const router = new MessageRouter();
  const seen: Record<string, number[]> = { x: [], y: [] };
  const done = deferred();
  let total = 0;
  router.register("a", {
    onMessage: async (data, from) => {
      if ((data as number) % 7 === 0) await Promise.resolve();
      seen[from]!.push(data as number);
      if (++total === 400) done.resolve();
    },
  });
  for (let i = 0; i < 200; i++) {
    router.send("a", i, { from: "x" });
    router.send("a", i, { from: "y" });
  }
  await done.promise;
  const expected = Array.from({ length: 200 }, (_, i) => i);
  assert.deepEqual(seen.x, expected);
  assert.deepEqual(seen.y, expected);
});

Deno.test("an unknown target fails with actor_not_found", async () => {
  const router = new MessageRouter();
  await rejectsWith(() => router.send("ghost", 1), "actor_not_found");
  await rejectsWith(router.request("ghost", 1), "actor_not_found");
  await rejectsWith(router.openChannel("me", "ghost"), "actor_not_found");
});

Deno.test("a full mailbox fails the sender with mailbox_full at once, nobody waits", async () => {
  const router = new MessageRouter({ mailboxCapacity: 4 });
  const stall = deferred();
  router.register("slow", { onMessage: () => stall.promise, onRequest: () => 1 });
  router.register("fast", { onRequest: (d) => d });
  router.send("slow", 0); // taken by the handler, which stalls
  await Promise.resolve();
  for (let i = 1; i <= 4; i++) router.send("slow", i);
  await rejectsWith(() => router.send("slow", 5), "mailbox_full");
  await rejectsWith(router.request("slow", 5), "mailbox_full");
  await rejectsWith(router.openChannel("me", "slow"), "mailbox_full");
  assert.equal(await router.request("fast", "still here"), "still here");
  stall.resolve();
});

Deno.test("send() never throws: a full mailbox or unknown target rejects its promise", async () => {
  const router = new MessageRouter({ mailboxCapacity: 1 });
  const stall = deferred();
  router.register("slow", { onMessage: () => stall.promise });
  router.send("slow", 0); // taken by the handler, which stalls
  await Promise.resolve();
  router.send("slow", 1); // fills the mailbox
  // What a caller writes when it does not await: the refusal reaches .catch, nothing throws.
  const codes: string[] = [];
  const caught = [
    router.send("slow", 2).catch((e) => void codes.push(e.code)),
    router.send("ghost", 3).catch((e) => void codes.push(e.code)),
    router.participant("me").send("slow", 4).catch((e) => void codes.push(e.code)),
    router.send("slow", 5, { from: 7 as unknown as string }).catch((e) => void codes.push(e.name)),
  ];
  await Promise.all(caught);
  assert.deepEqual(codes, ["mailbox_full", "actor_not_found", "mailbox_full", "TypeError"]);
  router.send("slow", 6); // a refused send that nobody listens to is no unhandled rejection
  stall.resolve();
});

Deno.test("requests reply with values, promises and coded errors", async () => {
  const router = new MessageRouter();
  router.register("a", {
    onRequest: (data, from) => {
      if (data === "async") return Promise.resolve(`async:${from}`);
      if (data === "boom") throw new Error("secret detail");
      if (data === "user") throw new UserError("Too low", { code: "too_low" });
      if (data === "reject") return Promise.reject(new Error("no"));
      return data;
    },
  });
  router.register("mute", {});
  assert.equal(await router.request("a", 5), 5);
  assert.equal(await router.request("a", "async", { from: "me" }), "async:me");
  await rejectsWith(router.request("a", "boom"), "handler_failed");
  await rejectsWith(router.request("a", "reject"), "handler_failed");
  await rejectsWith(router.request("a", "user"), "too_low");
  await rejectsWith(router.request("mute", 1), "handler_failed");
  try {
    await router.request("a", "boom");
  } catch (err) {
    assert.doesNotMatch((err as Error).message, /secret/);
    assert.equal(((err as Error).cause as Error).message, "secret detail");
  }
});

Deno.test("a request times out with request_timed_out and a queued one never runs", async () => {
  const router = new MessageRouter();
  const stall = deferred();
  let ran = 0;
  router.register("a", {
    onRequest: (data) => {
      ran++;
      return data === "stall" ? stall.promise : data;
    },
  });
  const first = router.request("a", "stall", { timeout: 20 });
  const queued = router.request("a", "queued", { timeout: 10 });
  await rejectsWith(queued, "request_timed_out");
  await rejectsWith(first, "request_timed_out");
  stall.resolve();
  await router.request("a", "after");
  assert.equal(ran, 2, "the request that timed out while queued was skipped");
  assert.equal(deadlines.size, 0);
});

Deno.test("request deadlines share one timer", async () => {
  const router = new MessageRouter();
  router.register("a", { onRequest: (d) => d });
  const original = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return original(...args);
  }) as typeof setTimeout;
  try {
    const all = [];
    for (let i = 0; i < 1000; i++) all.push(router.request("a", i, { timeout: 1000 }));
    await Promise.all(all);
  } finally {
    globalThis.setTimeout = original;
  }
  assert.ok(timers <= 1, `${timers} timers armed for 1000 requests`);
  assert.equal(deadlines.size, 0);
});

Deno.test("one-way messages that fail or are lost reach the dead-letter hook", async () => {
  const letters: DeadLetter[] = [];
  const router = new MessageRouter({ onDeadLetter: (l) => letters.push(l) });
  const stall = deferred();
  const stalled = deferred();
  router.register("a", {
    onMessage: (data) => {
      if (data === "boom") throw new Error("boom");
      if (data !== "stall") return undefined;
      stalled.resolve();
      return stall.promise;
    },
  });
  router.register("mute", {});
  router.send("a", "boom", { from: "me" });
  router.send("mute", "hello");
  router.send("a", "stall");
  router.send("a", "queued");
  await stalled.promise;
  router.unregister("a");
  assert.deepEqual(
    letters.map((l) => [l.target, l.data, l.error.code]),
    [["a", "boom", "handler_failed"], ["mute", "hello", "handler_failed"], [
      "a",
      "queued",
      "actor_stopped",
    ]],
  );
  assert.equal(letters[0]!.from, "me");
  stall.resolve();
});

Deno.test("async handlers run one at a time per actor unless serial is false", async () => {
  const router = new MessageRouter();
  let active = 0;
  let peak = 0;
  const handler = async () => {
    peak = Math.max(peak, ++active);
    await new Promise((r) => setTimeout(r, 1));
    active--;
    return peak;
  };
  router.register("serial", { onRequest: handler });
  await Promise.all([1, 2, 3, 4].map((i) => router.request("serial", i)));
  assert.equal(peak, 1);
  peak = 0;
  router.register("forwarder", { onRequest: handler }, { serial: false });
  await Promise.all([1, 2, 3, 4].map((i) => router.request("forwarder", i)));
  assert.equal(peak, 4);
});

Deno.test("stopping an actor fails its queued and running requests with actor_stopped", async () => {
  const router = new MessageRouter();
  const started = deferred();
  router.register("a", {
    onRequest: () => {
      started.resolve();
      return new Promise(() => {});
    },
  });
  const running = router.request("a", 1);
  const queued = router.request("a", 2);
  await started.promise;
  assert.equal(router.unregister("a"), true);
  await rejectsWith(running, "actor_stopped");
  await rejectsWith(queued, "actor_stopped");
  assert.equal(router.unregister("a"), false);
  await rejectsWith(router.request("a", 3), "actor_not_found");
});

Deno.test("resolve wakes an unregistered actor while its messages wait in order", async () => {
  const woke = deferred();
  const seen: unknown[] = [];
  const router = new MessageRouter({
    mailboxCapacity: 3,
    resolve: async (target) => {
      if (target !== "sleeper") return null;
      await woke.promise;
      return { onMessage: (d) => void seen.push(d), onRequest: (d) => d };
    },
  });
  router.register("awake", { onRequest: (d) => d });
  router.send("sleeper", 1);
  router.send("sleeper", 2);
  const reply = router.request("sleeper", "r");
  await rejectsWith(() => router.send("sleeper", 4), "mailbox_full");
  assert.equal(await router.request("awake", "not stalled"), "not stalled");
  assert.equal(router.has("sleeper"), false);
  woke.resolve();
  assert.equal(await reply, "r");
  assert.deepEqual(seen, [1, 2]);
  assert.equal(router.has("sleeper"), true);
});

Deno.test("resolve returning null fails with actor_not_found and dead-letters sends", async () => {
  const letters: DeadLetter[] = [];
  const router = new MessageRouter({
    onDeadLetter: (l) => letters.push(l),
    resolve: (target) => target === "sync-null" ? null : Promise.resolve(null),
  });
  await rejectsWith(() => router.send("sync-null", 1), "actor_not_found");
  router.send("async-null", 1);
  await rejectsWith(router.request("async-null", 2), "actor_not_found");
  assert.deepEqual(letters.map((l) => [l.target, l.error.code]), [[
    "async-null",
    "actor_not_found",
  ]]);
});

Deno.test("send to an id that turns out not to exist rejects with actor_not_found", async () => {
  const letters: DeadLetter[] = [];
  const woke = deferred<boolean>();
  const router = new MessageRouter({
    onDeadLetter: (l) => letters.push(l),
    resolve: async (target) => {
      if (target !== "sleeper") return null;
      await woke.promise;
      return { onMessage: () => {} };
    },
  });
  router.register("awake", { onMessage: () => {} });
  // A registered target: accepted, and the promise is already settled.
  let settled = false;
  void router.send("awake", 1).then(() => (settled = true));
  await Promise.resolve();
  assert.equal(settled, true);
  // An unknown id: the send is accepted (enqueued while the id is resolved),
  // then fails to the sender and, as an accepted message, goes to the dead letters.
  await rejectsWith(router.send("ghost", 1, { from: "me" }), "actor_not_found");
  assert.deepEqual(letters.map((l) => [l.target, l.from, l.data, l.error.code]), [[
    "ghost",
    "me",
    1,
    "actor_not_found",
  ]]);
  // Ignoring the promise is safe: no unhandled rejection.
  router.send("ghost", 2);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(letters.length, 2);
  // A target that is woken: resolves once it is registered.
  const sent = router.send("sleeper", 3);
  woke.resolve(true);
  await sent;
  assert.equal(router.has("sleeper"), true);
  // Through a participant facade, as in an actor's `c.messages`.
  await rejectsWith(router.participant("me").send("ghost", 4), "actor_not_found");
});

Deno.test("a resolver may register the woken actor itself", async () => {
  const router: MessageRouter = new MessageRouter({
    resolve: async (target) => {
      await Promise.resolve();
      router.register(target, { onRequest: () => `I am ${target}` });
      return null;
    },
  });
  assert.equal(await router.request("lazy", 0), "I am lazy");
});

Deno.test("participant() binds the sender and initiator", async () => {
  const router = new MessageRouter();
  router.register("a", {
    onRequest: (_d, from) => from,
    onChannelOpen: (ch, initial) => ch.peer === "me" && initial === "hi",
  });
  const me = router.participant("me");
  assert.equal(me.id, "me");
  assert.equal(await me.request("a", 0, { timeout: 1000 }), "me");
  const ch = await me.openChannel("a", "hi");
  assert.equal(ch.self, "me");
  assert.equal(ch.peer, "a");
  ch.close();
});

Deno.test("register and the constructor reject bad arguments", () => {
  const router = new MessageRouter();
  router.register("a", {});
  assert.throws(() => router.register("a", {}), TypeError);
  assert.throws(() => new MessageRouter({ mailboxCapacity: 0 }), RangeError);
  assert.throws(() => new MessageRouter({ defaultTimeout: -1 }), RangeError);
});
