/**
 * Wire encodings: JSON and CBOR. CBOR values keep `Uint8Array`, `Date`,
 * `Map`, `Set` and `bigint`; JSON is for readability and plain clients.
 *
 * @module
 */
import { decodeCborValue, encodeCborValue } from "./cbor.ts";
import { publicError } from "./errors.ts";

/** A wire encoding. */
export type Encoding = "json" | "cbor";

/**
 * Encodes a value as CBOR bytes.
 *
 * @param value Any CBOR-serialisable value.
 * @returns A fresh `Uint8Array` (safe to use as a `BodyInit`).
 */
export function encodeCbor(value: unknown): Uint8Array<ArrayBuffer> {
  return encodeCborValue(value);
}

/**
 * Decodes CBOR bytes.
 *
 * @param bytes The bytes.
 * @returns The value.
 * @throws {SwitchyardError} `malformed_body` (400) when the bytes are not CBOR.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decodeCborValue(bytes);
  } catch {
    throw publicError("malformed_body", 400, "Body is not valid CBOR");
  }
}

/**
 * Parses a JSON text.
 *
 * @param text The text.
 * @returns The value.
 * @throws {SwitchyardError} `malformed_body` (400) when the text is not JSON.
 */
export function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw publicError("malformed_body", 400, "Body is not valid JSON");
  }
}

/**
 * Reads an encoding name from a header or query value.
 *
 * @param value `"json"`, `"cbor"` or nothing (JSON).
 * @returns The encoding.
 * @throws {SwitchyardError} `invalid_encoding` (400) for any other value.
 */
export function parseEncoding(value: string | null | undefined): Encoding {
  if (value === null || value === undefined || value === "" || value === "json") return "json";
  if (value === "cbor") return "cbor";
  throw publicError(
    "invalid_encoding",
    400,
    `Encoding "${value.slice(0, 32)}" is not supported, use "json" or "cbor"`,
  );
}

/**
 * Encodes a value in the given encoding.
 *
 * @param value The value.
 * @param encoding JSON or CBOR.
 * @returns A string (JSON) or bytes (CBOR).
 */
export function encode(value: unknown, encoding: Encoding): string | Uint8Array<ArrayBuffer> {
  return encoding === "json" ? JSON.stringify(value) : encodeCbor(value);
}

/**
 * Decodes a frame or body in the given encoding. A text frame is accepted as
 * JSON and a binary frame as CBOR whatever the connection's encoding.
 *
 * @param data Text or bytes.
 * @returns The value.
 * @throws {SwitchyardError} `malformed_body` when it cannot be decoded.
 */
export function decode(data: string | Uint8Array): unknown {
  return typeof data === "string" ? decodeJson(data) : decodeCbor(data);
}
