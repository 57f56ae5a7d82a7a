/**
 * Type-level mapping from a registry's actor definitions to typed client
 * handles. Structural on purpose: nothing here imports the server, so the
 * client stays browser-safe. A registry is anything with a (phantom)
 * `actors` record whose entries carry `actions`; an action is a function
 * `(c, ...args) => R` or an object `{ handler: (c, ...args) => R }`, and the
 * client sees it as `(...args) => Promise<Awaited<R>>`.
 *
 * @module
 */

/** The shape a typed client needs from a registry (type-level only). */
export interface RegistryShape {
  /** Actor definitions by name. */
  readonly actors: Record<string, unknown>;
}

/** A registry whose actors and actions are not known to the type checker. */
export interface UntypedRegistry {
  /** Any actor, any action. */
  readonly actors: Record<string, { actions: Record<string, (...args: unknown[]) => unknown> }>;
}

/**
 * The client-side signature of one action entry: the context parameter is
 * dropped and the result becomes a promise.
 */
export type ActionMethod<E> = E extends (c: never, ...args: infer A) => infer R
  ? (...args: A) => Promise<Awaited<R>>
  : E extends { handler: (c: never, ...args: infer A) => infer R }
    ? (...args: A) => Promise<Awaited<R>>
  : never;

/** The actions of an actor definition, as the client calls them. */
export type ActorActions<D> = D extends { actions: infer T }
  ? unknown extends T ? Record<string, (...args: unknown[]) => Promise<unknown>>
  : { readonly [K in keyof T & string]: ActionMethod<T[K]> }
  : Record<string, (...args: unknown[]) => Promise<unknown>>;

/** The actor definitions of a registry. */
export type ActorsOf<R extends RegistryShape> = R["actors"];
