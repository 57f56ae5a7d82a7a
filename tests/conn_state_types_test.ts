import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";

// `createConnState` alone decides the connection state type: no annotation
// is needed for `c.conn.state` to be typed in actions (checked by `deno check`).
const greeter = actor({
  state: { greeted: 0 },
  createConnState: (_c, { params }: { params: { name: string } }) => ({ name: params.name, n: 0 }),
  actions: {
    greet: (c) => {
      const s = c.conn!.state;
      s.n++;
      c.state.greeted++;
      return `${s.name.toUpperCase()} #${s.n}`;
    },
  },
});

type Expect<T extends true> = T;
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true
  : false;
export type ConnStateIsInferred = Expect<
  Equal<typeof greeter.types.connState, { name: string; n: number }>
>;

export type ConnectTakesTheParamsType = Expect<
  Equal<
    Parameters<ReturnType<Server["client"]["greeter"]["get"]>["connect"]>[0],
    { name: string } | undefined
  >
>;
type Server = ReturnType<ReturnType<typeof setup<{ greeter: typeof greeter }>>["createServer"]>;

Deno.test("connection state built by createConnState is typed and kept per connection", async () => {
  const server = setup({ use: { greeter } }).createServer({ driver: memoryDriver() });
  try {
    const conn = server.client.greeter.getOrCreate(["a"]).connect({ name: "ada" });
    assert.equal(await conn.greet(), "ADA #1");
    assert.equal(await conn.greet(), "ADA #2");
  } finally {
    await server.shutdown();
  }
});
