/**
 * The driver conformance suite, for a driver's own test file under
 * `deno test -A`: every behaviour of the product (keys, actions, events,
 * connections, lifecycle, auth, raw HTTP and WebSockets, schedules,
 * reconnects) runs once per client kind: `inline` (the inline client of
 * server code), `remote-http` (stateless actions over HTTP, JSON),
 * `remote-ws` (actions over a WebSocket connection, CBOR) and `remote-sse`
 * (actions over an SSE connection, CBOR posts). Remote kinds start a real
 * server on 127.0.0.1 and stop it.
 *
 * A capability the driver lacks is skipped with a reason, so the report
 * says why a case did not run.
 *
 * This example is not run: `myDriver`, `fileDriver` and their helpers
 * stand for your own driver ({@linkcode runDriverSuite} has a runnable one).
 *
 * @example A driver's test file
 * ```ts ignore
 * import { runDriverSuite } from "@switchyard/core/driver/testing";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 *
 * runDriverSuite("memory", () => memoryDriver());
 * runDriverSuite("my-driver", () => myDriver(), { skip: { alarms: "no timers in this host" } });
 * // A persistent driver: `reopen` opens the same storage again.
 * runDriverSuite("my-file-driver", () => fileDriver(tmpPath()), { reopen: (d) => fileDriver(pathOf(d)) });
 * ```
 *
 * @module
 */
import type { DriverFactory } from "../manager_driver.ts";
import { actionCases } from "./actions_cases.ts";
import { authCases } from "./auth_cases.ts";
import { connectionCases } from "./connections_cases.ts";
import { eventCases } from "./events_cases.ts";
import {
  type Capability,
  CLIENT_KINDS,
  type ClientKind,
  type Listen,
  type Reopen,
  type SuiteGroup,
  withHarness,
} from "./harness.ts";
import { keyCases } from "./keys_cases.ts";
import { lifecycleCases } from "./lifecycle_cases.ts";
import { rawHttpCases } from "./raw_http_cases.ts";
import { rawWebSocketCases } from "./raw_websocket_cases.ts";
import { persistenceCases } from "./persistence_cases.ts";
import { reconnectCases } from "./reconnect_cases.ts";
import { scheduleCases } from "./schedule_cases.ts";

export type { Capability, ClientKind, Listen, Reopen } from "./harness.ts";

/** Options of {@linkcode runDriverSuite}. */
export interface DriverSuiteOptions {
  /** Capabilities the driver lacks, each with the reason (`{ alarms: "no timers in this host" }`). */
  skip?: Partial<Record<Capability, string>>;
  /** Only these client kinds (default: every kind). */
  kinds?: readonly ClientKind[];
  /**
   * For persistent drivers: opens the driver again on the storage of the
   * given one (same file, same database). With it the `persistence` cases
   * run (state, alarms and slept actors survive a restart; connected
   * clients are told their connection was reset); without it they are
   * skipped.
   */
  reopen?: Reopen;
  /**
   * The URL remote kinds talk to, for a driver whose server runs elsewhere
   * (another runtime serving the suite's registry from
   * `@switchyard/core/driver/testing`'s fixtures). Without it, each test
   * serves `makeDriver`'s server on 127.0.0.1.
   */
  endpoint?: () => string | Promise<string>;
  /**
   * Serves each test's server for the remote kinds, on another runtime than
   * Deno (e.g. Node's adapter). Without it the suite uses `Deno.serve`.
   */
  listen?: Listen;
  /**
   * Registers one test with the runner. Without it the suite uses
   * `Deno.test`; under Node pass
   * `(t) => test(t.name, { skip: t.ignore }, t.fn)` of `node:test`.
   */
  register?: (test: { name: string; ignore: boolean; fn: () => Promise<void> }) => void;
}

/** Every behaviour group, in run order. */
const SUITE_GROUPS: readonly SuiteGroup[] = [
  keyCases,
  actionCases,
  eventCases,
  connectionCases,
  lifecycleCases,
  authCases,
  rawHttpCases,
  rawWebSocketCases,
  scheduleCases,
  reconnectCases,
  persistenceCases,
];

/**
 * Registers the conformance suite for one driver with `Deno.test`: one test
 * per behaviour and client kind, named `"<driver> <kind>: <group>: <case>"`.
 *
 * @param name The driver's name, for test names.
 * @param makeDriver Builds a fresh driver (called once per test; may be async).
 * @param options Capabilities to skip, with reasons.
 *
 * @example The memory driver, through the inline client only
 * ```ts
 * import { runDriverSuite } from "@switchyard/core/driver/testing";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 *
 * // A driver's test file: one test per behaviour, here for the inline client only.
 * runDriverSuite("memory", () => memoryDriver(), {
 *   kinds: ["inline"],
 *   skip: { persistence: "state lives in memory only" },
 * });
 *
 * // The driver's own tests sit beside the suite.
 * Deno.test("memoryDriver() is named memory", () => {
 *   console.assert(memoryDriver().name === "memory");
 * });
 * ```
 */
export function runDriverSuite(
  name: string,
  makeDriver: () => DriverFactory | Promise<DriverFactory>,
  options: DriverSuiteOptions = {},
): void {
  const register = options.register ?? ((t) => Deno.test(t));
  for (const group of SUITE_GROUPS) {
    for (const c of group.cases) {
      const skip: Partial<Record<Capability, string>> = {
        ...(options.reopen ? {} : { persistence: "no reopen option" }),
        ...options.skip,
      };
      const missing = (c.needs ?? []).filter((cap) => skip[cap] !== undefined);
      for (const kind of c.kinds ?? CLIENT_KINDS) {
        if (options.kinds && !options.kinds.includes(kind)) continue;
        const why = missing.map((cap) => `${cap}: ${skip[cap]}`).join("; ");
        register({
          name: `${name} ${kind}: ${group.name}: ${c.name}${why ? ` (skipped, ${why})` : ""}`,
          ignore: missing.length > 0,
          fn: () =>
            withHarness(kind, makeDriver, c.fn, {
              reopen: options.reopen,
              serve: options.endpoint,
              listen: options.listen,
            }),
        });
      }
    }
  }
}
