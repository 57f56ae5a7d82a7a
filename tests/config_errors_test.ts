/**
 * Invalid configuration: `actor({...})` and `createServer({...})` throw
 * `invalid_config` naming the path and what is wrong, in English whatever
 * the application does with zod's own messages.
 *
 * @module
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";

const registry = setup({ use: {} });

function configError(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    assert.equal((e as { code?: string }).code, "invalid_config");
    return (e as Error).message;
  }
  assert.fail("Expected invalid_config");
}

Deno.test("actor() names the path and the problem of an invalid definition", () => {
  const bad = (config: unknown) => configError(() => actor(config as never));
  assert.equal(
    bad({ options: { actionTimeout: 0 } }),
    'Actor definition is invalid at "options.actionTimeout": Too small: expected number to be >0',
  );
  assert.equal(
    bad({ options: { eventBufferSize: 1.5 } }),
    'Actor definition is invalid at "options.eventBufferSize": Invalid input: expected int, received number',
  );
  assert.equal(
    bad({ onAuth: "yes" }),
    'Actor definition is invalid at "onAuth": Expected a function',
  );
  assert.equal(
    bad({ actions: { a: { args: 1, handler: () => {} } } }),
    'Actor definition is invalid at "actions.a": Invalid input',
  );
  assert.equal(bad({ bogus: 1 }), 'Actor definition is invalid: Unrecognized key: "bogus"');
  assert.equal(
    bad({ state: 1, createState: () => 1 }),
    'Actor definition is invalid: Give "state" or "createState", not both',
  );
});

Deno.test("createServer() names the path and the problem of invalid options", () => {
  const bad = (options: Record<string, unknown>) =>
    configError(() => registry.createServer({ driver: memoryDriver(), ...options } as never));
  assert.equal(
    bad({ maxBodySize: 2 * 1024 ** 3 }),
    'Server options are invalid at "maxBodySize": Too big: expected number to be <=1073741824',
  );
  assert.equal(
    bad({ logLevel: "loud" }),
    'Server options are invalid at "logLevel": Invalid option: expected one of "debug"|"info"|"warn"|"error"',
  );
  assert.equal(
    bad({ operatorToken: "short" }),
    'Server options are invalid at "operatorToken": Too small: expected string to have >=16 characters',
  );
  assert.equal(
    bad({ messaging: { heartbeatTimeout: 10 } }),
    'Server options are invalid at "messaging.heartbeatTimeout": Too small: expected number to be >=60',
  );
  assert.equal(
    bad({ cors: { origin: "*", x: 1 } }),
    'Server options are invalid at "cors": Unrecognized key: "x"',
  );
});

Deno.test("invalid_config messages stay English when the application gives zod its own messages", () => {
  z.config({ customError: () => "Eigene Meldung" });
  try {
    assert.equal(
      configError(() => actor({ options: { sleepTimeout: -1 } } as never)),
      'Actor definition is invalid at "options.sleepTimeout": Too small: expected number to be >=0',
    );
    assert.equal(
      configError(() =>
        registry.createServer({ driver: memoryDriver(), logFormat: "xml" } as never)
      ),
      'Server options are invalid at "logFormat": Invalid option: expected one of "text"|"json"',
    );
    assert.equal(z.number().safeParse("x").error?.issues[0]?.message, "Eigene Meldung");
  } finally {
    z.config({ customError: undefined });
  }
});
