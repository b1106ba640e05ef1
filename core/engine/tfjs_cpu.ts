/**
 * The `tfjs-cpu` engine: plain tfjs ops on tfjs's own cpu backend. Slow
 * (about 1 GFLOP/s for a 3×3×3 conv) but dependency-free; the reference the
 * fast engines are checked against.
 *
 * @module
 */

import { loadTf, tf } from "./_tf.ts";
import type { Engine } from "./engine.ts";
import { createPlainOps } from "./plain_ops.ts";

/**
 * Creates the `tfjs-cpu` engine and makes tfjs's cpu backend the active one.
 *
 * @returns the engine
 * @example
 * ```ts ignore
 * const engine = await createTfjsCpuEngine();
 * engine.ops.relu(x);
 * ```
 */
export async function createTfjsCpuEngine(): Promise<Engine> {
  await loadTf();
  await tf.setBackend("cpu");
  await tf.ready();
  return {
    name: "tfjs-cpu",
    description: `tfjs ${tf.version_core} cpu backend, plain ops`,
    tf,
    ops: createPlainOps(tf),
    dispose() {},
  };
}
