import assert from "node:assert/strict";
import { createRng } from "../../random.ts";
import {
  applyMask,
  batchNormBackward,
  batchNormForward,
  channelMoments,
  channelSums,
  concatChannelsBackward,
  concatChannelsForward,
  convWeights,
  fillGradientRows,
  fillPaddedRows,
  fillTapRows,
  maxPoolBackward,
  maxPoolForward,
  reluBackward,
  reluForward,
} from "./kernels.ts";

function random(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng.normal());
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])),
      `index ${i}: ${a[i]} vs ${b[i]}`,
    );
  }
}

Deno.test("channelMoments() returns per-channel mean and biased variance", () => {
  const { mean, variance } = channelMoments(
    new Float32Array([1, 10, 3, 20, 5, 30]),
    2,
  );
  close(mean, [3, 20]);
  close(variance, [8 / 3, 200 / 3]);
});

Deno.test("batchNormForward() scales, shifts, adds the residual and clamps", () => {
  const state = {
    mean: new Float64Array([1, 0]),
    invStd: new Float64Array([2, 1]),
    batchVariance: null,
  };
  const out = batchNormForward(
    new Float32Array([0, 1, 3, -2]),
    2,
    state,
    new Float32Array([1, 3]),
    new Float32Array([0, 1]),
    new Float32Array([0.5, 0.5, 0.5, 0.5]),
    true,
  );
  // c0: 2·(v − 1) + 0.5 → −1.5, 4.5; c1: 3·v + 1 + 0.5 → 4.5, −4.5.
  close(out, [0, 4.5, 4.5, 0]);
});

Deno.test("batchNormBackward() matches finite differences of the training forward pass", () => {
  const channels = 3;
  const y = random(8 * channels, 1);
  const gamma = new Float32Array([1.5, -0.5, 0.8]);
  const beta = new Float32Array([0.1, 0.2, -0.3]);
  const upstream = random(y.length, 2);
  const residual = random(y.length, 3);
  // Loss L(y) = Σ upstream · relu(bn_train(y) + residual), in float64.
  const loss = (v: Float64Array) => {
    let total = 0;
    for (let c = 0; c < channels; c++) {
      let m = 0, s = 0;
      for (let p = 0; p < 8; p++) m += v[p * channels + c] / 8;
      for (let p = 0; p < 8; p++) s += (v[p * channels + c] - m) ** 2 / 8;
      for (let p = 0; p < 8; p++) {
        const i = p * channels + c;
        const o = gamma[c] * (v[i] - m) / Math.sqrt(s + 1e-5) + beta[c] +
          residual[i];
        total += upstream[i] * Math.max(o, 0);
      }
    }
    return total;
  };
  const { mean, variance } = channelMoments(y, channels);
  const state = {
    mean,
    invStd: variance.map((v) => 1 / Math.sqrt(v + 1e-5)),
    batchVariance: variance,
  };
  const out = batchNormForward(y, channels, state, gamma, beta, residual, true);
  const grads = batchNormBackward(
    upstream,
    y,
    out,
    channels,
    state,
    gamma,
    true,
  );
  const numeric = new Float64Array(y.length);
  const base = Float64Array.from(y);
  for (let i = 0; i < y.length; i++) {
    const plus = base.slice(), minus = base.slice();
    plus[i] += 1e-5;
    minus[i] -= 1e-5;
    numeric[i] = (loss(plus) - loss(minus)) / 2e-5;
  }
  close(grads.dy, numeric, 1e-3);
  // dβ = Σ dz, dz = upstream where the output is positive.
  const dBeta = new Float64Array(channels);
  for (let i = 0; i < y.length; i++) {
    if (out[i] > 0) dBeta[i % channels] += upstream[i];
  }
  close(grads.dBeta, dBeta, 1e-5);
  close(grads.dz!, upstream.map((g, i) => out[i] > 0 ? g : 0));
  // Without dz the same input gradient comes from the on-the-fly mask.
  const lean = batchNormBackward(
    upstream,
    y,
    out,
    channels,
    state,
    gamma,
    true,
    false,
  );
  assert.equal(lean.dz, null);
  close(lean.dy, grads.dy, 1e-6);
});

Deno.test("reluForward() and reluBackward() clamp and mask (zero gradient at 0)", () => {
  const out = reluForward(new Float32Array([-1, 0, 2]));
  close(out, [0, 0, 2]);
  close(reluBackward(new Float32Array([5, 5, 5]), out), [0, 0, 5]);
});

Deno.test("maxPoolForward() takes the first maximum per window and maxPoolBackward() routes to it", () => {
  // [1, 2, 2, 4, 1]: two 2³ windows along width (depth 2, height 2).
  const x = new Float32Array([1, 9, 2, 3, 4, 4, 0, 8, 2, 5, 7, 7, 3, 1, 4, 6]);
  const { out, argmax } = maxPoolForward(x, [1, 2, 2, 4, 1], 2);
  close(out, [9, 8]);
  assert.deepEqual([...argmax], [1, 7]);
  close(maxPoolBackward(new Float32Array([1, 2]), argmax, 16), [
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  // Odd sizes drop the remainder ('valid').
  assert.equal(
    maxPoolForward(new Float32Array(27), [1, 3, 3, 3, 1], 2).out.length,
    1,
  );
});

Deno.test("concatChannelsForward() and concatChannelsBackward() are inverse", () => {
  const a = random(6, 4), b = random(9, 5);
  const cat = concatChannelsForward([a, b], [2, 3]);
  close(cat.subarray(0, 5), [a[0], a[1], b[0], b[1], b[2]]);
  const [a2, b2] = concatChannelsBackward(cat, [2, 3]);
  close(a2, a);
  close(b2, b);
});

Deno.test("applyMask() broadcasts a per-sample, per-channel mask", () => {
  close(
    applyMask(
      new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]),
      new Float32Array([0, 2, 1, 0]),
      2,
      2,
    ),
    [0, 4, 0, 8, 5, 0, 7, 0],
  );
});

Deno.test("convWeights() lays filters out for ORT and mirrors them for the input gradient", () => {
  // k = 2 (8 taps), cin 1, cout 2: tfjs [t, ci, co] = t·2 + co.
  const filter = Float32Array.from({ length: 16 }, (_, i) => i);
  const forward = convWeights(filter, 2, 1, 2, false); // [co, ci, t]
  close(forward.subarray(0, 8), [0, 2, 4, 6, 8, 10, 12, 14]);
  const flipped = convWeights(filter, 2, 1, 2, true); // [ci, co, 7 − t]
  close(flipped.subarray(0, 8), [14, 12, 10, 8, 6, 4, 2, 0]);
  close(flipped.subarray(8, 16), [15, 13, 11, 9, 7, 5, 3, 1]);
});

/**
 * The weight gradient of a 'same' 3³ conv for one sample, summed directly
 * over output voxels and taps: `[27·cin, cout]`, tap-major.
 */
function naiveWeightGradient(
  x: Float32Array,
  dy: Float32Array,
  input: readonly [number, number, number, number, number],
  cout: number,
  sample: number,
): Float64Array {
  const [, d, h, w, cin] = input;
  const naive = new Float64Array(27 * cin * cout);
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let xo = 0; xo < w; xo++) {
        for (let t = 0; t < 27; t++) {
          const [a, b, c] = [Math.floor(t / 9), Math.floor(t / 3) % 3, t % 3];
          const [sz, sy, sx] = [z + a - 1, y + b - 1, xo + c - 1];
          if (sz < 0 || sz >= d || sy < 0 || sy >= h || sx < 0 || sx >= w) {
            continue;
          }
          for (let ci = 0; ci < cin; ci++) {
            for (let co = 0; co < cout; co++) {
              naive[(t * cin + ci) * cout + co] +=
                x[(((sample * d + sz) * h + sy) * w + sx) * cin + ci] *
                dy[(((sample * d + z) * h + y) * w + xo) * cout + co];
            }
          }
        }
      }
    }
  }
  return naive;
}

Deno.test("fillTapRows() and fillGradientRows() give the weight gradient as one product per depth tap", () => {
  // Input [1, 4, 3, 5, 2], 'same' 3³ conv: the naive gradient vs the row products.
  const [d, h, w, cin, cout, k] = [4, 3, 5, 2, 3, 3];
  const x = random(d * h * w * cin, 6);
  const dy = random(d * h * w * cout, 7);
  const naive = naiveWeightGradient(x, dy, [1, d, h, w, cin], cout, 0);
  const [hp, wp] = [h + 2, w + 2];
  const rowLen = k * k * cin;
  const total = new Float64Array(naive.length);
  for (let d0 = 0; d0 < d; d0 += 3) { // two chunks: depths 3 and 1
    const depths = Math.min(3, d - d0);
    const chunk = {
      input: [1, d, h, w, cin],
      output: [1, d, h, w, cout],
      k,
      padBefore: [1, 1, 1] as const,
      padded: [hp, wp] as const,
      sample: 0,
      d0,
      depths,
    };
    const taps = new Float32Array((depths + 2) * hp * wp * rowLen).fill(NaN);
    const grads = new Float32Array(depths * hp * wp * cout).fill(NaN);
    fillTapRows(x, chunk, taps);
    fillGradientRows(dy, chunk, grads);
    const rows = ((depths - 1) * hp + h - 1) * wp + w;
    for (let a = 0; a < k; a++) {
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < rowLen; j++) {
          const v = taps[(a * hp * wp + r) * rowLen + j];
          for (let co = 0; co < cout; co++) {
            total[(a * rowLen + j) * cout + co] += v * grads[r * cout + co];
          }
        }
      }
    }
  }
  close(total, naive, 1e-4);
});

Deno.test("fillPaddedRows() gives the weight gradient as one product per tap on shifted views", () => {
  // Input [2, 4, 3, 5, 2], 'same' 3³ conv, sample 1: the naive gradient vs
  // the products of the gradient rows with the input rows shifted by
  // (a·Hp + b)·Wp + c.
  const [n, d, h, w, cin, cout, k] = [2, 4, 3, 5, 2, 3, 3];
  const x = random(n * d * h * w * cin, 8);
  const dy = random(n * d * h * w * cout, 9);
  const sample = 1;
  const naive = naiveWeightGradient(x, dy, [n, d, h, w, cin], cout, sample);
  const [hp, wp] = [h + 2, w + 2];
  const total = new Float64Array(naive.length);
  for (let d0 = 0; d0 < d; d0 += 3) { // two chunks: depths 3 and 1
    const depths = Math.min(3, d - d0);
    const chunk = {
      input: [n, d, h, w, cin],
      output: [n, d, h, w, cout],
      k,
      padBefore: [1, 1, 1] as const,
      padded: [hp, wp] as const,
      sample,
      d0,
      depths,
    };
    const padded = new Float32Array((depths + 2) * hp * wp * cin).fill(NaN);
    const grads = new Float32Array(depths * hp * wp * cout).fill(NaN);
    fillPaddedRows(x, chunk, padded);
    fillGradientRows(dy, chunk, grads);
    assert.ok(padded.every(Number.isFinite), "every padded row is filled");
    const rows = ((depths - 1) * hp + h - 1) * wp + w;
    for (let t = 0; t < 27; t++) {
      const [a, b, c] = [Math.floor(t / 9), Math.floor(t / 3) % 3, t % 3];
      const offset = (a * hp + b) * wp + c;
      for (let r = 0; r < rows; r++) {
        for (let ci = 0; ci < cin; ci++) {
          const v = padded[(offset + r) * cin + ci];
          for (let co = 0; co < cout; co++) {
            total[(t * cin + ci) * cout + co] += v * grads[r * cout + co];
          }
        }
      }
    }
  }
  close(total, naive, 1e-4);
});

Deno.test("channelSums() sums over positions", () => {
  close(channelSums(new Float32Array([1, 2, 3, 4]), 2), [4, 6]);
});
