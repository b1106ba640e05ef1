// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * One training step of the reference detector (resunet150 + rpn3d head,
 * balanced loss, SGD with momentum 0.9, lr 0.01) on a cubic crop, batch 1,
 * on one engine (default `webgpu`): one warm-up step (which on WebGPU
 * includes shader compilation), then timed steps. Not a `bench/main.ts`
 * section: it needs a GPU to be worth running.
 *
 * The step is its own (not `_detector.ts`'s): on tfjs WebGPU in Deno
 * `dataSync()` throws, so the miner cannot read logits mid-step. The
 * balanced loss gets a fixed selection computed once from the head's
 * targets (the positives plus 2 random candidate negatives per sample, as
 * many as the topk miner's k = 2 would choose); every other part is the
 * real plugin. Each step is: forward (backbone + head) → loss →
 * `tf.variableGrads` → `optimizer.applyGradients` → `await loss.data()`,
 * which waits for the GPU queue (updates included: it runs in order).
 *
 * Usage (any machine, from source):
 *
 * ```sh
 * deno run -A bench/gpu_step.ts --engine webgpu --size 64,128 --steps 3
 * deno run -A bench/gpu_step.ts --engine cpu --size 32
 * ```
 *
 * `--budget S` stops taking more steps of one size once the next would likely
 * end more than S seconds after that size began (the warm-up and one timed
 * step always run).
 *
 * On a GPU machine with neither node_modules nor a registry, bundle it here
 * into one self-contained file (tfjs included; the gradient registration
 * that `core/engine/_tf.ts` bundles at run time is bundled now instead;
 * onnxruntime-node becomes a stub, so only `webgpu` and `tfjs-cpu` run from
 * the bundle), then run the bundle there with a plain `deno` binary:
 *
 * ```sh
 * deno run -A bench/gpu_step.ts --bundle .gpu/gpu_step.js
 * # on the GPU machine (the Vulkan loader must be installed: libvulkan1)
 * deno run -A --v8-flags=--max-old-space-size=16000 .gpu/gpu_step.js --size 64,128
 * ```
 *
 * If no adapter is found there, point the Vulkan loader at the driver, e.g.
 * `VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json`.
 *
 * Prints the adapter, each step's seconds, and a final JSON line.
 *
 * Measured once on an NVIDIA H100 80GB (Vulkan, Deno 2.9.6, tfjs 4.22):
 * 64³ first 9.3 s then 7.5, 7.6, 6.8 s; 128³ first 65.3 s then 61.0 s
 * (about 17–19 GFLOP/s: tfjs's WebGPU conv3d kernels, not the GPU, set the
 * pace).
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine } from "../core/engine/mod.ts";
import { ENGINE_NAMES, type EngineName } from "../core/engine/engine.ts";
import type { MinerSelection } from "../core/miner.ts";
import { createRng } from "../core/random.ts";
import { backboneInputs } from "../core/testing/backbone_contract.ts";
import { detectorParts, peakRssGib } from "./_detector.ts";

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** Parsed command line. */
interface Args {
  engine: EngineName;
  sizes: number[];
  steps: number;
  budget: number;
  bundle: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    engine: "webgpu",
    sizes: [64, 128],
    steps: 3,
    budget: Infinity,
    bundle: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i], value = argv[i + 1];
    if (value === undefined) {
      throw new TypeError(`gpu_step: option "${flag}" needs a value`);
    }
    i++;
    if (flag === "--engine") {
      if (!(ENGINE_NAMES as readonly string[]).includes(value)) {
        throw new TypeError(
          `gpu_step: --engine is "${value}", expected one of ${
            ENGINE_NAMES.join(", ")
          }`,
        );
      }
      args.engine = value as EngineName;
    } else if (flag === "--size") {
      args.sizes = value.split(",").map(Number);
      if (args.sizes.some((s) => !Number.isInteger(s) || s < 32 || s % 16)) {
        throw new TypeError(
          `gpu_step: --size is "${value}", expected comma-separated multiples of 16 (the largest stride), at least 32`,
        );
      }
    } else if (flag === "--steps") {
      args.steps = Number(value);
      if (!Number.isInteger(args.steps) || args.steps < 1) {
        throw new TypeError(
          `gpu_step: --steps is "${value}", expected an integer >= 1`,
        );
      }
    } else if (flag === "--budget") {
      args.budget = Number(value);
      if (!(args.budget > 0)) {
        throw new TypeError(
          `gpu_step: --budget is "${value}", expected seconds > 0`,
        );
      }
    } else if (flag === "--bundle") {
      args.bundle = value;
    } else {
      throw new TypeError(
        `gpu_step: unknown option "${flag}", expected --engine, --size, --steps, --budget or --bundle`,
      );
    }
  }
  return args;
}

/** The adapter `navigator.gpu` offers, in words, or why there is none. */
async function adapterInfo(): Promise<Record<string, string>> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined || gpu === null) return { error: "no navigator.gpu" };
  const adapter = await gpu.requestAdapter({
    powerPreference: "high-performance",
  });
  if (adapter === null) return { error: "requestAdapter() returned null" };
  const { vendor, architecture, device, description } = adapter.info;
  return {
    vendor,
    architecture,
    device,
    description,
    maxBufferSize: String(adapter.limits.maxBufferSize),
    maxStorageBufferBindingSize: String(
      adapter.limits.maxStorageBufferBindingSize,
    ),
  };
}

/** One size's result. */
interface SizeResult {
  size: number;
  first_s?: number;
  steps_s?: number[];
  steady_s?: number;
  gflops?: number;
  losses?: number[];
  error?: string;
}

async function measure(args: Args): Promise<void> {
  const adapter = await adapterInfo();
  console.log(`adapter: ${JSON.stringify(adapter)}`);
  const parts = detectorParts("resunet150");
  const engine = await createEngine(args.engine);
  const tf = engine.tf;
  console.log(`engine: ${engine.description}`);
  const body = parts.backbone.build(engine, createRng(1));
  const headNet = parts.head.build(engine, parts.backbone.output, createRng(2));
  const variables = [
    ...body.trainable,
    ...headNet.trainable,
  ] as tfTypes.Variable[];
  const optimizer = tf.train.momentum(0.01, 0.9);
  const stride = parts.backbone.output.stride;
  const results: SizeResult[] = [];
  for (const size of args.sizes) {
    const result: SizeResult = { size };
    results.push(result);
    const rng = createRng(3);
    const c = size / 2;
    const labels = parts.head.targets(
      {
        cropShape: [size, size, size],
        target: { voxel: [c, c, c], diameter: 10 },
        nodules: [{ voxel: [c, c, c], diameter: 10 }],
      },
      true,
      rng,
    );
    const rows = labels.length / 5;
    const positives: number[] = [], candidates: number[] = [];
    for (let r = 0; r < rows; r++) {
      if (labels[r * 5] === 1) positives.push(r);
      else if (labels[r * 5] === -1) candidates.push(r);
    }
    const negatives = [0, 1].map(() => candidates[rng.int(candidates.length)]);
    const selection: MinerSelection = {
      positives: Int32Array.from(positives),
      negatives: Int32Array.from(negatives),
    };
    const { image, coord } = backboneInputs(
      engine,
      stride,
      1,
      [size, size, size],
      7,
    );
    const targets = tf.tensor2d(labels, [rows, 5]);
    const times: number[] = [], losses: number[] = [];
    try {
      const begin = performance.now();
      for (let s = 0; s <= args.steps; s++) {
        // After the warm-up and one timed step, stop when the next step
        // would likely end past this size's budget.
        const spent = (performance.now() - begin) / 1000;
        if (s >= 2 && spent + times[times.length - 1] > args.budget) {
          console.log(`${size}³: budget of ${args.budget} s reached`);
          break;
        }
        const t0 = performance.now();
        const { value, grads } = tf.variableGrads(() => {
          const features = body.apply(image, coord, true);
          const output = tf.reshape(
            headNet.apply(features, true),
            [-1, 5],
          ) as tfTypes.Tensor2D;
          return parts.loss.compute({ tf, output, targets, selection }).total;
        }, variables);
        optimizer.applyGradients(
          Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
        );
        const loss = (await value.data())[0];
        const seconds = (performance.now() - t0) / 1000;
        tf.dispose([value, ...Object.values(grads)]);
        times.push(seconds);
        losses.push(loss);
        console.log(
          `${size}³ step ${s}${s === 0 ? " (warm-up)" : ""}: ${
            fmt(seconds, 3)
          } s, loss ${fmt(loss, 4)}, tensors ${tf.memory().numTensors}`,
        );
      }
      const steady = Math.min(...times.slice(1));
      const gflop = 3 * 2 * parts.multiplyAdds(size) / 1e9;
      Object.assign(result, {
        first_s: Number(fmt(times[0], 3)),
        steps_s: times.slice(1).map((t) => Number(fmt(t, 3))),
        steady_s: Number(fmt(steady, 3)),
        gflops: Number(fmt(gflop / steady, 1)),
        losses: losses.map((l) => Number(fmt(l, 4))),
      });
      console.log(
        `${size}³ train step: first ${fmt(times[0])} s, then ${
          times.slice(1).map((t) => fmt(t)).join(", ")
        } s → ${fmt(steady)} s, ${fmt(gflop / steady, 1)} GFLOP/s`,
      );
    } catch (cause) {
      result.error = cause instanceof Error
        ? `${cause.name}: ${cause.message}`
        : String(cause);
      console.log(`${size}³ failed: ${result.error}`);
    } finally {
      tf.dispose([image, coord, targets]);
    }
  }
  optimizer.dispose();
  body.dispose();
  headNet.dispose();
  engine.dispose();
  console.log(JSON.stringify({
    engine: args.engine,
    engine_description: engine.description,
    adapter,
    peak_rss_gib: Number(fmt(peakRssGib())),
    results,
  }));
}

/**
 * Bundles this file into one ESM file that runs without node_modules: the
 * run-time esbuild step of `core/engine/_tf.ts` is replaced by static
 * imports of tfjs-core's gradient and chained-op registrations, and
 * onnxruntime-node by a stub that throws when used.
 */
async function bundle(outfile: string): Promise<void> {
  const esbuild = await import("esbuild");
  const tfModule = /core[\\/]engine[\\/]_tf\.ts$/;
  const start =
    "async function registerGradientsAndChainedOps(): Promise<void> {";
  const end = "  registerConv3dTransposeGradient();\n}";
  try {
    await esbuild.build({
      entryPoints: [new URL(import.meta.url).pathname],
      outfile,
      bundle: true,
      format: "esm",
      // tfjs-core takes Deno for Node and `require`s "util": a real
      // `require` from the banner serves it; the ESM entry points ("module")
      // keep one copy of tfjs-core for the gradient registrations.
      platform: "node",
      mainFields: ["module", "main"],
      banner: {
        js:
          'import { createRequire as __pleuraRequire } from "node:module";\n' +
          "const require = __pleuraRequire(import.meta.url);",
      },
      target: "esnext",
      external: ["node:*", "esbuild", "node-fetch"],
      logLevel: "warning",
      plugins: [{
        name: "pleura-gpu-bundle",
        setup(build) {
          // Bare npm names resolve from the repo's node_modules.
          build.onResolve({ filter: /^onnxruntime-node/ }, (a) => ({
            path: a.path,
            namespace: "ort-stub",
          }));
          build.onLoad({ filter: /.*/, namespace: "ort-stub" }, () => ({
            contents:
              'module.exports = new Proxy({}, { get(_, key) { if (key === "__esModule") return false; throw new Error("onnxruntime-node is not in this bundle (" + String(key) + ")"); } });',
            loader: "js",
          }));
          build.onLoad({ filter: tfModule }, async (a) => {
            const source = await Deno.readTextFile(a.path);
            const i = source.indexOf(start), j = source.indexOf(end, i);
            if (i < 0 || j < 0) {
              throw new Error(
                `gpu_step --bundle: ${a.path} no longer has registerGradientsAndChainedOps() ending in registerConv3dTransposeGradient(); update the bundler`,
              );
            }
            const contents =
              'import "@tensorflow/tfjs-core/dist/register_all_gradients.js";\n' +
              'import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js";\n' +
              source.slice(0, i) + start + "\n" + end +
              source.slice(j + end.length);
            return { contents, loader: "ts" };
          });
        },
      }],
    });
  } finally {
    await esbuild.stop();
  }
  const bytes = (await Deno.stat(outfile)).size;
  console.log(`wrote ${outfile} (${fmt(bytes / 2 ** 20, 1)} MiB)`);
}

if (import.meta.main) {
  let args: Args;
  try {
    args = parseArgs(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
  if (args.bundle !== null) await bundle(args.bundle);
  else await measure(args);
}
