/**
 * Encoded HTTP responses shared by the manager and actor routers.
 *
 * @module
 */
import { utf8 } from "../common/body.ts";
import { decode, decodeJson, encodeCbor, type Encoding } from "../common/encoding.ts";
import { publicError, toErrorBody } from "../common/errors.ts";
import { checkActionArgs } from "./messages.ts";

const JSON_TYPE = "application/json";
const CBOR_TYPE = "application/cbor";

/**
 * The content type of an encoding.
 *
 * @param encoding JSON or CBOR.
 * @returns The media type.
 */
export function contentType(encoding: Encoding): string {
  return encoding === "cbor" ? CBOR_TYPE : JSON_TYPE;
}

/**
 * A response whose body is `value` in `encoding`.
 *
 * @param value The body value.
 * @param status HTTP status.
 * @param encoding JSON or CBOR.
 * @returns The response.
 */
export function encodedResponse(value: unknown, status: number, encoding: Encoding): Response {
  // `content-type` alone keeps Deno.serve on its fast path for static bodies;
  // `Response.json` reaches it with the least work.
  if (encoding !== "cbor") return Response.json(value, status === 200 ? undefined : { status });
  return new Response(encodeCbor(value), { status, headers: { "content-type": CBOR_TYPE } });
}

/**
 * Decodes the body of an action request (`{ "args": [...] }`).
 *
 * @param bytes The body.
 * @param encoding JSON or CBOR.
 * @returns The positional arguments.
 * @throws {SwitchyardError} `malformed_body` (400) when it is not such an object,
 * `too_many_arguments` (400) past 256 arguments (`MAX_ACTION_ARGS`).
 */
export function decodeActionArgs(bytes: Uint8Array, encoding: Encoding): unknown[] {
  return actionArgs(encoding === "cbor" ? decode(bytes) : decodeJson(utf8(bytes)));
}

/**
 * The arguments of a decoded action request body (`{ "args": [...] }`).
 *
 * @param body The decoded body.
 * @returns The positional arguments.
 * @throws {SwitchyardError} `malformed_body` (400) when it is not such an object,
 * `too_many_arguments` (400) past 256 arguments (`MAX_ACTION_ARGS`).
 */
export function actionArgs(body: unknown): unknown[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw publicError("malformed_body", 400, 'Body must be an object like {"args":[...]}');
  }
  const args = (body as { args?: unknown }).args ?? [];
  if (!Array.isArray(args)) {
    throw publicError("malformed_body", 400, 'Body field "args" must be a list');
  }
  return checkActionArgs(args);
}

/**
 * The coded error response for anything thrown: public errors keep their
 * code, message and metadata; others become a masked `internal_error`.
 *
 * @param err What was thrown.
 * @param encoding JSON or CBOR.
 * @returns The response.
 */
export function errorResponse(err: unknown, encoding: Encoding = "json"): Response {
  const { body, status } = toErrorBody(err);
  return encodedResponse(body, status, encoding);
}
