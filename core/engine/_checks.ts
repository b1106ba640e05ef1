/**
 * Argument checks and helpers shared by every engine's ops: shape checks with
 * clear errors, TF-style 'same' padding, and the seeded dropout mask (drawn
 * in JS from {@linkcode createRng} so every engine drops the same elements).
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { ShapeError } from "../errors.ts";
import { createRng } from "../random.ts";
import type { BatchNormParams, ConvParams } from "./engine.ts";

/** Throws a ShapeError unless `x` is rank 5. */
export function checkRank5(what: string, x: tfTypes.Tensor): void {
  if (x.rank !== 5) {
    throw new ShapeError(what, [null, null, null, null, null], x.shape);
  }
}

/** Checks a convolution's input against its filter (and bias); returns `[k, cin, cout]`. */
export function checkConv(
  op: string,
  x: tfTypes.Tensor,
  conv: ConvParams,
  transpose: boolean,
): [k: number, cin: number, cout: number] {
  checkRank5(`${op} input`, x);
  const f = conv.filter.shape;
  if (f.length !== 5 || f[0] !== f[1] || f[1] !== f[2]) {
    throw new ShapeError(`${op} filter`, [null, null, null, null, null], f);
  }
  const k = f[0];
  const cin = transpose ? f[4] : f[3];
  const cout = transpose ? f[3] : f[4];
  if (x.shape[4] !== cin) {
    throw new ShapeError(
      `${op} input (channels must match the filter)`,
      [null, null, null, null, cin],
      x.shape,
    );
  }
  if (
    conv.bias !== null && (conv.bias.rank !== 1 || conv.bias.shape[0] !== cout)
  ) {
    throw new ShapeError(`${op} bias`, [cout], conv.bias.shape);
  }
  if (!Number.isInteger(conv.strides) || conv.strides < 1) {
    throw new RangeError(
      `Cannot run ${op}: strides is "${conv.strides}", expected an integer >= 1`,
    );
  }
  if (transpose && conv.strides !== k) {
    throw new RangeError(
      `Cannot run ${op}: strides is "${conv.strides}", expected the kernel size "${k}" (kernel = stride)`,
    );
  }
  if (!transpose && conv.padding === "valid") {
    for (let a = 1; a <= 3; a++) {
      if (x.shape[a] < k) {
        throw new ShapeError(
          `${op} input (spatial size below the kernel with 'valid' padding)`,
          [null, k, k, k, cin],
          x.shape,
        );
      }
    }
  }
  return [k, cin, cout];
}

/** Checks batch-norm parameters against the channel count. */
export function checkBatchNorm(
  x: tfTypes.Tensor,
  bn: BatchNormParams,
): void {
  checkRank5("batchNorm input", x);
  const c = x.shape[4] as number;
  const check = (name: string, t: tfTypes.Tensor | null) => {
    if (t !== null && (t.rank !== 1 || t.shape[0] !== c)) {
      throw new ShapeError(`batchNorm ${name}`, [c], t.shape);
    }
  };
  check("gamma", bn.gamma);
  check("beta", bn.beta);
  check("movingMean", bn.movingMean);
  check("movingVariance", bn.movingVariance);
  if (!(bn.momentum >= 0 && bn.momentum <= 1)) {
    throw new RangeError(
      `Cannot run batchNorm: momentum is "${bn.momentum}", expected a number in [0, 1]`,
    );
  }
  if (!(bn.epsilon > 0)) {
    throw new RangeError(
      `Cannot run batchNorm: epsilon is "${bn.epsilon}", expected a number > 0`,
    );
  }
}

/** Checks that tensors have equal shapes (for add and residuals). */
export function checkSameShape(
  what: string,
  a: tfTypes.Tensor,
  b: tfTypes.Tensor,
): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(what, a.shape, b.shape);
  }
}

/** Checks a max-pool call; returns the output spatial sizes. */
export function checkPool(
  x: tfTypes.Tensor,
  size: number,
): [number, number, number] {
  checkRank5("maxPool3d input", x);
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot run maxPool3d: size is "${size}", expected an integer >= 1`,
    );
  }
  const out = [1, 2, 3].map((a) => Math.floor(x.shape[a] / size));
  if (out.some((o) => o < 1)) {
    throw new ShapeError(
      `maxPool3d input (spatial size below the window)`,
      [null, size, size, size, null],
      x.shape,
    );
  }
  return out as [number, number, number];
}

/** Checks channel concatenation inputs (equal batch and spatial sizes). */
export function checkConcat(xs: readonly tfTypes.Tensor[]): void {
  if (xs.length === 0) {
    throw new RangeError(
      "Cannot run concatChannels: got no tensors, expected at least one",
    );
  }
  for (const x of xs) {
    checkRank5("concatChannels input", x);
    const s = xs[0].shape as number[];
    if ([0, 1, 2, 3].some((a) => x.shape[a] !== s[a])) {
      throw new ShapeError(
        "concatChannels input (batch and spatial sizes must agree)",
        [s[0], s[1], s[2], s[3], null],
        x.shape,
      );
    }
  }
}

/**
 * TF-style padding of one axis: output size and the padding before it
 * ('same' pads `total = max((out − 1)·s + k − in, 0)`, `floor(total/2)` in front).
 *
 * @param size input size
 * @param k kernel size
 * @param stride stride
 * @param padding 'same' or 'valid'
 * @returns `[outSize, padBefore, padAfter]`
 * @example
 * ```ts
 * import { convPadding } from "./_checks.ts";
 * convPadding(64, 3, 2, "same"); // [32, 0, 1]
 * ```
 */
export function convPadding(
  size: number,
  k: number,
  stride: number,
  padding: "same" | "valid",
): [number, number, number] {
  if (padding === "valid") {
    return [Math.floor((size - k) / stride) + 1, 0, 0];
  }
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  const before = Math.floor(total / 2);
  return [out, before, total - before];
}

/**
 * The dropout mask, drawn from `createRng(seed)`: already scaled (0 or
 * `1/(1 − rate)`). Element-wise: one value per element of `shape`
 * (row-major); channel-wise (PyTorch Dropout3d): one per sample × channel,
 * laid out `[batch, 1, 1, 1, channels]`.
 *
 * @param shape the input's shape `[n, d, h, w, c]`
 * @param rate drop probability in [0, 1)
 * @param channelwise one draw per sample and channel
 * @param seed the mask's seed
 * @returns the mask values and the mask's shape
 * @example
 * ```ts
 * import { dropoutMask } from "./_checks.ts";
 * dropoutMask([1, 1, 1, 1, 4], 0.5, true, 3).shape; // [1, 1, 1, 1, 4]
 * ```
 */
export function dropoutMask(
  shape: readonly number[],
  rate: number,
  channelwise: boolean,
  seed: number,
): { values: Float32Array; shape: [number, number, number, number, number] } {
  const maskShape: [number, number, number, number, number] = channelwise
    ? [shape[0], 1, 1, 1, shape[4]]
    : [shape[0], shape[1], shape[2], shape[3], shape[4]];
  const size = maskShape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  const rng = createRng(seed);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < size; i++) values[i] = rng.next() >= rate ? keep : 0;
  return { values, shape: maskShape };
}

/** Checks a dropout rate. */
export function checkDropout(x: tfTypes.Tensor, rate: number): void {
  checkRank5("dropout input", x);
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(
      `Cannot run dropout: rate is "${rate}", expected a number in [0, 1)`,
    );
  }
}
