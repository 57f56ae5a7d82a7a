/**
 * A second driver for the conformance suite: the memory driver wrapped so
 * that every actor counts as hosted elsewhere (`local()` answers `null`).
 * Every call then takes the Request path through the driver contract:
 * actions and raw HTTP as `Request`s to the actor router, connections as
 * WebSockets joined by the driver, messages through the forwarding
 * participant. It records the actor router paths it carried.
 *
 * @module
 */
import type { DriverFactory, ManagerDriver } from "../src/driver/mod.ts";

/** A wrapped factory and the paths of the requests it carried. */
export interface RemoteOnly extends DriverFactory {
  /** Pathnames of every request carried (`sendRequest` / `proxyRequest`), in order. */
  readonly paths: string[];
}

/**
 * @param factory The driver to wrap.
 * @returns The same driver, hosting no actor in the caller's eyes.
 */
export function remoteOnly(factory: DriverFactory): RemoteOnly {
  const paths: string[] = [];
  return {
    name: `${factory.name} (remote only)`,
    paths,
    create(context) {
      const pair = factory.create(context);
      const m = pair.manager;
      const manager: ManagerDriver = {
        getForId: (name, actorId) => m.getForId(name, actorId),
        getWithKey: (name, key) => m.getWithKey(name, key),
        getOrCreateWithKey: (name, key, input) => m.getOrCreateWithKey(name, key, input),
        createActor: (name, key, input) => m.createActor(name, key, input),
        listActors: (options) => m.listActors(options),
        local: () => null,
        sendRequest(actorId, request) {
          paths.push(new URL(request.url).pathname);
          return m.sendRequest(actorId, request);
        },
        openWebSocket: (actorId, path, options) => m.openWebSocket(actorId, path, options),
        proxyRequest(actorId, request) {
          paths.push(new URL(request.url).pathname);
          return m.proxyRequest(actorId, request);
        },
        proxyWebSocket: (actorId, request, socket) => m.proxyWebSocket(actorId, request, socket),
        shutdown: () => m.shutdown(),
      };
      return { ...pair, manager };
    },
  };
}
