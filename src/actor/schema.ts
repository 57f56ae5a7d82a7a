/**
 * Standard Schema (https://standardschema.dev) support: zod v4, valibot and
 * others implement `~standard`, so action arguments can carry any of them.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";

/** The result of a Standard Schema validation. */
export type StandardResult<O> =
  | { readonly value: O; readonly issues?: undefined }
  | {
    readonly issues: ReadonlyArray<
      { readonly message: string; readonly path?: ReadonlyArray<unknown> }
    >;
  };

/** A Standard Schema (v1), the interface zod v4 and others implement. */
export interface StandardSchema<I = unknown, O = I> {
  /** The Standard Schema properties. */
  readonly "~standard": {
    /** Always 1. */
    readonly version: 1;
    /** The library's name. */
    readonly vendor: string;
    /** Validates a value. */
    readonly validate: (value: unknown) => StandardResult<O> | Promise<StandardResult<O>>;
    /** Type-level input and output. */
    readonly types?: { readonly input: I; readonly output: O } | undefined;
  };
}

/**
 * Tells whether a value implements Standard Schema.
 *
 * @param v Any value.
 * @returns `true` for a Standard Schema.
 */
export function isStandardSchema(v: unknown): v is StandardSchema {
  return (typeof v === "object" || typeof v === "function") && v !== null &&
    typeof (v as { "~standard"?: { validate?: unknown } })["~standard"]?.validate === "function";
}

/**
 * Validates action arguments.
 *
 * @param schema The schema over the argument list.
 * @param args The arguments.
 * @param action The action name, for the message.
 * @returns The validated (possibly transformed) arguments.
 * @throws {SwitchyardError} `invalid_arguments` (400) with the issues as metadata.
 */
export async function validateArgs(
  schema: StandardSchema,
  args: unknown[],
  action: string,
): Promise<unknown[]> {
  const result = await schema["~standard"].validate(args);
  if (result.issues) {
    const issues = result.issues.slice(0, 20).map((i) => ({
      message: i.message,
      path: (i.path ?? []).map((p) =>
        typeof p === "object" && p !== null && "key" in p ? String(p.key) : String(p)
      ),
    }));
    throw publicError(
      "invalid_arguments",
      400,
      `Arguments of action "${action}" are invalid: ${issues[0]?.message ?? "unknown issue"}`,
      { issues },
    );
  }
  return Array.isArray(result.value) ? result.value : [result.value];
}
