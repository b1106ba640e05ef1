/**
 * The `cpu` engine: tfjs (cpu backend) for the model and autodiff, with the
 * heavy kernels in onnxruntime-node (convolutions) and typed-array loops
 * (batch norm, ReLU, add, pooling, concatenation, dropout).
 *
 * @module
 */

import { loadTf, tf } from "../_tf.ts";
import type { Engine } from "../engine.ts";
import { createCpuOps } from "./ops.ts";
import { ORT_VERSION } from "./ort_binding.ts";
import { createScratch, createSessionCache } from "./sessions.ts";

/**
 * Creates the `cpu` engine and makes tfjs's cpu backend the active one.
 *
 * @param options `threads`: ORT intra-op threads (default: all cores);
 *   `windowFillLimit`: see `createCpuOps` (benches compare layouts)
 * @returns the engine; `dispose()` releases its ORT sessions
 * @example
 * ```ts ignore
 * const engine = await createCpuEngine({ threads: 2 });
 * engine.dispose();
 * ```
 */
export async function createCpuEngine(
  options: { threads?: number; windowFillLimit?: number } = {},
): Promise<Engine> {
  await loadTf();
  await tf.setBackend("cpu");
  await tf.ready();
  const threads = options.threads ?? navigator.hardwareConcurrency;
  const sessions = createSessionCache({ threads });
  const scratch = createScratch();
  return {
    name: "cpu",
    description:
      `tfjs ${tf.version_core} cpu backend + onnxruntime-node ${ORT_VERSION} (${threads} threads) and typed-array kernels`,
    tf,
    ops: createCpuOps(tf, sessions, scratch, {
      windowFillLimit: options.windowFillLimit,
    }),
    dispose() {
      sessions.dispose();
      scratch.clear();
    },
  };
}
