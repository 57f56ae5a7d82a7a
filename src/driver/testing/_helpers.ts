/**
 * Small helpers shared by the suite's cases: await coded rejections, collect
 * events, wait for connection errors. Nothing here sleeps.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SwitchyardError } from "../../client/mod.ts";

/**
 * Asserts that a promise rejects with a coded error.
 *
 * @param promise The call.
 * @param code The expected code.
 * @returns The error, for more checks.
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
): Promise<SwitchyardError> {
  try {
    const value = await promise;
    assert.fail(`Expected a rejection with code "${code}", got ${JSON.stringify(value)}`);
  } catch (err) {
    const got = (err as { code?: unknown }).code;
    if (got !== code) {
      assert.fail(
        `Expected code "${code}", got "${String(got)}": ${(err as Error)?.message ?? err}`,
      );
    }
    return err as SwitchyardError;
  }
}

/** Something with event listeners (a connection). */
interface Listenable {
  on(name: string, listener: (...args: never[]) => void): () => void;
  onError(listener: (error: SwitchyardError) => void): () => void;
}

/** Collected event values of one name. */
export interface Collector<T> {
  /** Values in arrival order. */
  values: T[];
  /** Waits until at least `n` values arrived; returns them. */
  until(n: number): Promise<T[]>;
  /** Stops listening. */
  stop(): void;
}

/**
 * Collects the first argument of every event `name` on a connection.
 *
 * @param conn The connection.
 * @param name Event name.
 * @returns The collector.
 */
export function collect<T = unknown>(conn: Listenable, name: string): Collector<T> {
  const values: T[] = [];
  let waiters: Array<{ n: number; resolve(v: T[]): void }> = [];
  const stop = conn.on(
    name,
    ((value: T) => {
      values.push(value);
      waiters = waiters.filter((w) => {
        if (values.length < w.n) return true;
        w.resolve(values.slice());
        return false;
      });
    }) as (...args: never[]) => void,
  );
  return {
    values,
    until(n) {
      if (values.length >= n) return Promise.resolve(values.slice());
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    stop,
  };
}

/**
 * Waits for the next connection-level error with the given code.
 *
 * @param conn The connection.
 * @param code The code.
 * @returns The error.
 */
export function nextError(conn: Listenable, code: string): Promise<SwitchyardError> {
  return new Promise((resolve) => {
    const off = conn.onError((e) => {
      if (e.code !== code) return;
      off();
      resolve(e);
    });
  });
}

/**
 * Waits for the first event `name` whose first argument satisfies `match`.
 *
 * @param conn The connection.
 * @param name Event name.
 * @param match The predicate.
 * @returns The argument.
 */
export function waitForEvent<T>(
  conn: Listenable,
  name: string,
  match: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const off = conn.on(
      name,
      ((value: T) => {
        if (!match(value)) return;
        off();
        resolve(value);
      }) as (...args: never[]) => void,
    );
  });
}
