/**
 * The one place that loads TensorFlow.js at run time. tfjs-core's Node entry
 * point (`dist/tf-core.node.js`) ships neither the gradient registrations nor
 * the chained ops (`x.sum()`); the ESM files that hold them
 * (`dist/register_all_gradients.js`,
 * `dist/public/chained_ops/register_all_chained_ops.js`) use extensionless
 * relative imports that Deno cannot load. So they are bundled once per
 * process with esbuild (already a locked dependency) and imported from a
 * `data:` URL. tfjs keeps its engine, kernel/gradient registries and Tensor
 * class in globals, so the bundled copy registers into the same engine as
 * `@tensorflow/tfjs-core`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
// Types only: tfjs-core's declarations of the chained ops (`x.sum()`), which
// its index.d.ts leaves out; the run-time half is registered by loadTf().
import type {} from "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.d.ts";
import "@tensorflow/tfjs-backend-cpu";
import { createRequire } from "node:module";
import { dirname } from "node:path";

// tfjs prints "running in Node.js, install tfjs-node" on first use of the cpu
// backend and warns when flags/platforms register twice; `PROD` is tfjs's own
// switch (`enableProdMode`) that silences `backend_util.warn`/`log` and
// affects nothing else.
tf.env().set("PROD", true);

/** tfjs-core, with the cpu backend registered. */
export { tf };

let ready: Promise<void> | null = null;

/**
 * Registers every gradient and chained op (once per process) and sets float32
 * precision. Idempotent; safe to call concurrently.
 *
 * @returns resolves when `tf.grad` and `x.sum()` work
 */
export function loadTf(): Promise<void> {
  ready ??= registerGradientsAndChainedOps().catch((cause) => {
    ready = null;
    throw new Error(
      `Cannot load TensorFlow.js gradients: bundling tfjs-core's ESM files failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  });
  return ready;
}

async function registerGradientsAndChainedOps(): Promise<void> {
  const require = createRequire(import.meta.url);
  const coreDist = dirname(require.resolve("@tensorflow/tfjs-core"));
  const esbuild = await import("esbuild");
  let code: string;
  try {
    const result = await esbuild.build({
      stdin: {
        contents: 'import "./register_all_gradients.js";\n' +
          'import "./public/chained_ops/register_all_chained_ops.js";\n',
        resolveDir: coreDist,
        loader: "js",
      },
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      // Only needed by tfjs's fetch platform helper, never called here.
      external: ["node-fetch"],
      logLevel: "silent",
    });
    code = result.outputFiles[0].text;
  } finally {
    await esbuild.stop();
  }
  const bytes = new TextEncoder().encode(code);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  await import(`data:text/javascript;base64,${btoa(binary)}`);
  registerConv3dTransposeGradient();
}

/**
 * tfjs 4.22 has no gradient for `Conv3DBackpropInputV2`, the kernel behind
 * `tf.conv3dTranspose`. With `dx = convBackpropInput(dy, f)` and upstream
 * `g`: `⟨g, dx⟩ = ⟨conv3d(g, f), dy⟩`, so the gradient for `dy` is
 * `conv3d(g, f)` and for `f` it is `conv3DBackpropFilter(x = g, dy)`.
 */
function registerConv3dTransposeGradient(): void {
  const kernelName = "Conv3DBackpropInputV2";
  if (tf.getGradient(kernelName) != null) return;
  tf.registerGradient({
    kernelName,
    inputsToSave: ["dy", "filter"],
    gradFunc: (g, saved, attrs) => {
      const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as {
        strides: [number, number, number] | number;
        pad: "valid" | "same";
      };
      const upstream = g as tf.Tensor5D;
      return {
        dy: () => tf.conv3d(upstream, filter, strides, pad),
        filter: () =>
          tf.engine().runKernel("Conv3DBackpropFilterV2", {
            x: upstream,
            dy,
          }, {
            strides,
            pad,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor5D,
      };
    },
  });
}
