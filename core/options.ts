/**
 * Plugin option schemas described for people and forms (`pleura plugins`,
 * the dashboard's new-run form), derived from the zod schema's JSON Schema.
 *
 * @module
 */

import { z } from "zod";
import type { OptionsSchema } from "./plugin.ts";

/** One option of a plugin, described. */
export interface OptionDescription {
  /** Field name. */
  readonly name: string;
  /** JSON type: `number`, `integer`, `boolean`, `string`, `array`, `object`. */
  readonly type: string;
  /** The default value. */
  readonly default: unknown;
  /** The field's description. */
  readonly description: string;
  /** Allowed values for enumerations. */
  readonly enum?: readonly unknown[];
  /** Inclusive numeric bounds, when set. */
  readonly minimum?: number;
  /** Inclusive numeric bounds, when set. */
  readonly maximum?: number;
  /** The field's full JSON Schema (items of arrays, nested objects). */
  readonly schema: Record<string, unknown>;
}

/**
 * Describes each field of an options schema.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { describeOptions } from "./options.ts";
 * const [k] = describeOptions(z.object({ k: z.int().min(1).default(2).describe("Negatives per sample") }));
 * k.default; // 2
 * ```
 */
export function describeOptions(schema: OptionsSchema): OptionDescription[] {
  const json = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as {
    properties?: Record<string, Record<string, unknown>>;
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const type = jsonType(property);
    return {
      name,
      type,
      default: property.default,
      description: String(property.description ?? ""),
      ...(property.enum ? { enum: property.enum as unknown[] } : {}),
      ...(typeof property.minimum === "number" &&
          property.minimum > Number.MIN_SAFE_INTEGER
        ? { minimum: property.minimum }
        : {}),
      ...(typeof property.maximum === "number" &&
          property.maximum < Number.MAX_SAFE_INTEGER
        ? { maximum: property.maximum }
        : {}),
      schema: property,
    };
  });
}

/** The JSON type of a property, `a | b` for unions (`integer | null`). */
function jsonType(property: Record<string, unknown>): string {
  if (Array.isArray(property.type)) return property.type.join(" | ");
  if (typeof property.type === "string") return property.type;
  if (property.enum) return "string";
  const union = (property.anyOf ?? property.oneOf) as
    | Record<string, unknown>[]
    | undefined;
  if (Array.isArray(union)) {
    return [...new Set(union.map((member) => jsonType(member)))].join(" | ");
  }
  return "any";
}
