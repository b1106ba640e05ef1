/**
 * The `webgpu` engine: tfjs's WebGPU backend on Deno's built-in WebGPU
 * (`navigator.gpu`, no flag needed in Deno 2.9), with the plain tfjs ops.
 * On a machine with a GPU this is a real GPU path that needs no native
 * download; on machines without one Deno may offer a software adapter
 * (llvmpipe): correct but slow.
 *
 * @module
 */

import { loadTf, tf } from "./_tf.ts";
import type { Engine } from "./engine.ts";
import { createPlainOps } from "./plain_ops.ts";

/** Finds a WebGPU adapter, or explains why there is none. */
async function findAdapter(): Promise<GPUAdapter> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined || gpu === null) {
    throw new Error(
      'Cannot create engine "webgpu": navigator.gpu is not available in this runtime, expected Deno >= 2 (or a browser) with WebGPU',
    );
  }
  const adapter = await gpu.requestAdapter({
    powerPreference: "high-performance",
  });
  if (adapter === null) {
    throw new Error(
      'Cannot create engine "webgpu": navigator.gpu.requestAdapter() found no adapter, expected a GPU or a software (llvmpipe/Vulkan) adapter; use engine "cpu" instead',
    );
  }
  return adapter;
}

/**
 * Creates the `webgpu` engine and makes tfjs's WebGPU backend the active one.
 *
 * @returns the engine
 * @example
 * ```ts ignore
 * const engine = await createWebGpuEngine();
 * engine.description; // "tfjs 4.22.0 webgpu backend on …"
 * ```
 */
export async function createWebGpuEngine(): Promise<Engine> {
  await loadTf();
  const adapter = await findAdapter();
  const info = adapter.info;
  const adapterName =
    [info.vendor, info.architecture, info.device, info.description]
      .filter((s) => s !== undefined && s !== "").join(" ") ||
    "unknown adapter";
  // Registers the "webgpu" backend factory on import (the node bundle shares
  // tfjs-core's global engine).
  await import("@tensorflow/tfjs-backend-webgpu");
  let ok = false;
  try {
    ok = await tf.setBackend("webgpu");
  } catch (cause) {
    throw new Error(
      `Cannot create engine "webgpu": the tfjs WebGPU backend failed to start on "${adapterName}"`,
      { cause },
    );
  }
  if (!ok) {
    throw new Error(
      `Cannot create engine "webgpu": the tfjs WebGPU backend failed to start on "${adapterName}"`,
    );
  }
  await tf.ready();
  return {
    name: "webgpu",
    description: `tfjs ${tf.version_core} webgpu backend on ${adapterName}`,
    tf,
    ops: createPlainOps(tf),
    dispose() {},
  };
}
