/**
 * Split-combine inference (reference §6): a preprocessed scan is cut into
 * overlapping patches, each patch runs through the network, and the interior
 * cells of each patch's output are put back together into one output grid.
 *
 * The reference pads every axis to n·side with one fixed side (144) and a
 * margin of 32, so a 300 mm axis costs 3·208 = 624 voxels of network input.
 * Here the side is chosen per axis: n = ⌈L / maxSide⌉ patches and the
 * smallest multiple of `multiple` that covers L with n patches. With
 * L a multiple of maxSide this is exactly the reference tiling.
 *
 * @module
 */

import type { Zyx } from "../volume.ts";

/** How a scan is tiled. */
export interface Tiling {
  /** Scan shape (voxels). */
  readonly shape: Zyx;
  /** Patches per axis. */
  readonly counts: Zyx;
  /** Patch core size per axis (a multiple of `multiple`). */
  readonly sides: Zyx;
  /** Margin added on each side of each patch. */
  readonly margin: number;
  /** Network stride (output cell = stride input voxels). */
  readonly stride: number;
  /** Output grid of the combined result (cells per axis) = counts·sides/stride. */
  readonly grid: Zyx;
}

/** One patch to run. */
export interface Patch {
  /** Patch index (z-major). */
  readonly index: number;
  /** Position of the patch in the tiling, per axis. */
  readonly position: Zyx;
  /** Scan voxel of the patch's first voxel (margin included; may be negative). */
  readonly start: Zyx;
  /** Patch size (sides + 2·margin) per axis. */
  readonly size: Zyx;
}

/**
 * Chooses the tiling of a scan.
 *
 * @param shape scan shape
 * @param maxSide largest patch core per axis (reference: 144)
 * @param margin margin per side (reference: 32); a multiple of `stride`
 * @param stride network output stride (4)
 * @param multiple patch sizes must be multiples of this (the backbone's max stride, 16)
 *
 * @example
 * ```ts
 * import { planTiling } from "./split_combine.ts";
 * planTiling([288, 144, 100], 144, 32, 4, 16).sides; // [144, 144, 112]
 * ```
 */
export function planTiling(
  shape: Zyx,
  maxSide: number,
  margin: number,
  stride: number,
  multiple: number,
): Tiling {
  if (maxSide % multiple !== 0 || margin % multiple !== 0) {
    throw new RangeError(
      `Cannot tile scan: side ${maxSide} and margin ${margin}, expected multiples of ${multiple}`,
    );
  }
  const counts = [0, 0, 0];
  const sides = [0, 0, 0];
  for (let axis = 0; axis < 3; axis++) {
    const L = Math.max(1, shape[axis]);
    const n = Math.ceil(L / maxSide);
    counts[axis] = n;
    sides[axis] = Math.ceil(L / n / multiple) * multiple;
  }
  return {
    shape,
    counts: [counts[0], counts[1], counts[2]],
    sides: [sides[0], sides[1], sides[2]],
    margin,
    stride,
    grid: [
      counts[0] * sides[0] / stride,
      counts[1] * sides[1] / stride,
      counts[2] * sides[2] / stride,
    ],
  };
}

/** Every patch of a tiling, z-major. */
export function patches(tiling: Tiling): Patch[] {
  const out: Patch[] = [];
  const [nz, ny, nx] = tiling.counts;
  const m = tiling.margin;
  const size: Zyx = [
    tiling.sides[0] + 2 * m,
    tiling.sides[1] + 2 * m,
    tiling.sides[2] + 2 * m,
  ];
  for (let i = 0; i < nz; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nx; k++) {
        out.push({
          index: out.length,
          position: [i, j, k],
          start: [
            i * tiling.sides[0] - m,
            j * tiling.sides[1] - m,
            k * tiling.sides[2] - m,
          ],
          size,
        });
      }
    }
  }
  return out;
}

/**
 * The network input of one patch, normalised ((v − 128)/128): voxels past
 * the scan's far end up to the next multiple of `stride` take `pad` (170 in
 * the reference), and everything outside that padded scan replicates its
 * edge (§6 steps 1–2).
 */
export function patchImage(
  image: Uint8Array,
  tiling: Tiling,
  patch: Patch,
  pad: number,
): Float32Array {
  const [D, H, W] = tiling.shape;
  const padded = tiling.shape.map((L) =>
    Math.ceil(L / tiling.stride) * tiling.stride
  );
  const [sd, sh, sw] = patch.size;
  const out = new Float32Array(sd * sh * sw);
  const xs = new Int32Array(sw);
  for (let x = 0; x < sw; x++) {
    xs[x] = clamp(patch.start[2] + x, padded[2]);
  }
  const padNorm = (pad - 128) / 128;
  let o = 0;
  for (let z = 0; z < sd; z++) {
    const zz = clamp(patch.start[0] + z, padded[0]);
    for (let y = 0; y < sh; y++) {
      const yy = clamp(patch.start[1] + y, padded[1]);
      if (zz >= D || yy >= H) {
        out.fill(padNorm, o, o + sw);
        o += sw;
        continue;
      }
      const row = (zz * H + yy) * W;
      for (let x = 0; x < sw; x++) {
        const xx = xs[x];
        out[o++] = xx >= W ? padNorm : (image[row + xx] - 128) / 128;
      }
    }
  }
  return out;
}

/**
 * The coordinate input of one patch, `[gz, gy, gx, 3]` flattened: the whole
 * padded scan spans −0.5…0.5 on each axis (§4.6, test mode), split like the
 * image with edge replication.
 */
export function patchCoord(tiling: Tiling, patch: Patch): Float32Array {
  const s = tiling.stride;
  const cells = patch.size.map((n) => n / s);
  const full = tiling.shape.map((L) => Math.ceil(L / s));
  const lines = [0, 1, 2].map((axis) => {
    const n = full[axis];
    const line = new Float32Array(cells[axis]);
    const first = patch.start[axis] / s;
    for (let c = 0; c < cells[axis]; c++) {
      const g = clamp(first + c, n);
      line[c] = n === 1 ? -0.5 : -0.5 + g / (n - 1);
    }
    return line;
  });
  const out = new Float32Array(cells[0] * cells[1] * cells[2] * 3);
  let o = 0;
  for (let z = 0; z < cells[0]; z++) {
    for (let y = 0; y < cells[1]; y++) {
      for (let x = 0; x < cells[2]; x++) {
        out[o++] = lines[0][z];
        out[o++] = lines[1][y];
        out[o++] = lines[2][x];
      }
    }
  }
  return out;
}

/**
 * Output of the whole scan, `[grid z, grid y, grid x, channels]`,
 * initialised to −1e6 (§6 step 5) and filled patch by patch.
 */
export function createCombined(tiling: Tiling, channels: number): Float32Array {
  return new Float32Array(
    tiling.grid[0] * tiling.grid[1] * tiling.grid[2] * channels,
  ).fill(-1e6);
}

/**
 * Copies the interior cells of one patch's output
 * (`[cells z, cells y, cells x, channels]`, margin cells dropped) into the
 * combined output.
 */
export function combinePatch(
  combined: Float32Array,
  tiling: Tiling,
  patch: Patch,
  output: Float32Array,
  channels: number,
): void {
  const s = tiling.stride;
  const m = tiling.margin / s;
  const cells = patch.size.map((n) => n / s);
  const core = tiling.sides.map((n) => n / s);
  const [, GY, GX] = tiling.grid;
  for (let z = 0; z < core[0]; z++) {
    const gz = patch.position[0] * core[0] + z;
    for (let y = 0; y < core[1]; y++) {
      const gy = patch.position[1] * core[1] + y;
      const from = (((z + m) * cells[1] + (y + m)) * cells[2] + m) * channels;
      const to = ((gz * GY + gy) * GX + patch.position[2] * core[2]) *
        channels;
      combined.set(output.subarray(from, from + core[2] * channels), to);
    }
  }
}

function clamp(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
