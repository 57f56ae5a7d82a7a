/**
 * Argument checks of the gateway's public methods: a `TypeError` that says
 * what to pass. Private to the gateway.
 *
 * @module
 */

/** Names the type of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    return `an object of type "${(value as object).constructor?.name ?? "Object"}"`;
  }
  return `a ${typeof value}`;
}

/** Throws when `request` is not a `Request`. */
export function checkRequest(method: string, request: unknown): void {
  if (!(request instanceof Request)) {
    throw new TypeError(`${method} needs a Request, got ${describe(request)}`);
  }
}

/** Throws when a function id is not a string. */
export function checkId(method: string, id: unknown): void {
  if (typeof id !== "string") {
    throw new TypeError(`${method} needs a function id string, got ${describe(id)}`);
  }
}
