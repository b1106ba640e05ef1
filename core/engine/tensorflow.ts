/**
 * The `tensorflow` engine: tfjs's native TensorFlow binding
 * (`@tensorflow/tfjs-node`, or `@tensorflow/tfjs-node-gpu` with `gpu`),
 * loaded only when asked for. Its install script downloads libtensorflow
 * from outside the npm registry, so it is not a dependency of this project:
 * install it on a machine with internet access.
 *
 * @module
 */

import type { Engine, TfCore } from "./engine.ts";
import { createPlainOps } from "./plain_ops.ts";

/** The package the engine loads. */
export function tensorflowPackage(gpu: boolean): string {
  return gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
}

/** The instructions shown when the package is missing. */
export function tensorflowInstallHint(gpu: boolean): string {
  const pkg = tensorflowPackage(gpu);
  return `install it on a machine with internet access (its install script downloads libtensorflow${
    gpu ? " with CUDA" : ""
  }): add "${pkg}": "npm:${pkg}@4.22.0" to deno.json "imports", run \`deno install --allow-scripts=npm:${pkg}\`, or use engine "cpu"`;
}

/**
 * Creates the `tensorflow` engine by importing tfjs-node(-gpu), which
 * registers the "tensorflow" backend on the shared tfjs engine.
 *
 * @param options `gpu`: load `@tensorflow/tfjs-node-gpu`
 * @param importer the module loader (tests replace it)
 * @returns the engine
 * @example
 * ```ts ignore
 * const engine = await createTensorflowEngine({ gpu: false });
 * ```
 */
export async function createTensorflowEngine(
  options: { gpu?: boolean } = {},
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<Engine> {
  const gpu = options.gpu ?? false;
  const pkg = tensorflowPackage(gpu);
  // A computed specifier: `deno check` must not try to resolve a package
  // that cannot be installed here.
  const specifier = ["npm", pkg].join(":");
  let tfNode: TfCore;
  try {
    tfNode = await importer(specifier) as TfCore;
  } catch (cause) {
    throw new Error(
      `Cannot create engine "tensorflow": package "${pkg}" could not be loaded; ${
        tensorflowInstallHint(gpu)
      }`,
      { cause },
    );
  }
  // tfjs-node brings the full tfjs (gradients and chained ops included).
  const ok = await tfNode.setBackend("tensorflow");
  if (!ok) {
    throw new Error(
      `Cannot create engine "tensorflow": "${pkg}" loaded but its "tensorflow" backend did not start`,
    );
  }
  return {
    name: "tensorflow",
    description: `tfjs ${tfNode.version_core} tensorflow backend (${pkg})`,
    tf: tfNode,
    ops: createPlainOps(tfNode),
    dispose() {},
  };
}
