/**
 * Volumes, coordinates and the anchor-box format.
 *
 * This is the only file that converts between voxel indices and world
 * coordinates. Conventions:
 *
 * - Voxel arrays are ZYX: `data[(z * ny + y) * nx + x]`, x fastest.
 * - Every coordinate tuple is a {@linkcode Zyx}; the variable's name gives its
 *   space: `voxel…` (continuous index, voxel centres at integers) or
 *   `world…Mm` (patient LPS millimetres, the frame of MetaImage and LUNA16).
 * - LUNA16 CSVs list world coordinates as x, y, z: convert with
 *   {@linkcode zyxFromXyz} / {@linkcode xyzFromZyx} at the CSV boundary only.
 *
 * @module
 */

import { ShapeError } from "./errors.ts";

/** A point or size in (z, y, x) order. The name of the variable gives the space. */
export type Zyx = readonly [z: number, y: number, x: number];

/** A 3×3 matrix, row-major. */
export type Matrix3 = readonly [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** Typed arrays a volume may hold. */
export type VoxelArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/**
 * A 3D image on a regular grid with its place in the world.
 *
 * `worldMm = originMm + direction · (spacingMm ⊙ voxel)`, all in ZYX order:
 * column j of `direction` is the world (z, y, x) unit vector of voxel axis j.
 * For a MetaImage with identity TransformMatrix, `direction` is the identity.
 */
export interface Volume<T extends VoxelArray = VoxelArray> {
  /** Voxel values in ZYX order; CT volumes hold Hounsfield units. */
  readonly data: T;
  /** Number of voxels along (z, y, x). */
  readonly shape: Zyx;
  /** Voxel size along (z, y, x) in mm; every entry is finite and > 0. */
  readonly spacingMm: Zyx;
  /** World position (LPS mm) of voxel (0, 0, 0), in (z, y, x) order. */
  readonly originMm: Zyx;
  /** Direction cosines, row-major, ZYX axes (see the interface comment). */
  readonly direction: Matrix3;
}

/** A nodule annotation: centre in world LPS mm and diameter in mm. */
export interface Nodule {
  /** The scan it belongs to. */
  readonly seriesuid: string;
  /** Centre in world LPS mm, (z, y, x). */
  readonly worldMm: Zyx;
  /** Diameter in mm; `-1` in LUNA16's excluded table means "no size". */
  readonly diameterMm: number;
}

/** A detection: centre in world LPS mm, diameter in mm and a score (higher = more likely). */
export interface Detection extends Nodule {
  /** Any monotone score; FROC uses only its order. */
  readonly score: number;
}

/**
 * The anchor-box format: an axis-aligned cube in voxels of the working grid
 * (1 mm isotropic after preprocessing), centre (z, y, x) and edge length.
 */
export interface Cube {
  /** Centre in voxels of the working grid, (z, y, x). */
  readonly voxel: Zyx;
  /** Edge length (= nodule diameter) in voxels of the working grid. */
  readonly diameter: number;
}

/** The identity direction matrix. */
export const IDENTITY_DIRECTION: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * The 26 unit vectors from a voxel towards its neighbours (faces, edges and
 * corners of the cube around it): directions to sample a sphere's surface.
 */
export const NEIGHBOUR_DIRECTIONS: readonly Zyx[] = (() => {
  const out: Zyx[] = [];
  for (let a = -1; a <= 1; a++) {
    for (let b = -1; b <= 1; b++) {
      for (let c = -1; c <= 1; c++) {
        if (a === 0 && b === 0 && c === 0) continue;
        const n = Math.hypot(a, b, c);
        out.push([a / n, b / n, c / n]);
      }
    }
  }
  return out;
})();

/** Reorders an (x, y, z) triple, as written in LUNA16 CSVs and ITK headers, to (z, y, x). */
export function zyxFromXyz(xyz: readonly [number, number, number]): Zyx {
  return [xyz[2], xyz[1], xyz[0]];
}

/** Reorders a (z, y, x) triple to (x, y, z), as written in LUNA16 CSVs and ITK headers. */
export function xyzFromZyx(zyx: Zyx): [number, number, number] {
  return [zyx[2], zyx[1], zyx[0]];
}

/** Number of voxels of a shape. */
export function voxelCount(shape: Zyx): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * Creates a volume after checking that the data length matches the shape and
 * that spacing is positive and finite.
 *
 * @example
 * ```ts
 * import { createVolume } from "./volume.ts";
 * const v = createVolume(new Int16Array(24), [2, 3, 4], { spacingMm: [2.5, 0.7, 0.7] });
 * v.originMm; // [0, 0, 0]
 * ```
 */
export function createVolume<T extends VoxelArray>(
  data: T,
  shape: Zyx,
  geometry: { spacingMm?: Zyx; originMm?: Zyx; direction?: Matrix3 } = {},
): Volume<T> {
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `Cannot create volume: shape is [${
          shape.join(", ")
        }], expected non-negative integers`,
      );
    }
  }
  if (data.length !== voxelCount(shape)) {
    throw new ShapeError(
      "volume data",
      [voxelCount(shape)],
      [data.length],
    );
  }
  const spacingMm = geometry.spacingMm ?? [1, 1, 1];
  for (const s of spacingMm) {
    if (!(Number.isFinite(s) && s > 0)) {
      throw new RangeError(
        `Cannot create volume: spacing is [${
          spacingMm.join(", ")
        }] mm, expected finite values > 0`,
      );
    }
  }
  return {
    data,
    shape: [shape[0], shape[1], shape[2]],
    spacingMm: [spacingMm[0], spacingMm[1], spacingMm[2]],
    originMm: geometry.originMm ?? [0, 0, 0],
    direction: geometry.direction ?? IDENTITY_DIRECTION,
  };
}

/** Copies the geometry of `like` onto new data of the same shape (e.g. a mask). */
export function volumeLike<T extends VoxelArray>(
  like: Volume,
  data: T,
): Volume<T> {
  return createVolume(data, like.shape, like);
}

/**
 * Maps a continuous voxel index (z, y, x) to world LPS mm (z, y, x).
 *
 * @example
 * ```ts
 * import { createVolume, voxelToWorld } from "./volume.ts";
 * const v = createVolume(new Int16Array(8), [2, 2, 2], { spacingMm: [2, 1, 1], originMm: [-10, 0, 5] });
 * voxelToWorld(v, [1, 0, 1]); // [-8, 0, 6]
 * ```
 */
export function voxelToWorld(
  geometry: Pick<Volume, "spacingMm" | "originMm" | "direction">,
  voxel: Zyx,
): Zyx {
  const { spacingMm: s, originMm: o, direction: d } = geometry;
  const a = voxel[0] * s[0], b = voxel[1] * s[1], c = voxel[2] * s[2];
  return [
    o[0] + d[0] * a + d[1] * b + d[2] * c,
    o[1] + d[3] * a + d[4] * b + d[5] * c,
    o[2] + d[6] * a + d[7] * b + d[8] * c,
  ];
}

/**
 * Maps world LPS mm (z, y, x) to a continuous voxel index (z, y, x); the
 * inverse of {@linkcode voxelToWorld} for any invertible direction matrix.
 */
export function worldToVoxel(
  geometry: Pick<Volume, "spacingMm" | "originMm" | "direction">,
  worldMm: Zyx,
): Zyx {
  const { spacingMm: s, originMm: o, direction: d } = geometry;
  const r: Zyx = [worldMm[0] - o[0], worldMm[1] - o[1], worldMm[2] - o[2]];
  const inv = invert3(d);
  const a = inv[0] * r[0] + inv[1] * r[1] + inv[2] * r[2];
  const b = inv[3] * r[0] + inv[4] * r[1] + inv[5] * r[2];
  const c = inv[6] * r[0] + inv[7] * r[1] + inv[8] * r[2];
  return [a / s[0], b / s[1], c / s[2]];
}

/** Inverts a 3×3 row-major matrix; throws a RangeError when it is singular. */
export function invert3(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new RangeError(
      `Cannot invert direction matrix: determinant is ${det}, expected a non-zero value`,
    );
  }
  const k = 1 / det;
  return [
    A * k,
    -(b * i - c * h) * k,
    (b * f - c * e) * k,
    B * k,
    (a * i - c * g) * k,
    -(a * f - c * d) * k,
    C * k,
    -(a * h - b * g) * k,
    (a * e - b * d) * k,
  ];
}

/**
 * Intersection over union of two axis-aligned cubes (reference §3.2):
 * `inter / (d0³ + d1³ − inter)`.
 *
 * @example
 * ```ts
 * import { cubeIou } from "./volume.ts";
 * cubeIou({ voxel: [0, 0, 0], diameter: 2 }, { voxel: [1, 0, 0], diameter: 2 }); // 4 / 12
 * ```
 */
export function cubeIou(a: Cube, b: Cube): number {
  let inter = 1;
  for (let axis = 0; axis < 3; axis++) {
    const lo = Math.max(
      a.voxel[axis] - a.diameter / 2,
      b.voxel[axis] - b.diameter / 2,
    );
    const hi = Math.min(
      a.voxel[axis] + a.diameter / 2,
      b.voxel[axis] + b.diameter / 2,
    );
    inter *= Math.max(0, hi - lo);
  }
  const union = a.diameter ** 3 + b.diameter ** 3 - inter;
  return union > 0 ? inter / union : 0;
}

// ---------------------------------------------------------------------------
// Resampling and slicing

/** How {@linkcode resample} interpolates: trilinear for images, nearest for masks and labels. */
export type Interpolation = "linear" | "nearest";

/**
 * The grid {@linkcode resample} produces: `round(shape · spacing / target)`
 * voxels per axis (at least 1).
 *
 * @param shape input voxels along (z, y, x)
 * @param spacingMm input voxel size in mm
 * @param targetSpacingMm output voxel size in mm
 * @returns output voxels along (z, y, x)
 * @example
 * ```ts
 * import { resampledShape } from "./volume.ts";
 * resampledShape([300, 512, 512], [2.5, 0.7, 0.7], [1, 1, 1]); // [750, 358, 358]
 * ```
 */
export function resampledShape(
  shape: Zyx,
  spacingMm: Zyx,
  targetSpacingMm: Zyx,
): Zyx {
  return [0, 1, 2].map((axis) =>
    Math.max(
      1,
      Math.round(shape[axis] * spacingMm[axis] / targetSpacingMm[axis]),
    )
  ) as unknown as Zyx;
}

/**
 * Resamples a volume to a new voxel size, keeping its origin and direction,
 * so a world point maps to the same place before and after.
 *
 * Output voxel j samples the input at continuous index `j · target / spacing`
 * on each axis; indices past the last voxel take the edge value (edge mode
 * "nearest"). The output shape is {@linkcode resampledShape} and its spacing
 * is `targetSpacingMm` exactly.
 *
 * - `"linear"`: trilinear, computed as separable passes (x, then y per input
 *   plane, then z between two cached planes) in float64. The result is a
 *   `Float32Array`, except that an integer input gives the same integer type,
 *   rounded with `Math.round` (half up); interpolated values never leave the
 *   input's range, so no clamping is needed.
 * - `"nearest"`: nearest neighbour (`round(index)`, half up), same array type
 *   as the input: use it for masks and labels.
 *
 * @param volume the input volume
 * @param targetSpacingMm output voxel size along (z, y, x) in mm, finite and > 0
 * @param interpolation `"linear"` or `"nearest"`
 * @returns a new volume on the resampled grid
 * @throws {RangeError} for a non-positive or non-finite target spacing or an unknown interpolation
 * @example
 * ```ts
 * import { createVolume, resample } from "./volume.ts";
 * const v = createVolume(new Int16Array([0, 10, 20, 30]), [1, 1, 4]);
 * resample(v, [1, 1, 0.5], "linear").data; // Int16Array [0, 5, 10, 15, 20, 25, 30, 30]
 * ```
 */
export function resample(
  volume: Volume,
  targetSpacingMm: Zyx,
  interpolation: Interpolation,
): Volume {
  for (const s of targetSpacingMm) {
    if (!(Number.isFinite(s) && s > 0)) {
      throw new RangeError(
        `Cannot resample volume: target spacing is [${
          targetSpacingMm.join(", ")
        }] mm, expected finite values > 0`,
      );
    }
  }
  if (interpolation !== "linear" && interpolation !== "nearest") {
    throw new RangeError(
      `Cannot resample volume: interpolation is "${interpolation}", expected "linear" or "nearest"`,
    );
  }
  if (voxelCount(volume.shape) === 0) {
    throw new RangeError(
      `Cannot resample volume: shape is [${
        volume.shape.join(", ")
      }], expected at least one voxel`,
    );
  }
  const shape = resampledShape(
    volume.shape,
    volume.spacingMm,
    targetSpacingMm,
  );
  const ratios = [0, 1, 2].map((a) => targetSpacingMm[a] / volume.spacingMm[a]);
  const data = interpolation === "nearest"
    ? resampleNearest(volume.data, volume.shape, shape, ratios)
    : resampleLinear(volume.data, volume.shape, shape, ratios);
  return createVolume(data, shape, {
    spacingMm: [targetSpacingMm[0], targetSpacingMm[1], targetSpacingMm[2]],
    originMm: volume.originMm,
    direction: volume.direction,
  });
}

/**
 * The voxels of plane `z` (shape `[ny, nx]`, x fastest) as a view that shares
 * the volume's buffer.
 *
 * @param volume the volume
 * @param z plane index, an integer in `[0, shape[0])`
 * @returns a subarray of `volume.data` of length `ny · nx`
 * @throws {RangeError} when `z` is out of range
 * @example
 * ```ts
 * import { createVolume, sliceZ } from "./volume.ts";
 * const v = createVolume(new Int16Array([1, 2, 3, 4]), [2, 1, 2]);
 * sliceZ(v, 1); // Int16Array [3, 4]
 * ```
 */
export function sliceZ<T extends VoxelArray>(volume: Volume<T>, z: number): T {
  const [nz, ny, nx] = volume.shape;
  if (!Number.isInteger(z) || z < 0 || z >= nz) {
    throw new RangeError(
      `Cannot slice volume: z is ${z}, expected an integer in [0, ${nz})`,
    );
  }
  return volume.data.subarray(z * ny * nx, (z + 1) * ny * nx) as T;
}

/**
 * A copy of a ZYX array with `channels` values per voxel (voxel-major),
 * reversed along one axis: `out[…, i, …] = data[…, n − 1 − i, …]`. Rows are
 * copied whole where the flip leaves them contiguous (z and y).
 *
 * @param data the array, length `voxels · channels`
 * @param shape its shape (z, y, x)
 * @param axis 0 (z), 1 (y) or 2 (x)
 * @param channels values per voxel (default 1)
 * @returns the flipped copy
 * @throws {ShapeError} when `data` does not hold `shape` × `channels` values
 * @example
 * ```ts
 * import { flipAxis } from "./volume.ts";
 * flipAxis(Float32Array.of(1, 2, 3, 4), [1, 1, 2], 2, 2); // Float32Array [3, 4, 1, 2]
 * ```
 */
export function flipAxis(
  data: Float32Array,
  shape: Zyx,
  axis: 0 | 1 | 2,
  channels = 1,
): Float32Array {
  const [D, H, W] = shape;
  if (data.length !== D * H * W * channels) {
    throw new ShapeError(
      `array to flip (${channels} per voxel)`,
      [D, H, W, channels],
      [data.length],
    );
  }
  const row = W * channels;
  const out = new Float32Array(data.length);
  for (let z = 0; z < D; z++) {
    const zFrom = axis === 0 ? D - 1 - z : z;
    for (let y = 0; y < H; y++) {
      const yFrom = axis === 1 ? H - 1 - y : y;
      const to = (z * H + y) * row, from = (zFrom * H + yFrom) * row;
      if (axis !== 2) {
        out.set(data.subarray(from, from + row), to);
        continue;
      }
      for (let x = 0; x < W; x++) {
        const f = from + (W - 1 - x) * channels, t = to + x * channels;
        for (let c = 0; c < channels; c++) out[t + c] = data[f + c];
      }
    }
  }
  return out;
}

type VoxelArrayCtor = new (length: number) => VoxelArray;

function isIntegerArray(data: VoxelArray): boolean {
  return !(data instanceof Float32Array || data instanceof Float64Array);
}

/** Per-axis linear tables: lower index, upper index and weight of the upper one. */
function linearTable(
  n: number,
  m: number,
  ratio: number,
): { lo: Int32Array; hi: Int32Array; w: Float64Array } {
  const lo = new Int32Array(m), hi = new Int32Array(m);
  const w = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const c = j * ratio;
    if (c >= n - 1) {
      lo[j] = hi[j] = n - 1;
      w[j] = 0;
    } else {
      const i = Math.floor(c);
      lo[j] = i;
      hi[j] = i + 1;
      w[j] = c - i;
    }
  }
  return { lo, hi, w };
}

function nearestTable(n: number, m: number, ratio: number): Int32Array {
  const t = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    t[j] = Math.min(n - 1, Math.floor(j * ratio + 0.5));
  }
  return t;
}

function resampleNearest(
  input: VoxelArray,
  from: Zyx,
  to: Zyx,
  ratios: number[],
): VoxelArray {
  const [, ny, nx] = from;
  const [mz, my, mx] = to;
  const tz = nearestTable(from[0], mz, ratios[0]);
  const ty = nearestTable(ny, my, ratios[1]);
  const tx = nearestTable(nx, mx, ratios[2]);
  const out = new (input.constructor as VoxelArrayCtor)(mz * my * mx);
  let o = 0;
  for (let z = 0; z < mz; z++) {
    const zOff = tz[z] * ny * nx;
    for (let y = 0; y < my; y++) {
      const row = zOff + ty[y] * nx;
      for (let x = 0; x < mx; x++) out[o++] = input[row + tx[x]];
    }
  }
  return out;
}

function resampleLinear(
  input: VoxelArray,
  from: Zyx,
  to: Zyx,
  ratios: number[],
): VoxelArray {
  const [, ny, nx] = from;
  const [mz, my, mx] = to;
  const tz = linearTable(from[0], mz, ratios[0]);
  const ty = linearTable(ny, my, ratios[1]);
  const tx = linearTable(nx, mx, ratios[2]);
  const integer = isIntegerArray(input);
  const out: VoxelArray = integer
    ? new (input.constructor as VoxelArrayCtor)(mz * my * mx)
    : new Float32Array(mz * my * mx);
  const planeSize = my * mx;
  // Rows of the input plane that the y pass reads (downsampling skips some).
  const rowNeeded = new Uint8Array(ny);
  for (let y = 0; y < my; y++) rowNeeded[ty.lo[y]] = rowNeeded[ty.hi[y]] = 1;
  const rows = new Float64Array(ny * mx);

  // Resamples input plane `zi` in x then y into `plane` (my × mx).
  const xyPlane = (zi: number, plane: Float64Array): void => {
    const base = zi * ny * nx;
    const { lo: xl, hi: xh, w: xw } = tx;
    for (let y = 0; y < ny; y++) {
      if (rowNeeded[y] === 0) continue;
      const src = base + y * nx;
      const dst = y * mx;
      for (let x = 0; x < mx; x++) {
        const a = input[src + xl[x]];
        rows[dst + x] = a + (input[src + xh[x]] - a) * xw[x];
      }
    }
    const { lo: yl, hi: yh, w: yw } = ty;
    for (let y = 0; y < my; y++) {
      const r0 = yl[y] * mx, r1 = yh[y] * mx, w = yw[y], dst = y * mx;
      if (w === 0) {
        for (let x = 0; x < mx; x++) plane[dst + x] = rows[r0 + x];
      } else {
        for (let x = 0; x < mx; x++) {
          const a = rows[r0 + x];
          plane[dst + x] = a + (rows[r1 + x] - a) * w;
        }
      }
    }
  };

  // Two cached planes: output z only ever needs input planes lo[z] and lo[z] + 1,
  // and lo[z] never decreases, so each input plane is resampled at most once.
  let planeA = new Float64Array(planeSize),
    planeB = new Float64Array(planeSize);
  let indexA = -1, indexB = -1;
  for (let z = 0; z < mz; z++) {
    const i0 = tz.lo[z], i1 = tz.hi[z], w = tz.w[z];
    if (indexA !== i0) {
      if (indexB === i0) {
        [planeA, planeB] = [planeB, planeA];
        [indexA, indexB] = [indexB, indexA];
      } else {
        xyPlane(i0, planeA);
        indexA = i0;
      }
    }
    if (w !== 0 && indexB !== i1) {
      xyPlane(i1, planeB);
      indexB = i1;
    }
    const o = z * planeSize;
    if (integer) {
      if (w === 0) {
        for (let k = 0; k < planeSize; k++) out[o + k] = Math.round(planeA[k]);
      } else {
        for (let k = 0; k < planeSize; k++) {
          const a = planeA[k];
          out[o + k] = Math.round(a + (planeB[k] - a) * w);
        }
      }
    } else if (w === 0) {
      for (let k = 0; k < planeSize; k++) out[o + k] = planeA[k];
    } else {
      for (let k = 0; k < planeSize; k++) {
        const a = planeA[k];
        out[o + k] = a + (planeB[k] - a) * w;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The preprocessed grid (reference §1.7): the scan resampled to an isotropic
// working grid and cropped to the lung box. Voxel p of the full working grid
// samples the scan at continuous index p · resolution / spacing (the
// reference's "index i maps to i · spacing"), so its world position is
// origin + direction · (p · resolution); the crop starts at `extendboxStart`.
// LUNA16's flipped TransformMatrix is just a direction matrix here.

/** Where a preprocessed (resampled, cropped) grid lies: the crop of the working grid. */
export interface PreprocessedGrid {
  /** World position (LPS mm, z y x) of the scan's voxel (0, 0, 0). */
  readonly sourceOriginMm: Zyx;
  /** The scan's direction cosines. */
  readonly direction: Matrix3;
  /** Voxel size of the working grid in mm (1 in the reference). */
  readonly resolutionMm: number;
  /** First voxel of the crop on the full working grid, (z, y, x). */
  readonly extendboxStart: Zyx;
}

/**
 * The geometry (origin, spacing, direction) of a preprocessed grid, usable
 * with {@linkcode voxelToWorld} and {@linkcode worldToVoxel}.
 *
 * @param grid the crop of the working grid
 * @returns a geometry whose voxel (0, 0, 0) is the crop's first voxel
 * @example
 * ```ts
 * import { preprocessedGeometry } from "./volume.ts";
 * const g = preprocessedGeometry({ sourceOriginMm: [-100, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], resolutionMm: 1, extendboxStart: [5, 10, 20] });
 * g.originMm; // [-95, 10, 20]
 * ```
 */
export function preprocessedGeometry(
  grid: PreprocessedGrid,
): Pick<Volume, "spacingMm" | "originMm" | "direction"> {
  const r = grid.resolutionMm;
  if (!(Number.isFinite(r) && r > 0)) {
    throw new RangeError(
      `Cannot place preprocessed grid: resolution is ${r} mm, expected a finite value > 0`,
    );
  }
  const s = grid.extendboxStart, d = grid.direction, o = grid.sourceOriginMm;
  const a = s[0] * r, b = s[1] * r, c = s[2] * r;
  return {
    spacingMm: [r, r, r],
    originMm: [
      o[0] + d[0] * a + d[1] * b + d[2] * c,
      o[1] + d[3] * a + d[4] * b + d[5] * c,
      o[2] + d[6] * a + d[7] * b + d[8] * c,
    ],
    direction: d,
  };
}

/**
 * Maps world LPS mm (z, y, x) to a continuous voxel of a preprocessed grid.
 *
 * @param grid the crop of the working grid
 * @param worldMm the point
 * @returns voxel (z, y, x) of the crop, continuous
 * @example
 * ```ts
 * import { worldToPreprocessed } from "./volume.ts";
 * worldToPreprocessed({ sourceOriginMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], resolutionMm: 1, extendboxStart: [5, 10, 20] }, [15, 30, 40]); // [10, 20, 20]
 * ```
 */
export function worldToPreprocessed(grid: PreprocessedGrid, worldMm: Zyx): Zyx {
  return worldToVoxel(preprocessedGeometry(grid), worldMm);
}

/**
 * Maps a continuous voxel of a preprocessed grid back to world LPS mm; the
 * inverse of {@linkcode worldToPreprocessed}.
 *
 * @param grid the crop of the working grid
 * @param voxel voxel (z, y, x) of the crop
 * @returns world (z, y, x) in mm
 * @example
 * ```ts
 * import { preprocessedToWorld } from "./volume.ts";
 * preprocessedToWorld({ sourceOriginMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], resolutionMm: 1, extendboxStart: [5, 10, 20] }, [10, 20, 20]); // [15, 30, 40]
 * ```
 */
export function preprocessedToWorld(grid: PreprocessedGrid, voxel: Zyx): Zyx {
  return voxelToWorld(preprocessedGeometry(grid), voxel);
}

/**
 * Channels of equal length interleaved voxel-major (`[voxels, channels]`
 * flattened), the layout of a channels-last tensor.
 *
 * @param channels one array per channel, all of the same length
 * @returns the interleaved values
 * @throws {ShapeError} when the lengths differ
 * @example
 * ```ts
 * import { interleaveChannels } from "./volume.ts";
 * interleaveChannels([Float32Array.of(1, 2), Float32Array.of(3, 4)]); // Float32Array [1, 3, 2, 4]
 * ```
 */
export function interleaveChannels(
  channels: readonly Float32Array[],
): Float32Array {
  const c = channels.length;
  const n = channels[0].length;
  const out = new Float32Array(n * c);
  for (const [k, channel] of channels.entries()) {
    if (channel.length !== n) {
      throw new ShapeError(`input channel ${k}`, [n], [channel.length]);
    }
    for (let i = 0, o = k; i < n; i++, o += c) out[o] = channel[i];
  }
  return out;
}
