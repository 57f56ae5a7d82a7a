/**
 * `parseConfig(schema, value)`: validates configuration with a `zod/mini`
 * schema. Issue messages are English whatever locale or error map the
 * application gives zod, so `invalid_config` errors read the same
 * everywhere. `zod/mini` keeps bundles (Workers, browsers) small: only the
 * schema parts in use are bundled.
 *
 * @module
 */
import type * as z from "zod/mini";
import { en } from "zod/locales";

const english = en().localeError;

/**
 * Parses `value` with `schema`, English issue messages.
 *
 * @param schema A `zod/mini` schema.
 * @param value The configuration to check.
 * @returns zod's safe-parse result: the parsed data (defaults applied) or the issues.
 */
export function parseConfig<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
): z.core.util.SafeParseResult<z.output<T>> {
  return schema.safeParse(value, { error: english });
}
