/**
 * A driver wrapper that hides `ManagerDriver.local`, so the registry treats
 * every actor as hosted elsewhere: HTTP actions go through `proxyRequest`,
 * inline calls through `sendRequest`, and messages through the forwarding
 * participant. It counts the requests the driver carried, by path.
 *
 * @module
 */
import type { DriverFactory, ManagerDriver } from "../mod.ts";

/** A wrapped factory and the paths of the requests it carried. */
export interface WithoutLocal extends DriverFactory {
  /** Pathnames of every `sendRequest` / `proxyRequest`, in order. */
  readonly paths: string[];
}

/**
 * @param factory The driver to wrap.
 * @returns The same driver without `local()`.
 */
export function withoutLocal(factory: DriverFactory): WithoutLocal {
  const paths: string[] = [];
  return {
    name: `${factory.name} (no local)`,
    paths,
    create(context) {
      const pair = factory.create(context);
      const m = pair.manager;
      const manager: ManagerDriver = {
        getForId: m.getForId.bind(m),
        getWithKey: m.getWithKey.bind(m),
        getOrCreateWithKey: m.getOrCreateWithKey.bind(m),
        createActor: m.createActor.bind(m),
        listActors: m.listActors.bind(m),
        sendRequest(actorId, request) {
          paths.push(new URL(request.url).pathname);
          return m.sendRequest(actorId, request);
        },
        openWebSocket: m.openWebSocket.bind(m),
        proxyRequest(request, actorId) {
          paths.push(new URL(request.url).pathname);
          return m.proxyRequest(request, actorId);
        },
        proxyWebSocket: m.proxyWebSocket.bind(m),
        shutdown: m.shutdown.bind(m),
      };
      return { manager, actor: pair.actor };
    },
  };
}
