/**
 * A plugin context for tests: silent logger and progress, a seeded rng and a
 * cache folder that is never created.
 *
 * @module
 */

import { nullLogger, nullProgress } from "../logger.ts";
import type { PluginContext } from "../plugin.ts";
import { createRng } from "../random.ts";

/**
 * Creates a context for `definition.create(options, context)` in tests.
 *
 * @param seed seed of the context's rng
 * @returns a context that records nothing
 * @example
 * ```ts
 * import { testPluginContext } from "./plugin_context.ts";
 * testPluginContext(1).rng.int(10) === testPluginContext(1).rng.int(10); // true
 * ```
 */
export function testPluginContext(seed = 0): PluginContext {
  return {
    logger: nullLogger,
    progress: nullProgress,
    rng: createRng(seed),
    paths: { cacheDir: ".cache/test" },
  };
}
