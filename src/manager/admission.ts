/**
 * What the manager router checks before a request may reach an actor: the
 * actor query header, the actor type, and the type's `onAuth` with the
 * request's intents. Split from the router so the HTTP action path
 * (`http_action.ts`) can run the same checks without awaiting what is
 * synchronous.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import type { AnyActorDefinition, Intent } from "../actor/definition.ts";
import { HEADER_ACTOR_ID, HEADER_AUTH, HEADER_QUERY } from "../protocol/headers.ts";
import { type ActorQuery, parseQuery, queryName } from "../protocol/query.ts";
import type { ActorRecord } from "../driver/actor_record.ts";
import type { ManagerDriver } from "../driver/manager_driver.ts";
import { assertActorType, queryIntents, resolveQuery } from "./resolve.ts";

/**
 * Parses a header holding JSON.
 *
 * @param request The request.
 * @param name Header name.
 * @param code Error code for invalid JSON.
 * @returns The value, or `undefined` without the header.
 * @throws {SwitchyardError} `code` (400) when it is not JSON.
 */
export function jsonHeader(request: Request, name: string, code: string): unknown {
  const v = request.headers.get(name);
  if (v === null) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    throw publicError(code, 400, `Header "${name}" is not valid JSON`);
  }
}

/**
 * Parsed actor queries by header text. Clients repeat the same query for
 * every call to a handle, so a hit skips a JSON parse and the validation.
 * Only queries without `input` are kept (a record may hold the input object),
 * and the cache starts over when full. Cached queries are frozen.
 */
const queryCache = new Map<string, ActorQuery>();
const QUERY_CACHE_SIZE = 1024;

/**
 * Reads the actor query header.
 *
 * @param request The request.
 * @returns The validated query (frozen when it came from the cache's side).
 * @throws {SwitchyardError} `invalid_query` (400) when it is missing or invalid.
 */
export function readQuery(request: Request): ActorQuery {
  const raw = request.headers.get(HEADER_QUERY);
  if (raw === null) throw publicError("invalid_query", 400, `Header "${HEADER_QUERY}" is missing`);
  const hit = queryCache.get(raw);
  if (hit) return hit;
  const query = parseQuery(jsonHeader(request, HEADER_QUERY, "invalid_query"));
  const body = Object.values(query)[0] as { input?: unknown };
  if (body.input === undefined && raw.length <= 1024) {
    if (queryCache.size >= QUERY_CACHE_SIZE) queryCache.clear();
    // Shared between requests from now on, so frozen.
    if ("key" in body) Object.freeze(body.key);
    queryCache.set(raw, Object.freeze(query));
    Object.freeze(body);
  }
  return query;
}

/** A set of intents that cannot change: one is shared by every request of its kind. */
class IntentSet extends Set<Intent> {
  constructor(items: Intent[]) {
    super();
    for (const i of items) super.add(i);
  }
  override add(): this {
    throw new TypeError("Intents are read-only");
  }
  override delete(): boolean {
    throw new TypeError("Intents are read-only");
  }
  override clear(): void {
    throw new TypeError("Intents are read-only");
  }
}

/** Shared intent sets by query kind, then by the endpoint's intent. */
const intentSets = new Map<string, Map<string, IntentSet>>();

/**
 * The intents of a request: those of its query plus the endpoint's own.
 *
 * @param query The actor query.
 * @param intent The endpoint's intent, if any.
 * @returns A shared read-only set.
 */
export function intentsOf(query: ActorQuery, intent: Intent | undefined): ReadonlySet<Intent> {
  const kind = "getOrCreateForKey" in query ? "getOrCreate" : "create" in query ? "create" : "get";
  let byIntent = intentSets.get(kind);
  if (!byIntent) intentSets.set(kind, byIntent = new Map());
  let set = byIntent.get(intent ?? "");
  if (!set) {
    const base = queryIntents(query);
    set = new IntentSet(intent && !base.includes(intent) ? [...base, intent] : base);
    byIntent.set(intent ?? "", set);
  }
  return set;
}

/**
 * The definition a query names, which must have an `onAuth` to be reached
 * from outside.
 *
 * @param definitions Actor types by name.
 * @param query The actor query.
 * @returns The definition and its `onAuth`.
 * @throws {SwitchyardError} `actor_not_found` (404) for an unknown type, `forbidden` (403) without `onAuth`.
 */
export function reachableType(
  definitions: Record<string, AnyActorDefinition>,
  query: ActorQuery,
): {
  name: string;
  def: AnyActorDefinition;
  onAuth: NonNullable<AnyActorDefinition["config"]["onAuth"]>;
} {
  const name = queryName(query);
  const def = Object.hasOwn(definitions, name) ? definitions[name] : undefined;
  assertActorType(def !== undefined, name);
  const onAuth = def!.config.onAuth;
  if (!onAuth) {
    throw publicError(
      "forbidden",
      403,
      `Actor "${name}" is not reachable from outside as it has no onAuth`,
    );
  }
  return { name, def: def!, onAuth };
}

/**
 * Checks what `onAuth` returned.
 *
 * @param auth The (awaited) result.
 * @param name Actor type name, for the message.
 * @returns `auth` when it allows.
 * @throws {SwitchyardError} `forbidden` (403) when it is `false`.
 */
export function allowed(auth: unknown, name: string): unknown {
  if (auth === false) throw publicError("forbidden", 403, `Access to actor "${name}" is denied`);
  return auth;
}

/**
 * Reads the query, runs `onAuth` (except for message posts, which the actor
 * router authenticates by connection token) and resolves the actor.
 *
 * @param manager The manager driver.
 * @param definitions Actor types by name.
 * @param request The request.
 * @param intent The endpoint's intent.
 * @param params Connection parameters, for connect requests.
 * @returns The actor's record, what `onAuth` returned, and its definition.
 * @throws {SwitchyardError} `invalid_query`, `actor_not_found`, `forbidden`, or what `onAuth` threw.
 */
export async function admit(
  manager: ManagerDriver,
  definitions: Record<string, AnyActorDefinition>,
  request: Request,
  intent: Intent | undefined,
  params?: unknown,
): Promise<{ record: ActorRecord; auth: unknown; def: AnyActorDefinition }> {
  const query = readQuery(request);
  const { name, def, onAuth } = reachableType(definitions, query);
  let auth: unknown;
  // A message post is authenticated by the connection token, checked by the actor router;
  // `onAuth` already ran (with the connection's params) when the connection opened.
  if (intent !== "message") {
    auth = allowed(await onAuth({ request, intents: intentsOf(query, intent) }, params), name);
  }
  const record = await resolveQuery(manager, query);
  return { record, auth, def };
}

/**
 * Headers of a request for the actor router: the actor id and, when
 * `onAuth` returned something, its JSON.
 *
 * @param actorId The actor id.
 * @param auth What `onAuth` returned.
 * @param base Headers to add to (copied client headers), or a new set.
 * @returns The headers.
 */
export function actorHeaders(actorId: string, auth: unknown, base?: Headers): Headers {
  const h = base ?? new Headers();
  h.set(HEADER_ACTOR_ID, actorId);
  if (auth !== undefined) h.set(HEADER_AUTH, JSON.stringify(auth));
  return h;
}
