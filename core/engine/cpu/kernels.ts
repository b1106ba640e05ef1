/**
 * Typed-array kernels of the `cpu` engine for the memory-bound parts of a
 * ResNet unit (batch norm, residual add, ReLU, max pooling, concatenation,
 * dropout) and the weight re-layouts ORT's Conv needs. Arrays are row-major;
 * activations are channels-last (`[positions, channels]` with
 * positions = batch × depth × height × width). Inputs are never written.
 *
 * ReLU and its mask are written without branches, as `(v + |v|) / 2` and
 * `g · (out > 0)`. On random values (signs unpredictable) the branches made
 * batch norm + ReLU 3–4× slower (forward 11.5 against 3.1 ns per value on
 * 221,184 × 12). Real activations have spatially coherent signs, so the gain
 * in training is smaller: in the CPU preset's step, batch-norm forward 41 → 25
 * ms and backward 90 → 70 ms; the whole step 836 → 775 ms (two alternating
 * runs each, steps 30–110 of stage 0).
 *
 * @module
 */

/** Per-channel statistics of a batch norm in one forward pass. */
export interface BatchNormState {
  /** Mean used for normalising (batch or running), per channel. */
  readonly mean: Float64Array;
  /** 1/√(variance + ε) used for normalising, per channel. */
  readonly invStd: Float64Array;
  /** Batch variance (biased), per channel; training only. */
  readonly batchVariance: Float64Array | null;
}

/**
 * Batch mean and biased variance per channel (two passes, float64 sums).
 *
 * @param x `[positions, channels]`
 * @param channels channel count
 * @returns mean and biased variance
 * @example
 * ```ts
 * import { channelMoments } from "./kernels.ts";
 * channelMoments(new Float32Array([1, 10, 3, 20]), 2).mean; // Float64Array [2, 15]
 * ```
 */
export function channelMoments(
  x: Float32Array,
  channels: number,
): { mean: Float64Array; variance: Float64Array } {
  const positions = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) mean[c] += x[base + c];
  }
  for (let c = 0; c < channels; c++) mean[c] /= positions;
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const d = x[base + c] - mean[c];
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] /= positions;
  return { mean, variance };
}

/**
 * Batch-norm forward, optionally adding a residual and applying ReLU:
 * `out = relu(γ·(y − mean)·invStd + β + residual)`.
 *
 * @param y `[positions, channels]` input
 * @param channels channel count
 * @param state mean and invStd per channel
 * @param gamma scale per channel, or null for 1
 * @param beta shift per channel, or null for 0
 * @param residual same shape as `y`, or null
 * @param relu clamp at 0
 * @returns the output
 * @example
 * ```ts
 * import { batchNormForward } from "./kernels.ts";
 * const state = { mean: new Float64Array([1]), invStd: new Float64Array([2]), batchVariance: null };
 * batchNormForward(new Float32Array([0, 2]), 1, state, null, null, null, true); // [0, 2]
 * ```
 */
export function batchNormForward(
  y: Float32Array,
  channels: number,
  state: BatchNormState,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  residual: Float32Array | null,
  relu: boolean,
): Float32Array {
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (gamma === null ? 1 : gamma[c]) * state.invStd[c];
    scale[c] = s;
    shift[c] = (beta === null ? 0 : beta[c]) - state.mean[c] * s;
  }
  const out = new Float32Array(y.length);
  const len = y.length;
  // Four loop variants keep the branches out of the loop; flat loops with a
  // channel counter (see batchNormBackward).
  if (residual === null && !relu) {
    for (let i = 0, c = 0; i < len; i++) {
      out[i] = y[i] * scale[c] + shift[c];
      c = c + 1 === channels ? 0 : c + 1;
    }
  } else if (residual === null) {
    for (let i = 0, c = 0; i < len; i++) {
      const v = y[i] * scale[c] + shift[c];
      out[i] = (v + Math.abs(v)) * 0.5;
      c = c + 1 === channels ? 0 : c + 1;
    }
  } else if (!relu) {
    for (let i = 0, c = 0; i < len; i++) {
      out[i] = y[i] * scale[c] + shift[c] + residual[i];
      c = c + 1 === channels ? 0 : c + 1;
    }
  } else {
    for (let i = 0, c = 0; i < len; i++) {
      const v = y[i] * scale[c] + shift[c] + residual[i];
      out[i] = (v + Math.abs(v)) * 0.5;
      c = c + 1 === channels ? 0 : c + 1;
    }
  }
  return out;
}

/**
 * Batch-norm backward (through the optional ReLU and residual add).
 *
 * Training: `dy = γ·invStd·(dz − mean(dz) − x̂·mean(dz·x̂))`; inference
 * (running statistics are constants): `dy = γ·invStd·dz`; in both
 * `dγ = Σ dz·x̂`, `dβ = Σ dz`, and the residual's gradient is `dz`.
 *
 * @param dOut upstream gradient `[positions, channels]`
 * @param y the batch norm's input (the conv output)
 * @param out the unit's output (for the ReLU mask), or null without ReLU
 * @param channels channel count
 * @param state the forward pass's statistics
 * @param gamma scale, or null
 * @param training whether batch statistics were used
 * @param needDz return `dz` (the residual's gradient); default true
 * @returns `dy`, `dz` (the gradient behind the ReLU: the residual's, or null
 *   when not needed), `dGamma`, `dBeta`
 * @example
 * ```ts
 * import { batchNormBackward } from "./kernels.ts";
 * const state = { mean: new Float64Array([0]), invStd: new Float64Array([1]), batchVariance: null };
 * batchNormBackward(new Float32Array([1, 1]), new Float32Array([1, -1]), null, 1, state, null, false).dy; // [1, 1]
 * ```
 */
export function batchNormBackward(
  dOut: Float32Array,
  y: Float32Array,
  out: Float32Array | null,
  channels: number,
  state: BatchNormState,
  gamma: Float32Array | null,
  training: boolean,
  needDz = true,
): {
  dy: Float32Array;
  dz: Float32Array | null;
  dGamma: Float32Array;
  dBeta: Float32Array;
} {
  const n = y.length / channels;
  const { mean, invStd } = state;
  // dz (the gradient behind the ReLU) is materialised only when a residual
  // needs it; otherwise the mask is applied on the fly in both passes.
  let dz: Float32Array | null = null;
  if (out === null) dz = dOut;
  else if (needDz) {
    dz = new Float32Array(dOut.length);
    for (let i = 0; i < dOut.length; i++) dz[i] = dOut[i] * +(out[i] > 0);
  }
  const sumDz = new Float64Array(channels);
  const sumDzXhat = new Float64Array(channels);
  const m = new Float64Array(mean);
  // Flat loops with a channel counter: faster here than a loop per position
  // with an inner loop over the (few) channels.
  const len = y.length;
  if (dz !== null) {
    for (let i = 0, c = 0; i < len; i++) {
      const g = dz[i];
      sumDz[c] += g;
      sumDzXhat[c] += g * (y[i] - m[c]);
      c = c + 1 === channels ? 0 : c + 1;
    }
  } else {
    const mask = out!;
    for (let i = 0, c = 0; i < len; i++) {
      const g = dOut[i] * +(mask[i] > 0);
      sumDz[c] += g;
      sumDzXhat[c] += g * (y[i] - m[c]);
      c = c + 1 === channels ? 0 : c + 1;
    }
  }
  for (let c = 0; c < channels; c++) sumDzXhat[c] *= invStd[c];
  const dy = new Float32Array(len);
  // dy = a·dz − b − (y − mean)·k = a·dz − y·k − (b − mean·k), with
  // a = γ·invStd and, in training, b = a·mean(dz), k = a·invStd·mean(dz·x̂)
  // (x̂ = (y − mean)·invStd).
  const a = new Float64Array(channels);
  const k = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    a[c] = (gamma === null ? 1 : gamma[c]) * invStd[c];
    if (training) {
      k[c] = a[c] * invStd[c] * sumDzXhat[c] / n;
      shift[c] = a[c] * sumDz[c] / n - m[c] * k[c];
    }
  }
  if (dz !== null) {
    for (let i = 0, c = 0; i < len; i++) {
      dy[i] = a[c] * dz[i] - y[i] * k[c] - shift[c];
      c = c + 1 === channels ? 0 : c + 1;
    }
  } else {
    const mask = out!;
    for (let i = 0, c = 0; i < len; i++) {
      dy[i] = a[c] * dOut[i] * +(mask[i] > 0) - y[i] * k[c] - shift[c];
      c = c + 1 === channels ? 0 : c + 1;
    }
  }
  return {
    dy,
    dz,
    dGamma: Float32Array.from(sumDzXhat),
    dBeta: Float32Array.from(sumDz),
  };
}

/**
 * ReLU forward.
 *
 * @param x input
 * @returns `max(x, 0)`
 * @example
 * ```ts
 * import { reluForward } from "./kernels.ts";
 * reluForward(new Float32Array([-1, 2])); // [0, 2]
 * ```
 */
export function reluForward(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = (v + Math.abs(v)) * 0.5;
  }
  return out;
}

/**
 * ReLU backward from the forward output (tfjs's rule: zero gradient at 0).
 *
 * @param dy upstream gradient
 * @param out the forward output
 * @returns `dy` where `out > 0`, else 0
 * @example
 * ```ts
 * import { reluBackward } from "./kernels.ts";
 * reluBackward(new Float32Array([5, 5]), new Float32Array([0, 1])); // [0, 5]
 * ```
 */
export function reluBackward(
  dy: Float32Array,
  out: Float32Array,
): Float32Array {
  const dx = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * +(out[i] > 0);
  return dx;
}

/**
 * Element-wise sum.
 *
 * @param a first input
 * @param b second input, same length
 * @returns `a + b`
 * @example
 * ```ts
 * import { addArrays } from "./kernels.ts";
 * addArrays(new Float32Array([1]), new Float32Array([2])); // [3]
 * ```
 */
export function addArrays(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/**
 * Max pooling, cubic window `size`, stride `size`, 'valid' padding, on a
 * channels-last `[n, d, h, w, c]` array. Records each output's source index
 * (the first maximum in depth, row, column order, as tfjs's cpu backend).
 *
 * @param x input
 * @param shape `[n, d, h, w, c]`
 * @param size window and stride
 * @returns the output `[n, ⌊d/size⌋, ⌊h/size⌋, ⌊w/size⌋, c]` and the argmax indices into `x`
 * @example
 * ```ts
 * import { maxPoolForward } from "./kernels.ts";
 * maxPoolForward(new Float32Array([1, 5, 2, 0, 3, 4, 1, 1]), [1, 2, 2, 2, 1], 2).out; // [5]
 * ```
 */
export function maxPoolForward(
  x: Float32Array,
  shape: readonly number[],
  size: number,
): { out: Float32Array; argmax: Int32Array } {
  const [n, d, h, w, c] = shape;
  const od = Math.floor(d / size);
  const oh = Math.floor(h / size);
  const ow = Math.floor(w / size);
  const out = new Float32Array(n * od * oh * ow * c);
  const argmax = new Int32Array(out.length);
  const best = new Float32Array(c);
  const bestAt = new Int32Array(c);
  const rowStride = w * c;
  const sliceStride = h * rowStride;
  let o = 0;
  for (let b = 0; b < n; b++) {
    const batchBase = b * d * sliceStride;
    for (let z = 0; z < od; z++) {
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          best.fill(-Infinity);
          bestAt.fill(-1);
          for (let dz = 0; dz < size; dz++) {
            for (let dy = 0; dy < size; dy++) {
              let at = batchBase + (z * size + dz) * sliceStride +
                (y * size + dy) * rowStride + xo * size * c;
              for (let dx = 0; dx < size; dx++) {
                for (let ch = 0; ch < c; ch++) {
                  const v = x[at + ch];
                  if (v > best[ch] || bestAt[ch] < 0) {
                    best[ch] = v;
                    bestAt[ch] = at + ch;
                  }
                }
                at += c;
              }
            }
          }
          for (let ch = 0; ch < c; ch++) {
            out[o] = best[ch];
            argmax[o] = bestAt[ch];
            o++;
          }
        }
      }
    }
  }
  return { out, argmax };
}

/**
 * Max-pool backward: each output's gradient goes to its argmax.
 *
 * @param dy upstream gradient (the pool output's shape)
 * @param argmax source indices from {@linkcode maxPoolForward}
 * @param inputSize element count of the pool's input
 * @returns the input gradient
 * @example
 * ```ts
 * import { maxPoolBackward } from "./kernels.ts";
 * maxPoolBackward(new Float32Array([2]), new Int32Array([1]), 3); // [0, 2, 0]
 * ```
 */
export function maxPoolBackward(
  dy: Float32Array,
  argmax: Int32Array,
  inputSize: number,
): Float32Array {
  const dx = new Float32Array(inputSize);
  for (let i = 0; i < dy.length; i++) dx[argmax[i]] += dy[i];
  return dx;
}

/**
 * Concatenates channels-last arrays along channels.
 *
 * @param parts arrays `[positions, channels_i]`
 * @param channels channel count of each part
 * @returns `[positions, Σ channels_i]`
 * @example
 * ```ts
 * import { concatChannelsForward } from "./kernels.ts";
 * concatChannelsForward([new Float32Array([1, 2]), new Float32Array([3, 4])], [1, 1]); // [1, 3, 2, 4]
 * ```
 */
export function concatChannelsForward(
  parts: readonly Float32Array[],
  channels: readonly number[],
): Float32Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const positions = parts[0].length / channels[0];
  const out = new Float32Array(positions * total);
  let offset = 0;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    const ck = channels[k];
    for (let p = 0; p < positions; p++) {
      out.set(part.subarray(p * ck, p * ck + ck), p * total + offset);
    }
    offset += ck;
  }
  return out;
}

/**
 * Splits a channels-last gradient back into the concatenated parts.
 *
 * @param dy `[positions, Σ channels_i]`
 * @param channels channel count of each part
 * @returns one array per part
 * @example
 * ```ts
 * import { concatChannelsBackward } from "./kernels.ts";
 * concatChannelsBackward(new Float32Array([1, 3, 2, 4]), [1, 1]); // [[1, 2], [3, 4]]
 * ```
 */
export function concatChannelsBackward(
  dy: Float32Array,
  channels: readonly number[],
): Float32Array[] {
  const total = channels.reduce((a, b) => a + b, 0);
  const positions = dy.length / total;
  let offset = 0;
  return channels.map((ck) => {
    const part = new Float32Array(positions * ck);
    for (let p = 0; p < positions; p++) {
      part.set(
        dy.subarray(p * total + offset, p * total + offset + ck),
        p * ck,
      );
    }
    offset += ck;
    return part;
  });
}

/**
 * Multiplies by a dropout mask, broadcasting a `[n, 1, 1, 1, c]` mask over
 * positions when `channelwise`.
 *
 * @param x input `[n, d, h, w, c]`
 * @param mask scaled mask, `[n, d, h, w, c]` or `[n, 1, 1, 1, c]`
 * @param batch n
 * @param channels c
 * @returns `x · mask`
 * @example
 * ```ts
 * import { applyMask } from "./kernels.ts";
 * applyMask(new Float32Array([1, 2, 3, 4]), new Float32Array([0, 2]), 1, 2); // [0, 4, 0, 8]
 * ```
 */
export function applyMask(
  x: Float32Array,
  mask: Float32Array,
  batch: number,
  channels: number,
): Float32Array {
  const out = new Float32Array(x.length);
  if (mask.length === x.length) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * mask[i];
    return out;
  }
  const perSample = x.length / batch;
  for (let b = 0; b < batch; b++) {
    const mo = b * channels;
    const end = (b + 1) * perSample;
    for (let base = b * perSample; base < end; base += channels) {
      for (let c = 0; c < channels; c++) {
        out[base + c] = x[base + c] * mask[mo + c];
      }
    }
  }
  return out;
}

/**
 * Re-lays a tfjs conv filter `[k, k, k, cin, cout]` for ORT. `forward`:
 * `[cout, cin, k, k, k]` (ORT Conv weight); `flipped`: `[cin, cout, k, k, k]`
 * with the kernel mirrored on every axis (the input gradient of a stride-1
 * convolution is the convolution of the output gradient with this).
 *
 * @param filter tfjs filter values
 * @param k kernel size
 * @param cin input channels
 * @param cout output channels
 * @param flipped mirror and swap channels
 * @returns the re-laid weights
 * @example
 * ```ts
 * import { convWeights } from "./kernels.ts";
 * convWeights(new Float32Array([1, 2]), 1, 1, 2, false); // [1, 2] as [2, 1, 1, 1, 1]
 * ```
 */
export function convWeights(
  filter: Float32Array,
  k: number,
  cin: number,
  cout: number,
  flipped: boolean,
): Float32Array {
  const taps = k * k * k;
  const out = new Float32Array(filter.length);
  for (let t = 0; t < taps; t++) {
    const src = t * cin * cout;
    if (flipped) {
      const tf = taps - 1 - t;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) {
          out[(ci * cout + co) * taps + tf] = filter[src + ci * cout + co];
        }
      }
    } else {
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) {
          out[(co * cin + ci) * taps + t] = filter[src + ci * cout + co];
        }
      }
    }
  }
  return out;
}

/** Geometry of one depth chunk of a stride-1 conv's weight gradient. */
export interface TapChunk {
  /** Input `[n, d, h, w, cin]`. */
  readonly input: readonly number[];
  /** Output `[n, od, oh, ow, cout]`. */
  readonly output: readonly number[];
  /** Kernel size. */
  readonly k: number;
  /** Padding before the input on the depth, height and width axes. */
  readonly padBefore: readonly [number, number, number];
  /** Padded height and width (`Hp`, `Wp`): the grid the flat offsets live on. */
  readonly padded: readonly [number, number];
  /** Sample index. */
  readonly sample: number;
  /** First output depth of the chunk. */
  readonly d0: number;
  /** Output depths in the chunk. */
  readonly depths: number;
}

/**
 * Fills the "XHW" rows of a weight-gradient chunk (see
 * `weightGradientGraph`): for padded plane p (of `depths + k − 1`), row
 * (p, h, w) holds the padded input at (d0 + p, h + b, w + c) for every b, c,
 * as `k²·cin` values ordered (b, c, channel). Rows off the output grid
 * (h ≥ oh or w ≥ ow) are zero: they meet only zero gradient rows.
 *
 * @param x input values, channels last
 * @param chunk the chunk
 * @param target receives `(depths + k − 1)·Hp·Wp` rows of `k²·cin` values
 * @returns nothing
 * @example
 * ```ts ignore
 * fillTapRows(x, chunk, scratch);
 * ```
 */
export function fillTapRows(
  x: Float32Array,
  chunk: TapChunk,
  target: Float32Array,
): void {
  const [, d, h, w, cin] = chunk.input;
  const [, , oh, ow] = chunk.output;
  const { k, sample, d0, depths } = chunk;
  const [pd, ph, pw] = chunk.padBefore;
  const [hp, wp] = chunk.padded;
  const rowLen = k * k * cin;
  const run = k * cin;
  const planes = depths + k - 1;
  for (let p = 0; p < planes; p++) {
    const dz = d0 + p - pd;
    const planeBase = p * hp * wp * rowLen;
    if (dz < 0 || dz >= d) {
      target.fill(0, planeBase, planeBase + hp * wp * rowLen);
      continue;
    }
    const xPlane = (sample * d + dz) * h;
    for (let y = 0; y < oh; y++) {
      const lineBase = planeBase + y * wp * rowLen;
      for (let b = 0; b < k; b++) {
        const sy = y + b - ph;
        const colBase = lineBase + b * run;
        if (sy < 0 || sy >= h) {
          for (let xo = 0; xo < ow; xo++) {
            target.fill(0, colBase + xo * rowLen, colBase + xo * rowLen + run);
          }
          continue;
        }
        const xLine = (xPlane + sy) * w;
        for (let xo = 0; xo < ow; xo++) {
          const dst = colBase + xo * rowLen;
          const sx0 = xo - pw;
          if (sx0 >= 0 && sx0 + k <= w) {
            // The k voxels (w + c) are contiguous in the input.
            const src = (xLine + sx0) * cin;
            for (let j = 0; j < run; j++) target[dst + j] = x[src + j];
          } else {
            for (let c = 0; c < k; c++) {
              const sx = sx0 + c;
              const o = dst + c * cin;
              if (sx < 0 || sx >= w) target.fill(0, o, o + cin);
              else {
                const src = (xLine + sx) * cin;
                for (let j = 0; j < cin; j++) target[o + j] = x[src + j];
              }
            }
          }
        }
      }
      // Padded columns past the output width.
      target.fill(0, lineBase + ow * rowLen, lineBase + wp * rowLen);
    }
    target.fill(0, planeBase + oh * wp * rowLen, planeBase + hp * wp * rowLen);
  }
}

/**
 * Fills the "voxel" rows of a weight-gradient chunk (see
 * `weightGradientGraph`): the padded input of planes d0 … d0 + depths + k − 2,
 * one row of `cin` values per voxel of the padded grid, zero in the padding.
 * Unlike {@linkcode fillTapRows} every row holds its true value: the views
 * of taps (b, c) > 0 start inside a plane and reach rows past the output.
 *
 * @param x input values, channels last
 * @param chunk the chunk
 * @param target receives `(depths + k − 1)·Hp·Wp` rows of `cin` values
 * @returns nothing
 * @example
 * ```ts ignore
 * fillPaddedRows(x, chunk, scratch);
 * ```
 */
export function fillPaddedRows(
  x: Float32Array,
  chunk: TapChunk,
  target: Float32Array,
): void {
  const [, d, h, w, cin] = chunk.input;
  const { k, sample, d0, depths } = chunk;
  const [pd, ph, pw] = chunk.padBefore;
  const [hp, wp] = chunk.padded;
  const planes = depths + k - 1;
  const line = w * cin;
  for (let p = 0; p < planes; p++) {
    const dz = d0 + p - pd;
    const planeBase = p * hp * wp * cin;
    if (dz < 0 || dz >= d) {
      target.fill(0, planeBase, planeBase + hp * wp * cin);
      continue;
    }
    const xPlane = (sample * d + dz) * h;
    for (let yy = 0; yy < hp; yy++) {
      const dst = planeBase + yy * wp * cin;
      const sy = yy - ph;
      if (sy < 0 || sy >= h) {
        target.fill(0, dst, dst + wp * cin);
        continue;
      }
      // Left padding, the input line, right padding.
      target.fill(0, dst, dst + pw * cin);
      const src = (xPlane + sy) * line;
      target.set(x.subarray(src, src + line), dst + pw * cin);
      target.fill(0, dst + pw * cin + line, dst + wp * cin);
    }
  }
}

/**
 * Places a chunk of the output gradient on the padded grid (zeros off the
 * output): rows `(p, h, w)` for p < depths, `cout` values each.
 *
 * @param dy output gradient, channels last
 * @param chunk the chunk
 * @param target receives `depths·Hp·Wp` rows of `cout` values
 * @returns nothing
 * @example
 * ```ts ignore
 * fillGradientRows(dy, chunk, scratch);
 * ```
 */
export function fillGradientRows(
  dy: Float32Array,
  chunk: TapChunk,
  target: Float32Array,
): void {
  const [, od, oh, ow, cout] = chunk.output;
  const { sample, d0, depths } = chunk;
  const [hp, wp] = chunk.padded;
  for (let p = 0; p < depths; p++) {
    const planeBase = p * hp * wp * cout;
    const srcPlane = (sample * od + d0 + p) * oh;
    for (let y = 0; y < oh; y++) {
      const dst = planeBase + y * wp * cout;
      const src = (srcPlane + y) * ow * cout;
      target.set(dy.subarray(src, src + ow * cout), dst);
      target.fill(0, dst + ow * cout, dst + wp * cout);
    }
    target.fill(0, planeBase + oh * wp * cout, planeBase + hp * wp * cout);
  }
}

/**
 * Sums a channels-last array over positions (a bias gradient).
 *
 * @param dy `[positions, channels]`
 * @param channels channel count
 * @returns per-channel sums
 * @example
 * ```ts
 * import { channelSums } from "./kernels.ts";
 * channelSums(new Float32Array([1, 2, 3, 4]), 2); // [4, 6]
 * ```
 */
export function channelSums(dy: Float32Array, channels: number): Float32Array {
  const sums = new Float64Array(channels);
  for (let base = 0; base < dy.length; base += channels) {
    for (let c = 0; c < channels; c++) sums[c] += dy[base + c];
  }
  return Float32Array.from(sums);
}
