/**
 * A multi-scale Hessian "dot" (blob) enhancement filter for preprocessed CT
 * scans, after Li, Sone & Doi (2003), "Selective enhancement filters for
 * nodules, vessels, and airway walls in two- and three-dimensional CT scans",
 * Med Phys 30(8):2040–2051.
 *
 * @module
 */

import { ShapeError } from "./errors.ts";
import type { Zyx } from "./volume.ts";

/** Options of {@linkcode blobResponse}. */
export interface BlobFilterOptions {
  /** Gaussian scales in voxels (the grid is 1 mm). Default [1, 1.5, 2, 3]. */
  readonly sigmas?: readonly number[];
  /** Output level per unit of √response. Default 16. */
  readonly gain?: number;
  /** Value of voxels outside the lungs (they get 0 and are not evaluated). Default 170. */
  readonly pad?: number;
}

/** The defaults of {@linkcode BlobFilterOptions}. */
export const BLOB_FILTER_DEFAULTS: Required<BlobFilterOptions> = Object.freeze({
  sigmas: Object.freeze([1, 1.5, 2, 3]),
  gain: 16,
  pad: 170,
});

/**
 * The settings of the network's blob input channel (`data.blob_channel`):
 * the default scales with gain 32, so that the response of a small solid
 * nodule (√response ≈ 3.7) lands near level 118 and the channel spans most
 * of the normalised range −1…0 instead of a fifth of it.
 */
export const BLOB_CHANNEL_OPTIONS: BlobFilterOptions = Object.freeze({
  gain: 32,
});

/**
 * Multi-scale Hessian "dot" (blob) enhancement filter (Li, Sone & Doi 2003,
 * Med Phys 30(8): the dot filter z_dot = |λ3|²/|λ1| when all three
 * eigenvalues are negative, with |λ1| ≥ |λ2| ≥ |λ3|; 0 otherwise),
 * scale-normalised (Hessian entries × σ²), maximum over scales, quantised to
 * uint8.
 *
 * For each σ the volume is smoothed with a separable Gaussian (radius
 * ⌈3σ⌉, weights normalised to sum 1, edge-clamped) along z, y, then x; the
 * Hessian comes from central finite differences of the smoothed volume. The
 * output level is `min(255, round(gain · √max_σ z_dot))`. Voxels equal to
 * `pad` and voxels on the volume's outer faces are 0.
 *
 * @param image preprocessed CT levels, shape `shape` (ZYX, 1 mm isotropic),
 *   uint8 in [0, 255]; voxels equal to `pad` lie outside the lungs
 * @param shape number of voxels along (z, y, x)
 * @param options scales, gain and pad value; see {@linkcode BLOB_FILTER_DEFAULTS}
 * @returns the blob response, same shape, uint8 in [0, 255] (0 = no blob)
 * @throws {ShapeError} when `image.length` is not the voxel count of `shape`
 * @throws {RangeError} when the shape is not made of non-negative integers,
 *   `sigmas` is empty, or a sigma or the gain is not a finite positive number
 * @example
 * ```ts
 * import { blobResponse } from "./blob_filter.ts";
 * const image = new Uint8Array(9 * 9 * 9).fill(60);
 * image[(4 * 9 + 4) * 9 + 4] = 255; // one bright voxel in the middle
 * const out = blobResponse(image, [9, 9, 9]);
 * out[(4 * 9 + 4) * 9 + 4]; // 50, the strongest response
 * out[0]; // 0: face voxels are not evaluated
 * ```
 */
export function blobResponse(
  image: Uint8Array,
  shape: Zyx,
  options: BlobFilterOptions = {},
): Uint8Array {
  const sigmas = options.sigmas ?? BLOB_FILTER_DEFAULTS.sigmas;
  const gain = options.gain ?? BLOB_FILTER_DEFAULTS.gain;
  const pad = options.pad ?? BLOB_FILTER_DEFAULTS.pad;
  const [D, H, W] = shape;
  if (!shape.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new RangeError(
      `Cannot compute blob response: shape is [${
        shape.join(", ")
      }], expected non-negative integers`,
    );
  }
  const n = D * H * W;
  if (image.length !== n) {
    throw new ShapeError("blob filter input", [...shape], [image.length]);
  }
  if (sigmas.length === 0) {
    throw new RangeError(
      "Cannot compute blob response: sigmas is [], expected at least one scale",
    );
  }
  for (const sigma of sigmas) {
    if (!(Number.isFinite(sigma) && sigma > 0)) {
      throw new RangeError(
        `Cannot compute blob response: sigma ${sigma}, expected a positive number`,
      );
    }
  }
  if (!(Number.isFinite(gain) && gain > 0)) {
    throw new RangeError(
      `Cannot compute blob response: gain ${gain}, expected a positive number`,
    );
  }

  const out = new Uint8Array(n);
  // Nothing is evaluated unless some voxel has six neighbours.
  if (D < 3 || H < 3 || W < 3) return out;

  // Two buffers reused across scales: the image is copied into `b`, then
  // z: b → a, y: a → b, x: b → a, so `a` holds the smoothed volume.
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const response = new Float32Array(n);
  for (const sigma of sigmas) {
    const kernel = gaussianKernel(sigma);
    b.set(image);
    smoothAlongAxis(b, a, 1, D, H * W, W, kernel);
    smoothAlongAxis(a, b, D, H, W, W, kernel);
    smoothRows(b, a, D * H, W, kernel);
    accumulateDotResponse(a, image, response, shape, sigma * sigma, pad);
  }
  for (let i = 0; i < n; i++) {
    const v = response[i];
    if (v > 0) out[i] = Math.min(255, Math.round(gain * Math.sqrt(v)));
  }
  return out;
}

/**
 * Gaussian weights exp(−i²/(2σ²)) for |i| ≤ ⌈3σ⌉, normalised to sum 1. The
 * weights are rounded to float32 as in the measured prototype, so that the
 * output reproduces it level for level; they are returned as float64 for the
 * loops.
 */
function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const weights = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) {
    weights[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
    total += weights[i + radius];
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= total;
  return Float64Array.from(weights);
}

/**
 * Smooths `src` along an axis of length `length` whose neighbours are
 * `stride` elements apart, for each of `outer` blocks of `length · stride`
 * elements; the index along the axis is clamped to [0, length − 1]. Works
 * row by row (`width` contiguous elements, `stride` a multiple of it) so
 * that the innermost loops run over contiguous memory.
 */
function smoothAlongAxis(
  src: Float32Array,
  dst: Float32Array,
  outer: number,
  length: number,
  stride: number,
  width: number,
  kernel: Float64Array,
): void {
  const taps = kernel.length;
  const radius = (taps - 1) >> 1;
  const offsets = new Int32Array(taps);
  const acc = new Float64Array(width);
  for (let o = 0; o < outer; o++) {
    const block = o * length;
    for (let p = 0; p < length; p++) {
      for (let t = 0; t < taps; t++) {
        let q = p + t - radius;
        if (q < 0) q = 0;
        else if (q > length - 1) q = length - 1;
        offsets[t] = (block + q) * stride;
      }
      const base = (block + p) * stride;
      for (let j = 0; j < stride; j += width) {
        smoothAcrossRows(src, dst, base + j, offsets, j, width, kernel, acc);
      }
    }
  }
}

/**
 * One output row of {@linkcode smoothAlongAxis}: `dst[to + x]` = Σ_t
 * kernel[t] · `src[offsets[t] + shift + x]` for x < `width`, accumulated in
 * float64 in `acc`. The kernel is symmetric, so mirrored taps are added
 * before multiplying.
 */
function smoothAcrossRows(
  src: Float32Array,
  dst: Float32Array,
  to: number,
  offsets: Int32Array,
  shift: number,
  width: number,
  kernel: Float64Array,
  acc: Float64Array,
): void {
  const radius = (kernel.length - 1) >> 1;
  const centre = offsets[radius] + shift;
  const w0 = kernel[radius];
  for (let x = 0; x < width; x++) acc[x] = w0 * src[centre + x];
  for (let t = 1; t < radius; t++) {
    const w = kernel[radius + t];
    const lo = offsets[radius - t] + shift, hi = offsets[radius + t] + shift;
    for (let x = 0; x < width; x++) acc[x] += w * (src[lo + x] + src[hi + x]);
  }
  // The outermost pair writes the result, saving a pass over `acc`.
  const w = kernel[2 * radius];
  const lo = offsets[0] + shift, hi = offsets[2 * radius] + shift;
  for (let x = 0; x < width; x++) {
    dst[to + x] = acc[x] + w * (src[lo + x] + src[hi + x]);
  }
}

/** Smooths each of `rows` contiguous rows of `width` elements, edge-clamped. */
function smoothRows(
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  width: number,
  kernel: Float64Array,
): void {
  // One call per row keeps the hot loop in a small function that the JIT
  // optimises fully, rather than in an on-stack-replaced outer loop.
  for (let row = 0; row < rows; row++) {
    smoothRow(src, dst, row * width, width, kernel);
  }
}

/** Smooths the row of `width` elements starting at `base`, edge-clamped. */
function smoothRow(
  src: Float32Array,
  dst: Float32Array,
  base: number,
  width: number,
  kernel: Float64Array,
): void {
  const radius = (kernel.length - 1) >> 1;
  // Outputs in [radius, width − radius) read only inside the row.
  const innerStart = Math.min(radius, width);
  const innerEnd = Math.max(innerStart, width - radius);
  for (let x = 0; x < innerStart; x++) {
    dst[base + x] = clampedTap(src, base, width, x, kernel);
  }
  const w0 = kernel[radius];
  for (let i = base + innerStart; i < base + innerEnd; i++) {
    let acc = w0 * src[i];
    for (let t = 1; t <= radius; t++) {
      acc += kernel[radius + t] * (src[i - t] + src[i + t]);
    }
    dst[i] = acc;
  }
  for (let x = innerEnd; x < width; x++) {
    dst[base + x] = clampedTap(src, base, width, x, kernel);
  }
}

/** One smoothed value of a row near its ends, with the index clamped. */
function clampedTap(
  src: Float32Array,
  base: number,
  width: number,
  x: number,
  kernel: Float64Array,
): number {
  const radius = (kernel.length - 1) >> 1;
  let acc = 0;
  for (let t = 0; t < kernel.length; t++) {
    let q = x + t - radius;
    if (q < 0) q = 0;
    else if (q > width - 1) q = width - 1;
    acc += kernel[t] * src[base + q];
  }
  return acc;
}

/**
 * Raises `response` to the dot-filter value of smoothed volume `g` at scale
 * σ (`sigma2` = σ²) wherever that is larger, at non-pad voxels off the faces.
 */
function accumulateDotResponse(
  g: Float32Array,
  image: Uint8Array,
  response: Float32Array,
  shape: Zyx,
  sigma2: number,
  pad: number,
): void {
  const [D, H, W] = shape;
  for (let z = 1; z < D - 1; z++) {
    for (let y = 1; y < H - 1; y++) {
      const start = (z * H + y) * W + 1;
      dotResponseRow(
        g,
        image,
        response,
        start,
        start + W - 2,
        H * W,
        W,
        sigma2,
        pad,
      );
    }
  }
}

/**
 * {@linkcode accumulateDotResponse} for voxels `start` ≤ i < `end` of one
 * row; `sz` and `sy` are the z and y strides.
 */
function dotResponseRow(
  g: Float32Array,
  image: Uint8Array,
  response: Float32Array,
  start: number,
  end: number,
  sz: number,
  sy: number,
  sigma2: number,
  pad: number,
): void {
  const third = (2 * Math.PI) / 3;
  for (let i = start; i < end; i++) {
    if (image[i] === pad) continue;
    const c = 2 * g[i];
    const zz = (g[i + sz] - c + g[i - sz]) * sigma2;
    // A negative definite matrix has a negative diagonal (Sylvester's
    // criterion); this rejects most voxels before the eigenvalues.
    if (!(zz < 0)) continue;
    const yy = (g[i + sy] - c + g[i - sy]) * sigma2;
    if (!(yy < 0)) continue;
    const xx = (g[i + 1] - c + g[i - 1]) * sigma2;
    if (!(xx < 0)) continue;
    const zy = (g[i + sz + sy] - g[i + sz - sy] - g[i - sz + sy] +
      g[i - sz - sy]) / 4 * sigma2;
    const zx = (g[i + sz + 1] - g[i + sz - 1] - g[i - sz + 1] +
      g[i - sz - 1]) / 4 * sigma2;
    const yx = (g[i + sy + 1] - g[i + sy - 1] - g[i - sy + 1] +
      g[i - sy - 1]) / 4 * sigma2;
    // Remaining leading principal minors of a negative definite matrix:
    // the 2×2 one is positive, the determinant negative.
    if (!(zz * yy - zy * zy > 0)) continue;
    if (
      !(zz * (yy * xx - yx * yx) - zy * (zy * xx - yx * zx) +
          zx * (zy * yx - yy * zx) < 0)
    ) continue;
    // Eigenvalues e1 ≥ e2 ≥ e3 of the symmetric 3×3 matrix by the
    // trigonometric method (Smith 1961, "Eigenvalues of a symmetric 3×3
    // matrix", Commun ACM 4(4):168).
    const q = (zz + yy + xx) / 3;
    const p2 = (zz - q) * (zz - q) + (yy - q) * (yy - q) +
      (xx - q) * (xx - q) + 2 * (zy * zy + zx * zx + yx * yx);
    const p = Math.sqrt(p2 / 6);
    let e1 = q, e3 = q;
    // p ≈ 0: the matrix is q·I and all three eigenvalues equal q.
    if (p > 1e-12) {
      const b11 = (zz - q) / p, b22 = (yy - q) / p, b33 = (xx - q) / p;
      const b12 = zy / p, b13 = zx / p, b23 = yx / p;
      const det = b11 * (b22 * b33 - b23 * b23) -
        b12 * (b12 * b33 - b23 * b13) + b13 * (b12 * b23 - b22 * b13);
      const r = det / 2;
      const phi = Math.acos(r < -1 ? -1 : r > 1 ? 1 : r) / 3;
      e1 = q + 2 * p * Math.cos(phi);
      e3 = q + 2 * p * Math.cos(phi + third);
    }
    // All negative: z_dot = |λ3|²/|λ1| with e1 the smallest magnitude
    // and e3 the largest (Li, Sone & Doi 2003).
    if (e1 < 0) {
      const v = (e1 * e1) / -e3;
      if (v > response[i]) response[i] = v;
    }
  }
}
