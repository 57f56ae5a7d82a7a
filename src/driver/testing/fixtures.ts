/**
 * The actors of the driver conformance suite: one registry with every test
 * actor. No timers are used to synchronise: slow actions wait on promises
 * that a later action releases.
 *
 * @module
 */
import { z } from "zod";
import { actor } from "../../actor/definition.ts";
import { UserError } from "../../common/errors.ts";
import { setup } from "../../registry/registry.ts";

/** Public counter with events. */
export const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  actions: {
    increment: (c, by: number) => {
      c.state.count += by;
      c.broadcast("changed", c.state.count);
      return c.state.count;
    },
    getCount: (c) => c.state.count,
    echo: (_c, value: unknown) => value,
    add: {
      args: z.tuple([z.number(), z.number()]),
      handler: (_c, a: number, b: number) => a + b,
    },
    whoAmI: (c) => ({ actorId: c.actorId, name: c.name, key: c.key, conn: c.conn?.id ?? null }),
  },
});

/** Actor created with input, recording its lifecycle hooks in its state. */
export const lifecycle = actor({
  onAuth: () => {},
  createState: (_c, input: { label: string } | undefined) => ({
    label: input?.label ?? "none",
    log: [] as string[],
    changes: 0,
  }),
  createVars: () => ({ calls: 0, stateChanges: 0 }),
  onCreate: (c, input) => {
    c.state.log.push(`create:${(input as { label?: string } | undefined)?.label ?? "none"}`);
  },
  onStart: (c) => {
    c.state.log.push("start");
  },
  onWake: (c) => {
    c.state.log.push("wake");
  },
  onSleep: (c) => {
    c.state.log.push("sleep");
  },
  onStateChange: (c) => {
    // Writing state here would recurse: count in vars instead.
    c.vars.stateChanges++;
  },
  actions: {
    getState: (c) => ({ label: c.state.label, log: c.state.log, input: c.input ?? null }),
    bumpVars: (c) => ++c.vars.calls,
    getVars: (c) => c.vars.calls,
    stateChanges: (c) => c.vars.stateChanges,
    rename: (c, label: string) => {
      c.state.label = label;
      return label;
    },
    goToSleep: (c) => {
      c.sleep();
      return true;
    },
  },
});

/** Errors of every kind, and actions that never finish until released. */
export const failing = actor({
  onAuth: () => {},
  createVars: () => ({ waiting: [] as Array<() => void> }),
  actions: {
    userError: (_c, code: string, metadata: unknown) => {
      throw new UserError("Custom failure", { code, metadata });
    },
    internalError: () => {
      throw new Error("secret internal detail");
    },
    hang: (c) => new Promise<string>((resolve) => c.vars.waiting.push(() => resolve("released"))),
    release: (c) => {
      const n = c.vars.waiting.length;
      for (const r of c.vars.waiting.splice(0)) r();
      return n;
    },
  },
  options: { actionTimeout: 150 },
});

/** Events to connections: broadcast, one connection, many in a row. */
export const chat = actor({
  onAuth: () => {},
  state: { messages: [] as string[] },
  createConnState: (_c, { params }) => ({
    name: (params as { name?: string } | undefined)?.name ?? "anon",
    bumps: 0,
  }),
  onBeforeConnect: (_c, { params }) => {
    if ((params as { reject?: boolean } | undefined)?.reject) {
      throw new UserError("Connection refused", { code: "refused_by_actor", status: 403 });
    }
  },
  onConnect: (c, conn) => {
    c.broadcast("joined", conn.id);
    conn.send("welcome", conn.state.name);
  },
  onDisconnect: (c, conn) => {
    c.broadcast("left", conn.id);
  },
  actions: {
    say: (c, text: string) => {
      c.state.messages.push(text);
      c.broadcast("message", text);
      return c.state.messages.length;
    },
    emitMany: (c, name: string, count: number) => {
      for (let i = 1; i <= count; i++) c.broadcast(name, i);
      return count;
    },
    emitThen: (c, name: string, marker: string) => {
      c.broadcast(name, "first");
      c.broadcast(marker, "done");
    },
    sendTo: (c, connId: string, name: string, value: unknown) => {
      const conn = c.conns.get(connId);
      if (!conn) throw new UserError("No such connection", { code: "no_conn" });
      conn.send(name, value);
      return true;
    },
    connInfo: (c) => ({
      id: c.conn?.id ?? null,
      params: c.conn?.params ?? null,
      state: c.conn?.state ?? null,
    }),
    bump: (c) => (c.conn ? ++c.conn.state.bumps : -1),
    kickMe: (c) => {
      c.conn?.disconnect("kicked");
      return true;
    },
    hang: () => new Promise<never>(() => {}),
  },
});

/** Like `chat` with a tiny replay buffer, to provoke gaps. */
export const smallBuffer = actor({
  onAuth: () => {},
  actions: {
    emitMany: (c, name: string, count: number) => {
      for (let i = 1; i <= count; i++) c.broadcast(name, i);
      return count;
    },
  },
  options: { eventBufferSize: 3 },
});

/** Dropped connections end at once (no reconnect window). */
export const noWindow = actor({
  onAuth: () => {},
  onDisconnect: (c, conn) => {
    c.broadcast("left", conn.id);
  },
  actions: {
    ping: () => "pong",
  },
  options: { reconnectWindow: 0 },
});

/** Auth: params or a bearer header allow, anything else is denied. */
export const guarded = actor({
  onAuth: ({ request, intents }, params: { token?: string; deny?: "false" } | undefined) => {
    if (params?.deny === "false") return false;
    const header = request.headers.get("authorization");
    if (params?.token === "letmein" || header === "Bearer letmein") {
      return { user: "alice", intents: [...intents].sort() };
    }
    throw new UserError("Access denied", { code: "forbidden", status: 403 });
  },
  createConnState: (_c: unknown, { auth }: { auth: unknown }) => ({
    authAtConnect: auth ?? null,
  }),
  actions: {
    whoAmI: (c) => c.auth ?? null,
    connAuth: (c) => c.conn?.state ?? null,
  },
});

/** No `onAuth`: reachable only from the inline client. */
export const internal = actor({
  actions: { ping: () => "pong" },
});

/** Raw HTTP. */
export const http = actor({
  onAuth: () => {},
  state: { hits: 0 },
  onFetch: async (c, request) => {
    c.state.hits++;
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo": {
        const body = new Uint8Array(await request.arrayBuffer());
        return Response.json({
          method: request.method,
          path: url.pathname,
          search: url.search,
          header: request.headers.get("x-custom"),
          body: new TextDecoder().decode(body),
          length: body.length,
        }, { headers: { "x-reply": "yes" } });
      }
      case "/binary": {
        const body = new Uint8Array(await request.arrayBuffer());
        return new Response(body.reverse(), {
          headers: { "content-type": "application/octet-stream" },
        });
      }
      case "/stream": {
        const parts = ["one ", "two ", "three"];
        const stream = new ReadableStream<Uint8Array>({
          pull(ctl) {
            const p = parts.shift();
            if (p === undefined) ctl.close();
            else ctl.enqueue(new TextEncoder().encode(p));
          },
        });
        return new Response(stream, { status: 206 });
      }
      case "/nothing":
        return undefined as unknown as Response;
      default:
        return new Response("missing", { status: 404 });
    }
  },
  actions: { hits: (c) => c.state.hits },
});

/** No `onFetch`, no `onWebSocket`. */
export const plain = actor({
  onAuth: () => {},
  actions: { ping: () => "pong" },
});

/** Raw WebSocket: echoes text as `echo:…`, reverses binary, closes on "close". */
export const sockets = actor({
  onAuth: () => {},
  onWebSocket: (_c, socket, { request }) => {
    const url = new URL(request.url);
    socket.send(`hello ${url.pathname}${url.search}`);
    socket.addEventListener("message", (ev) => {
      const data = ev.data;
      if (typeof data === "string") {
        if (data === "close") socket.close(4321, "bye");
        else socket.send(`echo:${data}`);
        return;
      }
      const bytes = data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array((data as Uint8Array).slice());
      socket.send(bytes.slice().reverse());
    });
  },
  actions: { ping: () => "pong" },
});

/** Scheduled actions. */
export const scheduler = actor({
  onAuth: () => {},
  state: { ticks: [] as string[] },
  actions: {
    tickLater: async (c, ms: number, label: string) => {
      await c.schedule.after(ms, "tick", label);
      return true;
    },
    tickAt: async (c, at: number, label: string) => {
      await c.schedule.at(at, "tick", label);
      return true;
    },
    tick: (c, label: string) => {
      c.state.ticks.push(label);
      c.broadcast("ticked", label);
    },
    ticks: (c) => c.state.ticks,
  },
});

/** Every test actor. */
export const registry = setup({
  use: {
    counter,
    lifecycle,
    failing,
    chat,
    smallBuffer,
    noWindow,
    guarded,
    internal,
    http,
    plain,
    sockets,
    scheduler,
  },
});

/** The registry's type. */
export type SuiteRegistry = typeof registry;
