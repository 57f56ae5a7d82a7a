import type { DriverFactory, ManagerDriver } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { runDriverSuite } from "./suite/mod.ts";

runDriverSuite("memory", () => memoryDriver());

/**
 * The memory driver without its same-process `local()` fast path, so every
 * remote HTTP action takes the manager → `proxyRequest` → actor router path
 * (the inline-request kind covers the inline side of it).
 */
function withoutLocal(factory: DriverFactory): DriverFactory {
  return {
    name: `${factory.name} (no local)`,
    create(context) {
      const pair = factory.create(context);
      const m = pair.manager;
      const manager: ManagerDriver = {
        getForId: m.getForId.bind(m),
        getWithKey: m.getWithKey.bind(m),
        getOrCreateWithKey: m.getOrCreateWithKey.bind(m),
        createActor: m.createActor.bind(m),
        listActors: m.listActors.bind(m),
        sendRequest: m.sendRequest.bind(m),
        openWebSocket: m.openWebSocket.bind(m),
        proxyRequest: m.proxyRequest.bind(m),
        proxyWebSocket: m.proxyWebSocket.bind(m),
        shutdown: m.shutdown.bind(m),
      };
      return { manager, actor: pair.actor };
    },
  };
}

runDriverSuite("memory-no-local", () => withoutLocal(memoryDriver()), { kinds: ["remote-http"] });
