// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench ops`: the reference ResNet-UNet's layers at a 64³ crop,
 * op by op, forward and backward (input and weight gradients), on the `cpu`
 * engine against `tfjs-cpu`. tfjs-cpu runs each op on a crop 4× smaller per
 * axis (64× fewer FLOPs/voxels) and its time is scaled up by the work ratio.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine } from "../core/engine/mod.ts";
import type {
  BatchNormParams,
  ConvParams,
  Engine,
} from "../core/engine/engine.ts";
import { createRng } from "../core/random.ts";
import type { BenchSection } from "./main.ts";
import { buildReferenceNet } from "./_reference_net.ts";

type Shape5 = [number, number, number, number, number];

/** One benchmarked layer. */
interface OpCase {
  /** Row label. */
  readonly name: string;
  /** What runs. */
  readonly kind: "conv" | "convBn" | "bnRelu" | "pool" | "up";
  /** Input `[n, d, h, w, c]` at the 64³ crop. */
  readonly input: Shape5;
  /** Output channels (convs). */
  readonly cout: number;
  /** Kernel size (convs). */
  readonly k: number;
}

const CASES: readonly OpCase[] = [
  {
    name: "conv 24→24 @64³",
    kind: "conv",
    input: [1, 64, 64, 64, 24],
    cout: 24,
    k: 3,
  },
  {
    name: "conv 32→32 @64³",
    kind: "conv",
    input: [1, 64, 64, 64, 32],
    cout: 32,
    k: 3,
  },
  {
    name: "conv 64→64 @32³",
    kind: "conv",
    input: [1, 32, 32, 32, 64],
    cout: 64,
    k: 3,
  },
  {
    name: "conv 128→64 @16³",
    kind: "conv",
    input: [1, 16, 16, 16, 128],
    cout: 64,
    k: 3,
  },
  {
    name: "conv 131→128 @32³",
    kind: "conv",
    input: [1, 32, 32, 32, 131],
    cout: 128,
    k: 3,
  },
  {
    name: "conv1³ 131→128 @32³",
    kind: "conv",
    input: [1, 32, 32, 32, 131],
    cout: 128,
    k: 1,
  },
  {
    name: "convBn+res+ReLU 32 @64³",
    kind: "convBn",
    input: [1, 64, 64, 64, 32],
    cout: 32,
    k: 3,
  },
  {
    name: "BN+ReLU 24 @64³",
    kind: "bnRelu",
    input: [1, 64, 64, 64, 24],
    cout: 24,
    k: 0,
  },
  {
    name: "max-pool 24 @64³",
    kind: "pool",
    input: [1, 64, 64, 64, 24],
    cout: 24,
    k: 2,
  },
  {
    name: "up-conv 64 @16³→32³",
    kind: "up",
    input: [1, 16, 16, 16, 64],
    cout: 64,
    k: 2,
  },
];

/** Multiply-adds ×2 of one forward pass (0 for memory-bound ops). */
function forwardFlops(c: OpCase, input: Shape5): number {
  const voxels = input[0] * input[1] * input[2] * input[3];
  const cin = input[4];
  if (c.kind === "conv" || c.kind === "convBn") {
    return 2 * voxels * cin * c.cout * c.k ** 3;
  }
  if (c.kind === "up") return 2 * voxels * cin * c.cout * c.k ** 3;
  return 0;
}

/** The fastest repetition: the least disturbed by other work on the machine. */
function fastest(values: number[]): number {
  return Math.min(...values);
}

/** Times forward and forward+backward of one case; returns seconds. */
function timeCase(
  engine: Engine,
  c: OpCase,
  input: Shape5,
  reps: number,
): { forward: number; backward: number } {
  const tf = engine.tf;
  const rng = createRng(7);
  const random = (shape: number[], scale: number) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = rng.normal() * scale;
    return tf.tensor(data, shape);
  };
  const cin = input[4];
  const x = random(input, 1) as tfTypes.Tensor5D;
  const tensors: tfTypes.Tensor[] = [x];
  const filterShape = c.kind === "up"
    ? [c.k, c.k, c.k, c.cout, cin]
    : [c.k, c.k, c.k, cin, c.cout];
  const filter = c.k > 0 && c.kind !== "pool"
    ? tf.variable(random(filterShape, 1 / Math.sqrt(cin * c.k ** 3)))
    : null;
  const bias = filter !== null ? tf.variable(random([c.cout], 0.1)) : null;
  const ch = c.kind === "pool" ? cin : c.cout;
  const bn: BatchNormParams = {
    gamma: tf.variable(tf.ones([ch])),
    beta: tf.variable(tf.zeros([ch])),
    movingMean: tf.variable(tf.zeros([ch]), false),
    movingVariance: tf.variable(tf.ones([ch]), false),
    momentum: 0.1,
    epsilon: 1e-5,
  };
  tensors.push(bn.gamma!, bn.beta!, bn.movingMean, bn.movingVariance);
  if (filter !== null) tensors.push(filter, bias!);
  const conv = (f: tfTypes.Tensor, b: tfTypes.Tensor): ConvParams => ({
    filter: f as tfTypes.Variable<tfTypes.Rank.R5>,
    bias: b as tfTypes.Variable<tfTypes.Rank.R1>,
    strides: c.kind === "up" ? c.k : 1,
    padding: "same",
  });
  const residual = c.kind === "convBn"
    ? random(
      [input[0], input[1], input[2], input[3], c.cout],
      1,
    ) as tfTypes.Tensor5D
    : null;
  if (residual !== null) tensors.push(residual);
  const ops = engine.ops;
  const apply = (args: tfTypes.Tensor[], training: boolean): tfTypes.Tensor => {
    const [xi, f, b] = args as [
      tfTypes.Tensor5D,
      tfTypes.Tensor,
      tfTypes.Tensor,
    ];
    switch (c.kind) {
      case "conv":
        return ops.conv3d(xi, conv(f, b));
      case "up":
        return ops.conv3dTranspose(xi, conv(f, b));
      case "convBn":
        return ops.convBn(xi, conv(f, b), bn, {
          training,
          relu: true,
          residual: residual!,
        });
      case "bnRelu":
        return ops.relu(ops.batchNorm(xi, bn, training));
      case "pool":
        return ops.maxPool3d(xi, 2);
    }
  };
  const args: tfTypes.Tensor[] = filter !== null ? [x, filter, bias!] : [x];
  const probe = tf.tidy(() => apply(args, false));
  const dy = random(probe.shape, 1);
  probe.dispose();
  tensors.push(dy);
  const forward: number[] = [];
  const total: number[] = [];
  for (let r = 0; r <= reps; r++) {
    let t0 = performance.now();
    tf.tidy(() => {
      apply(args, false).dataSync();
    });
    if (r > 0) forward.push(performance.now() - t0);
    t0 = performance.now();
    tf.tidy(() => {
      const grads = tf.grads((...a: tfTypes.Tensor[]) => apply(a, true))(
        args,
        dy,
      );
      for (const g of grads) g.dataSync();
    });
    if (r > 0) total.push(performance.now() - t0);
  }
  tf.dispose(tensors);
  const f = fastest(forward) / 1000;
  return { forward: f, backward: Math.max(fastest(total) / 1000 - f, 0) };
}

/** Peak resident memory of this process so far, GiB (Linux `VmHWM`). */
function peakRssGiB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kib / 1024 / 1024;
  } catch {
    return NaN;
  }
}

/**
 * One training step (forward, all gradients) and one inference forward pass
 * of the reference-shaped network; returns the fastest of `steps`, seconds.
 */
function timeStep(
  engine: Engine,
  size: number,
  steps: number,
): { train: number; infer: number } {
  const tf = engine.tf;
  const net = buildReferenceNet(engine, 1);
  const x = tf.randomNormal(
    [1, size, size, size, 1],
    0,
    1,
    "float32",
    2,
  ) as tfTypes.Tensor5D;
  const s4 = size / 4;
  const coord = tf.randomUniform(
    [1, s4, s4, s4, 3],
    -0.5,
    0.5,
    "float32",
    3,
  ) as tfTypes.Tensor5D;
  const train: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(net.apply(x, coord, true))) as tfTypes.Scalar,
      net.trainable,
    );
    value.dataSync();
    train.push(performance.now() - t0);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const t0 = performance.now();
  tf.tidy(() => net.apply(x, coord, false).dataSync());
  const infer = performance.now() - t0;
  tf.dispose([x, coord]);
  net.dispose();
  return { train: fastest(train) / 1000, infer: infer / 1000 };
}

/** Runs the op table; prints it and returns the key numbers. */
export const run: BenchSection = async () => {
  const reps = Number(Deno.env.get("BENCH_REPS") ?? 3);
  const cpu = await createEngine("cpu");
  console.log(`cpu engine: ${cpu.description}`);
  const cpuTimes = CASES.map((c) => timeCase(cpu, c, c.input, reps));
  const step64 = timeStep(cpu, 64, 2);
  const step128 = Deno.env.get("BENCH_STEP_128") === "1"
    ? timeStep(cpu, 128, 1)
    : null;
  const peak = peakRssGiB();
  cpu.dispose();
  const tfjs = await createEngine("tfjs-cpu");
  const small = (
    s: Shape5,
  ): Shape5 => [s[0], s[1] / 4, s[2] / 4, s[3] / 4, s[4]];
  const tfjsTimes = CASES.map((c) => {
    const t = timeCase(tfjs, c, small(c.input), Math.min(reps, 2));
    return { forward: t.forward * 64, backward: t.backward * 64 };
  });
  tfjs.dispose();

  const rows: string[][] = [[
    "op (64³ crop)",
    "cpu fwd ms",
    "cpu bwd ms",
    "fwd GF/s",
    "bwd GF/s",
    "tfjs fwd ms*",
    "tfjs bwd ms*",
    "speed-up f/b",
  ]];
  const summary: Record<string, number> = {};
  CASES.forEach((c, i) => {
    const a = cpuTimes[i];
    const b = tfjsTimes[i];
    const flops = forwardFlops(c, c.input);
    const gf = (work: number, s: number) =>
      work > 0 ? (work / s / 1e9).toFixed(1) : "-";
    rows.push([
      c.name,
      (a.forward * 1000).toFixed(1),
      (a.backward * 1000).toFixed(1),
      gf(flops, a.forward),
      gf(2 * flops, a.backward),
      (b.forward * 1000).toFixed(0),
      (b.backward * 1000).toFixed(0),
      `${(b.forward / a.forward).toFixed(0)}× / ${
        (b.backward / a.backward).toFixed(0)
      }×`,
    ]);
    const key = c.name.replace(/[^A-Za-z0-9]+/g, "_").replace(/_$/, "");
    summary[`ops_${key}_fwd_ms`] = Math.round(a.forward * 10000) / 10;
    summary[`ops_${key}_bwd_ms`] = Math.round(a.backward * 10000) / 10;
  });
  const widths = rows[0].map((_, j) =>
    Math.max(...rows.map((r) => r[j].length))
  );
  for (const r of rows) {
    console.log(
      r.map((cell, j) =>
        j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j])
      ).join("  "),
    );
  }
  console.log(
    "* tfjs-cpu measured at a 16³ crop (¼ per axis) and scaled ×64; bwd = input + weight gradients",
  );
  console.log(
    `reference-shaped network, cpu engine, batch 1: training step at 64³ ${
      step64.train.toFixed(2)
    } s (PyTorch 1.13 on 2 threads: 2.9 s), inference forward at 64³ ${
      step64.infer.toFixed(2)
    } s`,
  );
  summary.ops_step64_train_s = Math.round(step64.train * 100) / 100;
  summary.ops_step64_infer_s = Math.round(step64.infer * 100) / 100;
  if (step128 !== null) {
    console.log(
      `training step at 128³ ${
        step128.train.toFixed(1)
      } s, inference forward at 128³ ${
        step128.infer.toFixed(1)
      } s (PyTorch: 5.2 s)`,
    );
    summary.ops_step128_train_s = Math.round(step128.train * 10) / 10;
    summary.ops_step128_infer_s = Math.round(step128.infer * 10) / 10;
  }
  console.log(
    `peak resident memory of the cpu-engine part: ${peak.toFixed(2)} GiB${
      step128 === null ? " (set BENCH_STEP_128=1 for the 128³ step)" : ""
    }`,
  );
  summary.ops_peak_rss_gib = Math.round(peak * 100) / 100;
  return summary;
};
