/**
 * Distance transforms on dense box-shaped masks.
 *
 * - {@linkcode cityBlockDistance}: the L1 (6-neighbour) distance in voxels,
 *   capped. Dilating k times with the 6-connected cross is exactly
 *   "distance to the set ≤ k", and eroding k times is "distance to the unset
 *   voxels (and the outside) > k", so any number of iterations costs six
 *   sweeps.
 * - {@linkcode squaredDistanceToSet}: the exact Euclidean distance (squared,
 *   in mm², anisotropic spacing) by the separable lower-envelope algorithm of
 *   Felzenszwalb and Huttenlocher, "Distance Transforms of Sampled Functions",
 *   Theory of Computing 8 (2012).
 *
 * @module
 */

import type { Zyx } from "../volume.ts";

/** Which voxels the distance is measured to. */
export type DistanceTarget = "set" | "unset";

/**
 * City-block distance in voxels from every voxel to the nearest target
 * voxel, capped at `cap`.
 *
 * - `"set"`: distance to the nearest set voxel (0 on the set); voxels beyond
 *   the array are not targets. `d ≤ k` is the mask dilated k times by the
 *   6-connected cross.
 * - `"unset"`: distance to the nearest unset voxel, counting everything
 *   outside the array as unset (scipy's `border_value=0`); 0 off the mask.
 *   `d > k` is the mask eroded k times by the cross.
 *
 * @param mask box-shaped voxels (≠ 0 = set), ZYX
 * @param shape (nz, ny, nx) of `mask`
 * @param target `"set"` or `"unset"`
 * @param cap largest value stored, 1 … 65534; larger distances read as `cap`
 * @returns a Uint16Array of distances
 * @example
 * ```ts
 * import { cityBlockDistance } from "./distance.ts";
 * cityBlockDistance(new Uint8Array([1, 0, 0, 0]), [1, 1, 4], "set", 10); // [0, 1, 2, 3]
 * cityBlockDistance(new Uint8Array([1, 1, 1, 1]), [1, 1, 4], "unset", 10); // [1, 2, 2, 1]
 * ```
 */
export function cityBlockDistance(
  mask: ArrayLike<number>,
  shape: Zyx,
  target: DistanceTarget,
  cap: number,
): Uint16Array {
  if (!Number.isInteger(cap) || cap < 1 || cap > 65534) {
    throw new RangeError(
      `Cannot compute distances: cap is ${cap}, expected an integer in [1, 65534]`,
    );
  }
  const [nz, ny, nx] = shape;
  const n = nz * ny * nx;
  const d = new Uint16Array(n);
  const toSet = target === "set";
  for (let i = 0; i < n; i++) {
    const set = mask[i] !== 0;
    d[i] = set === toSet ? 0 : cap;
  }
  // Beyond the array: no target for "set", a target at distance 1 for "unset".
  const edge = toSet ? cap : 0;
  // x: forward and backward along each row.
  for (let r = 0; r < nz * ny; r++) {
    const base = r * nx;
    let prev = edge;
    for (let x = 0; x < nx; x++) {
      const w = prev + 1;
      let v = d[base + x];
      if (w < v) v = d[base + x] = w;
      prev = v;
    }
    prev = edge;
    for (let x = nx - 1; x >= 0; x--) {
      const w = prev + 1;
      let v = d[base + x];
      if (w < v) v = d[base + x] = w;
      prev = v;
    }
  }
  // y and z: whole rows / planes at a time, so memory is read in order.
  sweepAxis(d, nz, ny, nx, edge, cap);
  sweepAxis(d, 1, nz, ny * nx, edge, cap);
  return d;
}

// Forward and backward min(d, neighbour + 1) along the middle axis of an
// (outer, len, inner) layout.
function sweepAxis(
  d: Uint16Array,
  outer: number,
  len: number,
  inner: number,
  edge: number,
  cap: number,
): void {
  const first = Math.min(edge + 1, cap);
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    // Border rows: the outside counts as a target at distance 1 when edge is 0.
    if (first < cap) {
      for (const l of [0, len - 1]) {
        const row = base + l * inner;
        for (let i = 0; i < inner; i++) {
          if (d[row + i] > first) d[row + i] = first;
        }
      }
    }
    for (let l = 1; l < len; l++) {
      const row = base + l * inner, prev = row - inner;
      for (let i = 0; i < inner; i++) {
        const w = d[prev + i] + 1;
        if (w < d[row + i]) d[row + i] = w;
      }
    }
    for (let l = len - 2; l >= 0; l--) {
      const row = base + l * inner, next = row + inner;
      for (let i = 0; i < inner; i++) {
        const w = d[next + i] + 1;
        if (w < d[row + i]) d[row + i] = w;
      }
    }
  }
}

/**
 * Exact squared Euclidean distance in mm² from every voxel to the nearest set
 * voxel, with anisotropic spacing; `Infinity` everywhere when no voxel is set.
 * Equals scipy's `distance_transform_edt(mask == 0, sampling=spacing) ** 2`.
 *
 * @param mask box-shaped voxels (≠ 0 = set), ZYX
 * @param shape (nz, ny, nx) of `mask`
 * @param spacingMm voxel size along (z, y, x)
 * @param planar when true, each z-plane is transformed on its own (the
 *   distance to the nearest set pixel of the same plane)
 * @returns a Float32Array of squared distances in mm²
 * @example
 * ```ts
 * import { squaredDistanceToSet } from "./distance.ts";
 * squaredDistanceToSet(new Uint8Array([1, 0, 0]), [1, 1, 3], [1, 1, 2]); // [0, 4, 16]
 * ```
 */
export function squaredDistanceToSet(
  mask: ArrayLike<number>,
  shape: Zyx,
  spacingMm: Zyx,
  planar = false,
): Float32Array {
  const [nz, ny, nx] = shape;
  const out = new Float32Array(nz * ny * nx);
  const longest = Math.max(nz, ny, nx);
  const f = new Float64Array(longest);
  const g = new Float64Array(longest);
  const v = new Int32Array(longest);
  const zb = new Float64Array(longest + 1);
  const h = new Float64Array(longest);
  const sx = spacingMm[2];
  // x: 1D distance to the nearest set voxel of the row (two sweeps).
  for (let r = 0; r < nz * ny; r++) {
    const base = r * nx;
    let last = -1;
    for (let x = 0; x < nx; x++) {
      if (mask[base + x] !== 0) last = x;
      g[x] = last < 0 ? Infinity : x - last;
    }
    last = -1;
    for (let x = nx - 1; x >= 0; x--) {
      if (mask[base + x] !== 0) last = x;
      const k = last < 0 ? g[x] : Math.min(g[x], last - x);
      out[base + x] = k === Infinity ? Infinity : (k * sx) * (k * sx);
    }
  }
  // y: lower envelope along each column of each plane; a column without any
  // finite value stays infinite.
  const wy = spacingMm[1] * spacingMm[1];
  for (let z = 0; z < nz; z++) {
    const plane = z * ny * nx;
    for (let x = 0; x < nx; x++) {
      let finite = 0;
      for (let y = 0; y < ny; y++) {
        const a = out[plane + y * nx + x];
        f[y] = a;
        if (a !== Infinity) finite++;
      }
      if (finite === 0) continue;
      envelope(f, ny, wy, g, v, zb, h);
      for (let y = 0; y < ny; y++) out[plane + y * nx + x] = g[y];
    }
  }
  // z: gather one (nz × nx) slab per row y, transposed so lines are contiguous.
  if (nz > 1 && !planar) {
    const wz = spacingMm[0] * spacingMm[0];
    const slab = new Float64Array(nz * nx);
    const planeSize = ny * nx;
    for (let y = 0; y < ny; y++) {
      for (let z = 0; z < nz; z++) {
        const src = z * planeSize + y * nx;
        for (let x = 0; x < nx; x++) slab[x * nz + z] = out[src + x];
      }
      for (let x = 0; x < nx; x++) {
        const off = x * nz;
        let finite = 0, zero = 0;
        for (let z = 0; z < nz; z++) {
          const a = slab[off + z];
          f[z] = a;
          if (a !== Infinity) finite++;
          if (a === 0) zero++;
        }
        // All infinite, or all zero: the line does not change.
        if (finite === 0 || zero === nz) continue;
        envelope(f, nz, wz, g, v, zb, h);
        for (let z = 0; z < nz; z++) slab[off + z] = g[z];
      }
      for (let z = 0; z < nz; z++) {
        const dst = z * planeSize + y * nx;
        for (let x = 0; x < nx; x++) out[dst + x] = slab[x * nz + z];
      }
    }
  }
  return out;
}

// One line of the Felzenszwalb–Huttenlocher transform: out[q] = min_p
// f[p] + w·(q − p)², skipping infinite samples (which have no parabola).
// h[p] caches f[p] + w·p² for the parabolas in the envelope.
function envelope(
  f: Float64Array,
  n: number,
  w: number,
  out: Float64Array,
  v: Int32Array,
  zb: Float64Array,
  h: Float64Array,
): void {
  let k = -1;
  const inv = 1 / (2 * w);
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const hq = fq + w * q * q;
    h[q] = hq;
    if (k < 0) {
      k = 0;
      v[0] = q;
      zb[0] = -Infinity;
      zb[1] = Infinity;
      continue;
    }
    let p = v[k];
    let s = (hq - h[p]) * inv / (q - p);
    while (s <= zb[k]) {
      k--;
      p = v[k];
      s = (hq - h[p]) * inv / (q - p);
    }
    k++;
    v[k] = q;
    zb[k] = s;
    zb[k + 1] = Infinity;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) out[q] = Infinity;
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (zb[k + 1] < q) k++;
    const p = v[k], dq = q - p;
    out[q] = w * dq * dq + f[p];
  }
}
