/**
 * Plugin definitions: what every kind's `define…` helper produces.
 *
 * A definition has an `id` (its folder name under `plugins/`), a
 * `description`, a zod `options` schema whose fields have defaults and
 * descriptions, and `create(options, context)`, which returns the kind's
 * interface. Registration is explicit (see `registry.ts`).
 *
 * @module
 */

import type { z } from "zod";
import type { Logger, Progress } from "./logger.ts";
import type { Rng } from "./random.ts";

/** What a plugin receives besides its options: never globals or env vars. */
export interface PluginContext {
  /** Where messages go (the run's event log, the terminal). */
  readonly logger: Logger;
  /** Where stage/step/metric progress goes. */
  readonly progress: Progress;
  /** Seeded randomness for this component. */
  readonly rng: Rng;
  /** Folders the component may write to. */
  readonly paths: {
    /** A cache folder for derived data (preprocessed scans…). */
    readonly cacheDir: string;
    /** The current run's folder, when there is a run. */
    readonly runDir?: string;
  };
}

/** Schemas accepted as plugin options: a zod object whose every field has a default. */
export type OptionsSchema = z.ZodObject;

/**
 * A plugin definition of kind `K`, producing `T`, configured by options `S`.
 */
export interface PluginDefinition<
  K extends string = string,
  T = unknown,
  S extends OptionsSchema = OptionsSchema,
> {
  /** The slot kind this plugin fills. */
  readonly kind: K;
  /** Unique id, equal to the plugin's folder name. */
  readonly id: string;
  /** One sentence shown in `pleura plugins` and the dashboard. */
  readonly description: string;
  /** Options schema with defaults and `.describe()` on every field. */
  readonly options: S;
  /** Builds the component from resolved options. */
  create(options: z.output<S>, context: PluginContext): T;
}

/** Makes a `define…` helper for one kind. */
export function definer<K extends string, T>(kind: K) {
  return <S extends OptionsSchema>(
    definition: Omit<PluginDefinition<K, T, S>, "kind">,
  ): PluginDefinition<K, T, S> => ({ kind, ...definition });
}
