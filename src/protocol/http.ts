/**
 * Encoded HTTP responses shared by the manager and actor routers.
 *
 * @module
 */
import { encodeCbor, type Encoding } from "../common/encoding.ts";
import { toErrorBody } from "../common/errors.ts";

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
  const body = encoding === "cbor" ? encodeCbor(value) : JSON.stringify(value);
  return new Response(body, { status, headers: { "content-type": contentType(encoding) } });
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
