/**
 * The driver conformance suite. A driver's test file is one call:
 *
 * ```ts ignore
 * import { runDriverSuite } from "./suite/mod.ts";
 * import { memoryDriver } from "../drivers/memory.ts";
 * runDriverSuite("memory", () => memoryDriver());
 * ```
 *
 * Every behaviour runs once per client kind: `inline` (the inline client's
 * fast path), `inline-request` (the inline client through the Request path),
 * `remote-http` (stateless actions over HTTP), `remote-ws` (actions over a
 * WebSocket connection, CBOR) and `remote-sse` (actions over an SSE
 * connection, CBOR posts). Remote kinds start a real server on 127.0.0.1.
 *
 * @module
 */
import type { DriverFactory } from "../../mod.ts";
import { actionCases } from "./actions_cases.ts";
import { authCases } from "./auth_cases.ts";
import { connectionCases } from "./connections_cases.ts";
import { eventCases } from "./events_cases.ts";
import {
  type Capability,
  CLIENT_KINDS,
  type ClientKind,
  type SuiteGroup,
  withHarness,
} from "./harness.ts";
import { keyCases } from "./keys_cases.ts";
import { lifecycleCases } from "./lifecycle_cases.ts";
import { rawHttpCases } from "./raw_http_cases.ts";
import { rawWebSocketCases } from "./raw_websocket_cases.ts";
import { reconnectCases } from "./reconnect_cases.ts";
import { scheduleCases } from "./schedule_cases.ts";

export type { Capability, ClientKind } from "./harness.ts";

/** Options of {@linkcode runDriverSuite}. */
export interface DriverSuiteOptions {
  /** Capabilities the driver lacks, each with the reason (`{ alarms: "no timers in this host" }`). */
  skip?: Partial<Record<Capability, string>>;
  /** Only these client kinds (default: every kind). */
  kinds?: readonly ClientKind[];
}

/** Every behaviour group, in run order. */
export const SUITE_GROUPS: readonly SuiteGroup[] = [
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
];

/**
 * Registers the conformance suite for one driver with `Deno.test`: one test
 * per behaviour and client kind, named `"<driver> <kind>: <group>: <case>"`.
 *
 * @param name The driver's name, for test names.
 * @param makeDriver Builds a fresh driver (called once per test).
 * @param options Capabilities to skip, with reasons.
 */
export function runDriverSuite(
  name: string,
  makeDriver: () => DriverFactory,
  options: DriverSuiteOptions = {},
): void {
  for (const group of SUITE_GROUPS) {
    for (const c of group.cases) {
      const missing = (c.needs ?? []).filter((cap) => options.skip?.[cap] !== undefined);
      for (const kind of c.kinds ?? CLIENT_KINDS) {
        if (options.kinds && !options.kinds.includes(kind)) continue;
        Deno.test({
          name: `${name} ${kind}: ${group.name}: ${c.name}`,
          ignore: missing.length > 0,
          fn: () => withHarness(kind, makeDriver, c.fn),
        });
      }
    }
  }
}
