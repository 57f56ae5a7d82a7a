/**
 * Actor state: a change-tracking proxy and the check that keeps state
 * CBOR-serialisable. Allowed values: `null`, `undefined`, booleans, numbers,
 * strings, bigints, `Uint8Array`, `Date`, arrays, `Map`, `Set` and plain
 * objects of those. Functions, symbols, class instances and cycles are
 * rejected with `state_not_serializable` when they are assigned, so a bad
 * value never reaches storage.
 *
 * @module
 */
import { SwitchyardError } from "../common/errors.ts";
import { setOwn } from "../common/objects.ts";

function fail(path: string, what: string): never {
  throw new SwitchyardError(
    "state_not_serializable",
    `State at "${path || "(root)"}" cannot be serialised: ${what}`,
    { status: 500 },
  );
}

/**
 * Throws unless `value` can be stored as CBOR state.
 *
 * @param value The candidate value.
 * @param path Where it is, for the message.
 * @throws {SwitchyardError} `state_not_serializable`.
 */
export function checkSerializable(value: unknown, path = "", seen?: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
      return;
    case "function":
      return fail(path, "functions are not data");
    case "symbol":
      return fail(path, "symbols are not data");
  }
  if (value === null || value instanceof Uint8Array || value instanceof Date) return;
  const obj = value as object;
  seen ??= new Set();
  if (seen.has(obj)) fail(path, "it contains a cycle");
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) checkSerializable(obj[i], `${path}[${i}]`, seen);
  } else if (obj instanceof Map) {
    for (const [k, v] of obj) {
      checkSerializable(k, `${path}<key>`, seen);
      checkSerializable(v, `${path}.${String(k)}`, seen);
    }
  } else if (obj instanceof Set) {
    for (const v of obj) checkSerializable(v, `${path}<item>`, seen);
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      fail(path, `instances of "${proto?.constructor?.name ?? "?"}" are not plain data`);
    }
    for (const k of Object.keys(obj)) {
      checkSerializable((obj as Record<string, unknown>)[k], path ? `${path}.${k}` : k, seen);
    }
  }
  seen.delete(obj);
}

/**
 * A deep copy of state data. Plain objects, arrays and primitives are copied
 * directly (the common case, several times cheaper than `structuredClone`);
 * anything else goes through `structuredClone`.
 *
 * @param value Serialisable state data.
 * @returns The copy.
 */
export function cloneData<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneData) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = cloneData((value as Record<string, unknown>)[k]);
    setOwn(out, k, v); // an own "__proto__" key (e.g. from JSON.parse) stays a key
  }
  return out as T;
}

const RAW = Symbol("raw");

/**
 * Wraps `target` so every write (at any depth) is checked and reported.
 * Nested objects get their own proxies, cached per object.
 *
 * @param target The state object.
 * @param onChange Called after every successful write.
 * @returns The proxy.
 */
export function trackState<T>(target: T, onChange: () => void): T {
  if (typeof target !== "object" || target === null) return target;
  let cache: WeakMap<object, object> | undefined; // made when a nested object is first read
  const handler: ProxyHandler<Record<PropertyKey, unknown>> = {
    get(obj, prop, receiver) {
      if (prop === RAW) return obj;
      const v = Reflect.get(obj, prop, obj);
      if (typeof v !== "object" || v === null || v instanceof Uint8Array || v instanceof Date) {
        // Map/Set methods must run on the real object; their mutations are not tracked.
        if (typeof v === "function" && (obj instanceof Map || obj instanceof Set)) {
          return (...args: unknown[]) => {
            const name = String(prop);
            if (name === "set" || name === "add") {
              for (const a of args) checkSerializable(a, name);
            }
            const out = (v as (...a: unknown[]) => unknown).apply(obj, args);
            if (name === "set" || name === "add" || name === "delete" || name === "clear") {
              onChange();
            }
            return out === obj ? receiver : out;
          };
        }
        return v;
      }
      cache ??= new WeakMap();
      let p = cache.get(v);
      if (!p) cache.set(v, p = new Proxy(v as Record<PropertyKey, unknown>, handler));
      return p;
    },
    set(obj, prop, value) {
      const raw = unwrap(value);
      checkSerializable(raw, String(prop));
      if (obj[prop as string] === raw && prop in obj) return true;
      obj[prop as string] = raw;
      onChange();
      return true;
    },
    deleteProperty(obj, prop) {
      if (!(prop in obj)) return true;
      delete obj[prop as string];
      onChange();
      return true;
    },
  };
  return new Proxy(target as Record<PropertyKey, unknown>, handler) as T;
}

/**
 * Returns the object behind a state proxy (or the value itself).
 *
 * @param value A proxy or a value.
 * @returns The raw value.
 */
export function unwrap<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    const raw = (value as Record<PropertyKey, unknown>)[RAW];
    if (raw !== undefined) return raw as T;
  }
  return value;
}
