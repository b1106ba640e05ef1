/**
 * Tensor engines: {@linkcode createEngine} makes one by name. `tfjs-cpu` runs
 * plain tfjs ops on tfjs's cpu backend; `cpu` keeps tfjs for the model and
 * autodiff but runs the heavy kernels in onnxruntime-node and typed-array
 * loops; `webgpu` runs tfjs's WebGPU backend on Deno's `navigator.gpu`;
 * `tensorflow` loads `@tensorflow/tfjs-node(-gpu)` when installed.
 *
 * tfjs has one global engine with one active backend, so engines on
 * different tfjs backends (`webgpu` vs the others) must not be used at the
 * same time in one process: creating an engine makes its backend active.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import { nullLogger } from "../logger.ts";
import { ConfigError } from "../errors.ts";
import { type Engine, ENGINE_NAMES, type EngineName } from "./engine.ts";
import { createTfjsCpuEngine } from "./tfjs_cpu.ts";
import { createCpuEngine } from "./cpu/mod.ts";
import { createWebGpuEngine } from "./webgpu.ts";
import { createTensorflowEngine } from "./tensorflow.ts";

export { createPlainOps } from "./plain_ops.ts";

/** Options for {@linkcode createEngine}. */
export interface EngineOptions {
  /** Intra-op threads for native kernels (default: all cores). */
  readonly threads?: number;
  /** Where the engine reports what it chose (debug level). */
  readonly logger?: Logger;
  /** `tensorflow` only: load `@tensorflow/tfjs-node-gpu` instead of `@tensorflow/tfjs-node`. */
  readonly gpu?: boolean;
}

/**
 * Creates a tensor engine by name and makes its tfjs backend active.
 *
 * @param name one of {@linkcode ENGINE_NAMES}
 * @param options threads, logger
 * @returns the engine; call `dispose()` when done to release native sessions
 * @example
 * ```ts
 * import { createEngine } from "./mod.ts";
 * const engine = await createEngine("tfjs-cpu");
 * const x = engine.tf.ones([1, 2, 2, 2, 1]) as import("@tensorflow/tfjs-core").Tensor5D;
 * engine.ops.maxPool3d(x, 2).shape; // [1, 1, 1, 1, 1]
 * engine.dispose();
 * ```
 */
export async function createEngine(
  name: EngineName,
  options: EngineOptions = {},
): Promise<Engine> {
  const logger = options.logger ?? nullLogger;
  if (
    options.threads !== undefined &&
    !(Number.isInteger(options.threads) && options.threads >= 1)
  ) {
    throw new RangeError(
      `Cannot create engine "${name}": threads is "${options.threads}", expected an integer >= 1`,
    );
  }
  let engine: Engine;
  switch (name) {
    case "tfjs-cpu":
      engine = await createTfjsCpuEngine();
      break;
    case "cpu":
      engine = await createCpuEngine({ threads: options.threads });
      break;
    case "webgpu":
      engine = await createWebGpuEngine();
      break;
    case "tensorflow":
      engine = await createTensorflowEngine({ gpu: options.gpu });
      break;
    default:
      throw new ConfigError([{
        path: "train.engine",
        message: `Unknown engine "${name}"`,
        expected: `one of ${ENGINE_NAMES.map((n) => `"${n}"`).join(", ")}`,
        received: JSON.stringify(name),
      }]);
  }
  logger.debug(`engine "${engine.name}": ${engine.description}`);
  return engine;
}
