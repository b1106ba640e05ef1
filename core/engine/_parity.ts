/**
 * A parity harness for engine tests: runs one op on two {@linkcode NetworkOps}
 * with identical, seeded parameters and compares the outputs, every gradient
 * (input, weights, bias, γ, β, residual) and the updated running statistics
 * by norm-relative error. Used by the `cpu` and `webgpu` engine tests.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { createRng, type Rng } from "../random.ts";
import type {
  BatchNormParams,
  ConvParams,
  NetworkOps,
  TfCore,
} from "./engine.ts";

/** One op call to compare. */
export type ParityCase =
  | {
    kind: "conv3d" | "conv3dTranspose";
    input: number[];
    cout: number;
    k: number;
    stride: number;
    padding: "same" | "valid";
    bias: boolean;
  }
  | {
    kind: "convBn";
    input: number[];
    cout: number;
    k: number;
    stride: number;
    padding: "same" | "valid";
    bias: boolean;
    affine: boolean;
    training: boolean;
    relu: boolean;
    residual: boolean;
  }
  | { kind: "batchNorm"; input: number[]; affine: boolean; training: boolean }
  | { kind: "relu" | "add" | "maxPool3d"; input: number[] }
  | { kind: "concatChannels"; input: number[]; channels: number[] }
  | { kind: "dropout"; input: number[]; rate: number; channelwise: boolean };

/**
 * Norm-relative error `‖a − b‖ / max(‖b‖, floor)`.
 *
 * @param a actual
 * @param b expected
 * @param floor smallest denominator (for results that are zero in exact arithmetic)
 * @returns the error
 */
export function relativeError(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  floor = 1e-30,
): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), floor);
}

let variableCount = 0;

function randomArray(rng: Rng, size: number, scale: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rng.normal() * scale;
  return a;
}

/**
 * Runs `c` on `ops` and returns every result as plain arrays by name. Reads
 * results with `await data()` (tfjs's WebGPU backend cannot `dataSync()` in
 * Deno: its synchronous read-back needs an OffscreenCanvas).
 *
 * @param tf tfjs-core
 * @param ops the ops under test
 * @param c the case
 * @param seed parameters and upstream gradient are drawn from this seed
 * @returns output, gradients and running statistics by name
 */
export async function runCase(
  tf: TfCore,
  ops: NetworkOps,
  c: ParityCase,
  seed: number,
): Promise<Map<string, Float32Array>> {
  const rng = createRng(seed);
  const vars = new Map<string, tfTypes.Variable>();
  const v = (
    name: string,
    shape: number[],
    scale: number,
    trainable = true,
    offset = 0,
  ) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = randomArray(rng, size, scale);
    if (offset !== 0) {
      for (let i = 0; i < size; i++) data[i] = Math.abs(data[i]) + offset;
    }
    const initial = tf.tensor(data, shape);
    const t = tf.variable(initial, trainable, `${name}_${variableCount++}`);
    initial.dispose();
    vars.set(name, t);
    return t;
  };
  const n = c.input;
  const x = v("x", n, 1) as tfTypes.Variable<tfTypes.Rank.R5>;
  let bn: BatchNormParams | null = null;
  let conv: ConvParams | null = null;
  let forward: () => tfTypes.Tensor5D;
  const makeBn = (channels: number, affine: boolean) => {
    const mean = v("movingMean", [channels], 0.1, false);
    const variance = v("movingVariance", [channels], 0.3, false, 0.5);
    return {
      gamma: affine
        ? v("gamma", [channels], 1) as tfTypes.Variable<tfTypes.Rank.R1>
        : null,
      beta: affine
        ? v("beta", [channels], 1) as tfTypes.Variable<tfTypes.Rank.R1>
        : null,
      movingMean: mean as tfTypes.Variable<tfTypes.Rank.R1>,
      movingVariance: variance as tfTypes.Variable<tfTypes.Rank.R1>,
      momentum: 0.1,
      epsilon: 1e-5,
    };
  };
  switch (c.kind) {
    case "conv3d":
    case "conv3dTranspose":
    case "convBn": {
      const cin = n[4];
      const fan = c.k * c.k * c.k * cin;
      const filterShape = c.kind === "conv3dTranspose"
        ? [c.k, c.k, c.k, c.cout, cin]
        : [c.k, c.k, c.k, cin, c.cout];
      conv = {
        filter: v(
          "filter",
          filterShape,
          1 / Math.sqrt(fan),
        ) as tfTypes.Variable<tfTypes.Rank.R5>,
        bias: c.bias
          ? v("bias", [c.cout], 0.1) as tfTypes.Variable<tfTypes.Rank.R1>
          : null,
        strides: c.stride,
        padding: c.padding,
      };
      const cv = conv;
      if (c.kind === "conv3d") forward = () => ops.conv3d(x, cv);
      else if (c.kind === "conv3dTranspose") {
        forward = () => ops.conv3dTranspose(x, cv);
      } else {
        const cb = c as Extract<ParityCase, { kind: "convBn" }>;
        const b = makeBn(cb.cout, cb.affine);
        bn = b;
        // The residual's shape is the conv output's: probe it once.
        const probe = tf.tidy(() =>
          tf.conv3d(x, cv.filter, c.stride, c.padding)
        );
        const probeShape = probe.shape;
        probe.dispose();
        const residual = cb.residual
          ? v("residual", probeShape, 1) as tfTypes.Variable<tfTypes.Rank.R5>
          : undefined;
        forward = () =>
          ops.convBn(x, cv, b, {
            training: cb.training,
            relu: cb.relu,
            residual,
          });
      }
      break;
    }
    case "batchNorm": {
      const b = makeBn(n[4], c.affine);
      bn = b;
      forward = () => ops.batchNorm(x, b, c.training);
      break;
    }
    case "relu":
      forward = () => ops.relu(x);
      break;
    case "add": {
      const y = v("y", n, 1) as tfTypes.Variable<tfTypes.Rank.R5>;
      forward = () => ops.add(x, y);
      break;
    }
    case "maxPool3d":
      forward = () => ops.maxPool3d(x, 2);
      break;
    case "concatChannels": {
      const others = c.channels.map((ch, i) =>
        v(`part${i}`, [n[0], n[1], n[2], n[3], ch], 1) as tfTypes.Variable<
          tfTypes.Rank.R5
        >
      );
      forward = () => ops.concatChannels([x, ...others]);
      break;
    }
    case "dropout":
      forward = () =>
        ops.dropout(x, c.rate, {
          training: true,
          channelwise: c.channelwise,
          seed: 17,
        });
      break;
  }
  const out = new Map<string, Float32Array>();
  const read = async (t: tfTypes.Tensor) =>
    Float32Array.from(await t.data() as Float32Array);
  const trainable = [...vars.entries()].filter(([, t]) => t.trainable);
  // Weighting the output by a fixed random tensor makes every gradient non-trivial.
  let weights: tfTypes.Tensor | null = null;
  let output: tfTypes.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const y = forward();
    weights ??= tf.tensor(randomArray(createRng(seed + 1), y.size, 1), y.shape);
    output = tf.keep(tf.clone(y));
    return tf.sum(tf.mul(y, weights)) as tfTypes.Scalar;
  }, trainable.map(([, t]) => t));
  out.set("output", await read(output!));
  for (const [name, t] of trainable) {
    out.set(`d_${name}`, await read(grads[t.name]));
  }
  if (bn !== null) {
    const params = bn as BatchNormParams;
    out.set("movingMean", await read(params.movingMean));
    out.set("movingVariance", await read(params.movingVariance));
  }
  tf.dispose([value, ...Object.values(grads), ...vars.values()]);
  tf.dispose([weights!, output!]);
  void conv;
  return out;
}

/**
 * Runs `c` on both op sets and returns the largest relative error with the
 * name of the result where it occurs.
 *
 * @param tf tfjs-core
 * @param reference the oracle (plain tfjs ops)
 * @param candidate the ops under test
 * @param c the case
 * @param seed parameter seed
 * @returns worst error, where, and every error by name
 */
export async function compareOps(
  tf: TfCore,
  reference: NetworkOps,
  candidate: NetworkOps,
  c: ParityCase,
  seed: number,
): Promise<{ worst: number; where: string; errors: Record<string, number> }> {
  const a = await runCase(tf, reference, c, seed);
  const b = await runCase(tf, candidate, c, seed);
  return compareResults(c, a, b);
}

/**
 * Compares two results of {@linkcode runCase} for the same case.
 *
 * @param c the case (decides which results are compared absolutely)
 * @param expected the reference results
 * @param actual the results under test
 * @returns worst error, where, and every error by name
 */
export function compareResults(
  c: ParityCase,
  expected: Map<string, Float32Array>,
  actual: Map<string, Float32Array>,
): { worst: number; where: string; errors: Record<string, number> } {
  const errors: Record<string, number> = {};
  let worst = 0;
  let where = "";
  for (const [name, want] of expected) {
    const got = actual.get(name);
    // A conv bias followed by batch norm in training has a zero gradient in
    // exact arithmetic; both sides hold rounding noise, compared absolutely
    // (against a unit-sized gradient).
    const floor = c.kind === "convBn" && c.training && name === "d_bias"
      ? Math.sqrt(want.length)
      : 1e-30;
    const e = got === undefined ? Infinity : relativeError(got, want, floor);
    errors[name] = e;
    if (!(e <= worst)) {
      worst = e;
      where = name;
    }
  }
  return { worst, where, errors };
}
