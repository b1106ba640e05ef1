/**
 * Run-length encoded binary masks and connected-component labelling on runs.
 *
 * A mask of shape (z, y, x) is stored as the runs of set voxels of each row
 * (row index `z · ny + y`). Labelling works on runs with a union-find, so its
 * cost grows with the number of runs rather than the number of voxels, and
 * no per-voxel label volume is ever allocated: callers read component sizes
 * and extents from the runs and paint only what they keep.
 *
 * Connectivities: 4 and 8 label each z-plane on its own (2D components,
 * numbered across the whole volume); 6, 18 and 26 are the 3D face, edge and
 * corner neighbourhoods (scipy/skimage `connectivity` 1, 2 and 3).
 *
 * @module
 */

import type { Zyx } from "../volume.ts";

/** An axis-aligned box of voxel indices, half-open: `[z0, z1) × [y0, y1) × [x0, x1)`. */
export interface Box {
  /** First plane. */
  readonly z0: number;
  /** One past the last plane. */
  readonly z1: number;
  /** First row. */
  readonly y0: number;
  /** One past the last row. */
  readonly y1: number;
  /** First column. */
  readonly x0: number;
  /** One past the last column. */
  readonly x1: number;
}

/** The runs of set voxels of a binary mask. */
export interface MaskRuns {
  /** Shape of the mask the runs came from. */
  readonly shape: Zyx;
  /** Runs of row `r = z · ny + y` are `rowStart[r] … rowStart[r + 1] − 1`. */
  readonly rowStart: Int32Array;
  /** First column of each run. */
  readonly x0: Int32Array;
  /** One past the last column of each run. */
  readonly x1: Int32Array;
  /** Number of runs. */
  readonly count: number;
}

/** Runs with a component label each. */
export interface LabelledRuns extends MaskRuns {
  /** Component label of each run, 1 … `components`, numbered in raster order of first voxel. */
  readonly labels: Int32Array;
  /** Number of components. */
  readonly components: number;
  /** Voxels per component, indexed by label (entry 0 unused). */
  readonly sizes: Float64Array;
  /** Index of the first run (raster order) of each component, by label. */
  readonly firstRun: Int32Array;
}

/** Neighbourhoods: 4/8 in each plane, 6/18/26 in 3D. */
export type Connectivity = 4 | 8 | 6 | 18 | 26;

/** The whole volume as a box. */
export function fullBox(shape: Zyx): Box {
  return { z0: 0, z1: shape[0], y0: 0, y1: shape[1], x0: 0, x1: shape[2] };
}

/**
 * Encodes the set voxels (value > `above`, i.e. ≠ 0 for a 0/1 mask) of
 * `mask` inside `box` as runs; voxels outside the box count as unset.
 *
 * @param mask voxels in ZYX order, length `nz · ny · nx`
 * @param shape (nz, ny, nx)
 * @param box the part to encode (default: everything)
 * @param above a voxel is set when its value is greater than this (default 0):
 *   on a distance map, `above = k` encodes "distance > k"
 * @returns the runs, rows in raster order
 * @example
 * ```ts
 * import { maskRuns } from "./runs.ts";
 * const runs = maskRuns(new Uint8Array([1, 1, 0, 1]), [1, 1, 4]);
 * [runs.count, runs.x0[1], runs.x1[1]]; // [2, 3, 4]
 * ```
 */
export function maskRuns(
  mask: ArrayLike<number>,
  shape: Zyx,
  box: Box = fullBox(shape),
  above = 0,
): MaskRuns {
  const [nz, ny, nx] = shape;
  const rowStart = new Int32Array(nz * ny + 1);
  let cap = 1024;
  let x0 = new Int32Array(cap), x1 = new Int32Array(cap);
  let count = 0;
  const bx0 = box.x0, bx1 = box.x1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = z * ny + y;
      rowStart[row] = count;
      if (z < box.z0 || z >= box.z1 || y < box.y0 || y >= box.y1) continue;
      const base = row * nx;
      let x = bx0;
      while (x < bx1) {
        // Skip unset voxels, then measure the run.
        while (x < bx1 && !(mask[base + x] > above)) x++;
        if (x >= bx1) break;
        const start = x;
        while (x < bx1 && mask[base + x] > above) x++;
        if (count === cap) {
          cap *= 2;
          const a = new Int32Array(cap), b = new Int32Array(cap);
          a.set(x0);
          b.set(x1);
          x0 = a;
          x1 = b;
        }
        x0[count] = start;
        x1[count] = x;
        count++;
      }
    }
  }
  rowStart[nz * ny] = count;
  return {
    shape: [nz, ny, nx],
    rowStart,
    x0: x0.subarray(0, count),
    x1: x1.subarray(0, count),
    count,
  };
}

/**
 * Labels the connected components of a run-encoded mask.
 *
 * @param runs the runs (from {@linkcode maskRuns})
 * @param connectivity 4 or 8 (per plane) or 6, 18, 26 (3D)
 * @returns the runs with labels, component sizes and first runs
 * @example
 * ```ts
 * import { labelRuns, maskRuns } from "./runs.ts";
 * // Two voxels touching by a corner: one component with 8-connectivity, two with 4.
 * const runs = maskRuns(new Uint8Array([1, 0, 0, 1]), [1, 2, 2]);
 * [labelRuns(runs, 8).components, labelRuns(runs, 4).components]; // [1, 2]
 * ```
 */
export function labelRuns(
  runs: MaskRuns,
  connectivity: Connectivity,
): LabelledRuns {
  if (![4, 8, 6, 18, 26].includes(connectivity)) {
    throw new RangeError(
      `Cannot label components: connectivity is ${connectivity}, expected 4, 8, 6, 18 or 26`,
    );
  }
  const [nz, ny] = runs.shape;
  const { rowStart, x0, x1, count } = runs;
  const parent = new Int32Array(count);
  for (let i = 0; i < count; i++) parent[i] = i;

  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  // Links every run of row a with the runs of row b that touch it. `ext` is 1
  // when diagonal neighbours along x count (runs one column apart touch).
  const link = (a: number, b: number, ext: number): void => {
    const a0 = rowStart[a], a1 = rowStart[a + 1];
    const b1 = rowStart[b + 1];
    let j = rowStart[b];
    if (a0 === a1 || j === b1) return;
    for (let i = a0; i < a1; i++) {
      const s = x0[i] - ext, e = x1[i] + ext;
      while (j < b1 && x1[j] <= s) j++;
      for (let k = j; k < b1 && x0[k] < e; k++) {
        let ri = find(i), rk = find(k);
        if (ri !== rk) {
          // The smaller index becomes the root, so a root is its component's first run.
          if (ri < rk) {
            const t = ri;
            ri = rk;
            rk = t;
          }
          parent[ri] = rk;
        }
      }
    }
  };

  const planar = connectivity === 4 || connectivity === 8;
  const inPlaneExt = connectivity === 4 || connectivity === 6 ? 0 : 1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = z * ny + y;
      if (rowStart[row] === rowStart[row + 1]) continue;
      if (y > 0) link(row, row - 1, inPlaneExt);
      if (planar || z === 0) continue;
      const below = row - ny;
      // Face neighbour (z−1, y); 18 and 26 add its x-diagonals.
      link(row, below, connectivity === 6 ? 0 : 1);
      if (connectivity === 18 || connectivity === 26) {
        const ext = connectivity === 26 ? 1 : 0;
        if (y > 0) link(row, below - 1, ext);
        if (y + 1 < ny) link(row, below + 1, ext);
      }
    }
  }

  const labels = new Int32Array(count);
  let components = 0;
  for (let i = 0; i < count; i++) {
    const r = find(i);
    labels[i] = r === i ? ++components : labels[r];
  }
  const sizes = new Float64Array(components + 1);
  const firstRun = new Int32Array(components + 1).fill(-1);
  for (let i = 0; i < count; i++) {
    const l = labels[i];
    sizes[l] += x1[i] - x0[i];
    if (firstRun[l] < 0) firstRun[l] = i;
  }
  return { ...runs, labels, components, sizes, firstRun };
}

/**
 * Labels the set voxels of a mask in one call (runs, then union-find).
 *
 * @param mask voxels in ZYX order
 * @param shape (nz, ny, nx)
 * @param connectivity 4, 8, 6, 18 or 26
 * @param box the part to label (default: everything)
 * @param above a voxel is set when its value is greater than this (default 0)
 * @returns labelled runs
 * @example
 * ```ts
 * import { labelMask } from "./runs.ts";
 * labelMask(new Uint8Array([1, 0, 1]), [1, 1, 3], 6).components; // 2
 * ```
 */
export function labelMask(
  mask: ArrayLike<number>,
  shape: Zyx,
  connectivity: Connectivity,
  box?: Box,
  above = 0,
): LabelledRuns {
  return labelRuns(maskRuns(mask, shape, box, above), connectivity);
}

/**
 * The plane (z) of each run's row.
 *
 * @param runs the runs
 * @returns `z` of every run
 */
export function runPlanes(runs: MaskRuns): Int32Array {
  const ny = runs.shape[1];
  const z = new Int32Array(runs.count);
  const rows = runs.rowStart.length - 1;
  for (let r = 0; r < rows; r++) {
    const plane = Math.floor(r / ny);
    for (let i = runs.rowStart[r]; i < runs.rowStart[r + 1]; i++) z[i] = plane;
  }
  return z;
}

/**
 * Writes `value` into `out` at every voxel of the runs whose label is
 * selected (`keep[label] ≠ 0`); other voxels are left as they are.
 *
 * @param runs labelled runs
 * @param keep per-label flags, indexed by label
 * @param out voxels in ZYX order, same shape as the runs
 * @param value the value to write (default 1)
 * @example
 * ```ts
 * import { labelMask, paintLabels } from "./runs.ts";
 * const runs = labelMask(new Uint8Array([1, 0, 1]), [1, 1, 3], 6);
 * const out = new Uint8Array(3);
 * paintLabels(runs, new Uint8Array([0, 0, 1]), out); // out = [0, 0, 1]
 * ```
 */
export function paintLabels(
  runs: LabelledRuns,
  keep: ArrayLike<number>,
  out: { [i: number]: number },
  value = 1,
): void {
  const nx = runs.shape[2];
  const rows = runs.rowStart.length - 1;
  for (let r = 0; r < rows; r++) {
    const base = r * nx;
    for (let i = runs.rowStart[r]; i < runs.rowStart[r + 1]; i++) {
      if (keep[runs.labels[i]] === 0) continue;
      for (let x = runs.x0[i]; x < runs.x1[i]; x++) out[base + x] = value;
    }
  }
}

/**
 * The label of the component holding voxel (z, y, x), or 0 when the voxel is
 * unset.
 *
 * @param runs labelled runs
 * @param z plane
 * @param y row
 * @param x column
 * @returns the label, 0 for background
 */
export function labelAt(
  runs: LabelledRuns,
  z: number,
  y: number,
  x: number,
): number {
  const [nz, ny, nx] = runs.shape;
  if (z < 0 || z >= nz || y < 0 || y >= ny || x < 0 || x >= nx) return 0;
  const row = z * ny + y;
  for (let i = runs.rowStart[row]; i < runs.rowStart[row + 1]; i++) {
    if (runs.x0[i] > x) break;
    if (x < runs.x1[i]) return runs.labels[i];
  }
  return 0;
}

/**
 * The bounding box of the set voxels of `mask`, or null when none is set.
 *
 * @param mask voxels in ZYX order
 * @param shape (nz, ny, nx)
 * @returns the tight half-open box, or null
 * @example
 * ```ts
 * import { maskBox } from "./runs.ts";
 * maskBox(new Uint8Array([0, 1, 1, 0]), [1, 2, 2]); // { z0: 0, z1: 1, y0: 0, y1: 2, x0: 0, x1: 2 }
 * ```
 */
export function maskBox(mask: ArrayLike<number>, shape: Zyx): Box | null {
  const [nz, ny, nx] = shape;
  let z0 = nz, z1 = -1, y0 = ny, y1 = -1, x0 = nx, x1 = -1;
  // Rows of whole 32-bit words can be skipped four bytes at a time.
  const words = mask instanceof Uint8Array && mask.byteOffset % 4 === 0 &&
      nx % 4 === 0
    ? new Uint32Array(mask.buffer, mask.byteOffset, (nz * ny * nx) >> 2)
    : null;
  const nw = nx >> 2;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = z * ny + y;
      const base = row * nx;
      let first = -1, last = -1;
      if (words) {
        const wb = row * nw;
        let a = 0;
        while (a < nw && words[wb + a] === 0) a++;
        if (a === nw) continue;
        let b = nw - 1;
        while (words[wb + b] === 0) b--;
        for (let x = a * 4; x < a * 4 + 4; x++) {
          if (mask[base + x] !== 0) {
            first = x;
            break;
          }
        }
        for (let x = b * 4 + 3; x >= b * 4; x--) {
          if (mask[base + x] !== 0) {
            last = x;
            break;
          }
        }
      } else {
        for (let x = 0; x < nx; x++) {
          if (mask[base + x] !== 0) {
            first = x;
            break;
          }
        }
        if (first < 0) continue;
        for (let x = nx - 1; x >= first; x--) {
          if (mask[base + x] !== 0) {
            last = x;
            break;
          }
        }
      }
      if (z < z0) z0 = z;
      z1 = z;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
    }
  }
  if (z1 < 0) return null;
  return { z0, z1: z1 + 1, y0, y1: y1 + 1, x0, x1: x1 + 1 };
}

/**
 * Grows a box by `margin` voxels on every side, clipped to the shape.
 *
 * @param box the box
 * @param margin voxels per side along (z, y, x)
 * @param shape the volume's shape
 * @returns the grown box
 */
export function growBox(box: Box, margin: Zyx, shape: Zyx): Box {
  return {
    z0: Math.max(0, box.z0 - margin[0]),
    z1: Math.min(shape[0], box.z1 + margin[0]),
    y0: Math.max(0, box.y0 - margin[1]),
    y1: Math.min(shape[1], box.y1 + margin[1]),
    x0: Math.max(0, box.x0 - margin[2]),
    x1: Math.min(shape[2], box.x1 + margin[2]),
  };
}

/** The shape of a box, (z1 − z0, y1 − y0, x1 − x0). */
export function boxShape(box: Box): Zyx {
  return [box.z1 - box.z0, box.y1 - box.y0, box.x1 - box.x0];
}

/**
 * Copies the part of `data` inside `box` into a new dense array of the box's
 * shape.
 *
 * @param data voxels in ZYX order of shape `shape`
 * @param shape the volume's shape
 * @param box the part to copy
 * @returns a Uint8Array of `boxShape(box)`
 */
export function cropMask(
  data: Uint8Array,
  shape: Zyx,
  box: Box,
): Uint8Array {
  const [, ny, nx] = shape;
  const [bz, by, bx] = boxShape(box);
  const out = new Uint8Array(bz * by * bx);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const src = ((z + box.z0) * ny + y + box.y0) * nx + box.x0;
      out.set(data.subarray(src, src + bx), (z * by + y) * bx);
    }
  }
  return out;
}

/**
 * Writes a box-shaped array back into the volume-shaped `out` (the inverse of
 * {@linkcode cropMask}); voxels outside the box are left as they are.
 *
 * @param part array of `boxShape(box)`
 * @param box where it goes
 * @param out voxels in ZYX order of shape `shape`
 * @param shape the volume's shape
 */
export function pasteMask(
  part: Uint8Array,
  box: Box,
  out: Uint8Array,
  shape: Zyx,
): void {
  const [, ny, nx] = shape;
  const [bz, by, bx] = boxShape(box);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const dst = ((z + box.z0) * ny + y + box.y0) * nx + box.x0;
      out.set(part.subarray((z * by + y) * bx, (z * by + y + 1) * bx), dst);
    }
  }
}
