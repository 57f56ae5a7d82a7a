/**
 * Reading request bodies under a size limit.
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import { publicError, SwitchyardError } from "./errors.ts";

/** The default body-size limit: 1 MiB. */
export const DEFAULT_MAX_BODY_SIZE = 1024 * 1024;

function tooLarge(limit: number): Error {
  return publicError("body_too_large", 413, `Body is larger than the limit of ${limit} bytes`, {
    limit,
  });
}

/**
 * Reads a whole body, failing as soon as it passes `limit` bytes (by its
 * `Content-Length` or while it streams).
 *
 * @param request The request.
 * @param limit Largest accepted size in bytes.
 * @returns The bytes.
 * @throws {SwitchyardError} `body_too_large` (413).
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = declaredLength(request, limit);
  if (declared >= 0) {
    // Before touching `request.body`: reading the stream getter would make
    // Deno.serve give up its fast path that takes a whole body at once.
    const buf = new Uint8Array(await request.arrayBuffer());
    if (buf.byteLength > limit) throw tooLarge(limit);
    return buf;
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
}

/**
 * Reads and parses a whole JSON body under `limit` bytes. A body with a
 * declared `Content-Length` is parsed by `request.json()` (Deno.serve hands
 * it over in one piece; invalid UTF-8 becomes U+FFFD, as in every `fetch`
 * body); a streamed one goes through {@linkcode readBody} and strict
 * {@linkcode utf8}.
 *
 * @param request The request.
 * @param limit Largest accepted size in bytes.
 * @returns The parsed value.
 * @throws {SwitchyardError} `body_too_large` (413), `malformed_body` (400).
 */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const declared = declaredLength(request, limit);
  try {
    if (declared >= 0) return await request.json();
    return JSON.parse(utf8(await readBody(request, limit)));
  } catch (err) {
    if (err instanceof SwitchyardError) throw err;
    throw notJson();
  }
}

/**
 * The body's declared `Content-Length`, checked against the limit.
 *
 * @param request The request.
 * @param limit Largest accepted size in bytes.
 * @returns The length, or `NaN` when the body is streamed without one.
 * @throws {SwitchyardError} `body_too_large` (413).
 */
export function declaredLength(request: Request, limit: number): number {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  return declared;
}

/**
 * The error of a body that is not JSON.
 *
 * @returns `malformed_body` (400).
 */
export function notJson(): SwitchyardError {
  return publicError("malformed_body", 400, "Body is not valid JSON");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes UTF-8 strictly.
 *
 * @param bytes The bytes.
 * @returns The text.
 * @throws {SwitchyardError} `malformed_body` (400) for invalid UTF-8.
 */
export function utf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw publicError("malformed_body", 400, "Body is not valid UTF-8");
  }
}
