/**
 * The actor query: how a caller names an actor.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";

/** An actor key: an ordered list of strings; equal lists name the same actor. */
export type ActorKey = string[];

/**
 * Names one actor. Exactly one of the four forms:
 * - `getForId`: an existing actor by id;
 * - `getForKey`: an existing actor by name and key (`actor_not_found` otherwise);
 * - `getOrCreateForKey`: atomic get-or-create by name and key;
 * - `create`: a new actor (`actor_already_exists` when the key is taken).
 */
export type ActorQuery =
  | { getForId: { name: string; actorId: string } }
  | { getForKey: { name: string; key: ActorKey } }
  | { getOrCreateForKey: { name: string; key: ActorKey; input?: unknown } }
  | { create: { name: string; key: ActorKey; input?: unknown } };

/** Limits applied to queries. */
export const KEY_MAX_PARTS = 32;
/** Longest key part, in UTF-16 units. */
export const KEY_MAX_PART_LENGTH = 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkName(v: unknown): string {
  if (typeof v !== "string" || v === "" || v.length > 256) {
    throw publicError("invalid_query", 400, "Actor query needs a non-empty actor name");
  }
  return v;
}

/**
 * Validates an actor key.
 *
 * @param v A candidate key.
 * @returns The key.
 * @throws {SwitchyardError} `invalid_query` (400) when it is not a short list of short strings.
 */
export function checkKey(v: unknown): ActorKey {
  if (typeof v === "string") return [v];
  if (
    !Array.isArray(v) || v.length > KEY_MAX_PARTS ||
    !v.every((p) => typeof p === "string" && p.length <= KEY_MAX_PART_LENGTH)
  ) {
    throw publicError(
      "invalid_query",
      400,
      `Actor key must be a list of at most ${KEY_MAX_PARTS} strings of at most ${KEY_MAX_PART_LENGTH} characters`,
    );
  }
  return v as ActorKey;
}

/**
 * Validates an untrusted actor query (from a header or sub-protocol).
 *
 * @param v The parsed JSON value.
 * @returns The query.
 * @throws {SwitchyardError} `invalid_query` (400) when it is not one of the four forms.
 */
export function parseQuery(v: unknown): ActorQuery {
  if (!isRecord(v)) throw publicError("invalid_query", 400, "Actor query must be an object");
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    throw publicError(
      "invalid_query",
      400,
      'Actor query must have exactly one of "getForId", "getForKey", "getOrCreateForKey", "create"',
    );
  }
  const kind = keys[0]!;
  const body = v[kind];
  if (!isRecord(body)) {
    throw publicError("invalid_query", 400, `Actor query "${kind}" must be an object`);
  }
  const name = checkName(body.name);
  switch (kind) {
    case "getForId": {
      if (typeof body.actorId !== "string" || body.actorId === "" || body.actorId.length > 256) {
        throw publicError("invalid_query", 400, "Actor query needs an actor id");
      }
      return { getForId: { name, actorId: body.actorId } };
    }
    case "getForKey":
      return { getForKey: { name, key: checkKey(body.key ?? []) } };
    case "getOrCreateForKey":
      return { getOrCreateForKey: { name, key: checkKey(body.key ?? []), input: body.input } };
    case "create":
      return { create: { name, key: checkKey(body.key ?? []), input: body.input } };
    default:
      throw publicError("invalid_query", 400, `Actor query kind "${kind.slice(0, 32)}" is unknown`);
  }
}

/**
 * Reads the actor name of a query.
 *
 * @param q The query.
 * @returns The actor name.
 */
export function queryName(q: ActorQuery): string {
  if ("getForId" in q) return q.getForId.name;
  if ("getForKey" in q) return q.getForKey.name;
  if ("getOrCreateForKey" in q) return q.getOrCreateForKey.name;
  return q.create.name;
}

/**
 * A stable string form of a key, for maps and storage. Parts are joined with
 * `/`; `/` and `\` inside parts are escaped, so distinct keys never collide.
 *
 * @param key The key.
 * @returns The string form.
 *
 * @example Distinct keys never collide
 * ```ts
 * import { serializeKey } from "@switchyard/core/driver";
 * console.assert(serializeKey(["room", "a"]) === "room/a");
 * console.assert(serializeKey(["room/a"]) === "room\\/a");
 * console.assert(serializeKey(["room/a"]) !== serializeKey(["room", "a"]));
 * ```
 */
export function serializeKey(key: ActorKey): string {
  if (key.length === 0) return "";
  let out = "";
  for (let i = 0; i < key.length; i++) {
    const p = key[i]!;
    if (i > 0) out += "/";
    out += p.includes("\\") || p.includes("/")
      ? p.replaceAll("\\", "\\\\").replaceAll("/", "\\/")
      : (p === "" ? "\\0" : p);
  }
  return out;
}
