/**
 * Random ids and tokens, and a constant-time comparison for secrets.
 *
 * @module
 */

/**
 * An unguessable token: 32 random bytes, base64url.
 *
 * @returns The token.
 */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * A random id (UUID v4 without dashes).
 *
 * @returns The id.
 *
 * @example A fresh actor id
 * ```ts
 * import { randomId } from "@switchyard/core/driver";
 * const id = randomId();
 * console.assert(/^[0-9a-f]{32}$/.test(id));
 * console.assert(id !== randomId());
 * ```
 */
export function randomId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Compares two strings in time that depends only on their lengths.
 *
 * @param a A secret.
 * @param b A candidate.
 * @returns Whether they are equal.
 */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
