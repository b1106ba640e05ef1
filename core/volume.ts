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
