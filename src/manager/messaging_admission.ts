/**
 * Who may reach an actor over the message router's `/messages` endpoint:
 * exactly who may reach it over HTTP. A target that is an actor of the
 * registry is admitted only when its type has an `onAuth` and that `onAuth`,
 * given the connection's upgrade request and the intents `{"message"}`,
 * allows it; without `onAuth` it is unreachable from outside, as on every
 * other way in. Targets that are not actors (other clients, participants
 * that server code registered) are left to the grant's `canAddress`.
 *
 * @module
 */
import type { AnyActorDefinition, Intent } from "../actor/definition.ts";
import type { ManagerDriver } from "../driver/manager_driver.ts";
import { publicError } from "../common/errors.ts";
import { allowed } from "./admission.ts";

const MESSAGE_INTENTS: ReadonlySet<Intent> = Object.freeze(new Set<Intent>(["message"]));

/**
 * Builds the `admit` check of one `/messages` connection.
 *
 * @param manager The driver that knows the actors.
 * @param definitions Actor types by name.
 * @param request The connection's upgrade request (what `onAuth` sees).
 * @returns The check: resolves to admit, rejects with `forbidden` (403) or
 *   what `onAuth` threw.
 */
export function messagingAdmission(
  manager: ManagerDriver,
  definitions: Record<string, AnyActorDefinition>,
  request: Request,
): (target: string) => Promise<void> {
  const names = Object.keys(definitions);
  return async (target) => {
    let name: string | undefined;
    for (const n of names) {
      if (await manager.getForId(n, target)) {
        name = n;
        break;
      }
    }
    if (name === undefined) return; // not an actor: canAddress decides
    const onAuth = definitions[name]!.config.onAuth;
    if (!onAuth) {
      throw publicError(
        "forbidden",
        403,
        `Actor "${name}" is not reachable from outside as it has no onAuth`,
        { target },
      );
    }
    allowed(await onAuth({ request, intents: MESSAGE_INTENTS }, undefined), name);
  };
}
