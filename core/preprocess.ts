/**
 * Preprocessing for training and prediction (reference §1.6–1.7): convex
 * dilation of each lung, intensity window to uint8, padding outside the
 * dilated mask, bone removal in the shell, resampling to the isotropic
 * working grid and cropping to the lung box with its margin.
 *
 * The result's geometry is a {@linkcode PreprocessedGrid}: world ↔
 * preprocessed-voxel conversions are {@linkcode worldToPreprocessed} and
 * {@linkcode preprocessedToWorld} in `volume.ts`.
 *
 * @module
 */

import { cityBlockDistance } from "./morphology/distance.ts";
import { HullBuilder } from "./morphology/hull.ts";
import { boxShape, growBox, maskBox } from "./morphology/runs.ts";
import type { LungMasks, SegmentationReport } from "./segmenter.ts";
import {
  createVolume,
  type Matrix3,
  preprocessedGeometry,
  type PreprocessedGrid,
  resample,
  resampledShape,
  type Volume,
  voxelCount,
  type Zyx,
} from "./volume.ts";

/** Bumped whenever the preprocessing output changes (it keys the cache). */
export const PREPROCESS_VERSION = 1;

/** Settings of {@linkcode preprocessScan}. */
export interface PreprocessOptions {
  /**
   * A slice's 2D convex hull replaces it unless the hull is more than this
   * many times the slice's area (reference: 1.5 training, 2 inference).
   */
  readonly hullRatio: number;
  /** 6-connected dilations after the hull (reference 10). */
  readonly dilations: number;
  /** Intensity window [low, high] in HU mapped to 0–255 (reference [−1200, 600]). */
  readonly windowHu: readonly [number, number];
  /** Value outside the dilated mask and for removed bone (reference 170). */
  readonly padValue: number;
  /** Shell voxels above this window value become `padValue` (reference 210). */
  readonly boneThreshold: number;
  /** Working grid voxel size in mm (reference 1). */
  readonly resolutionMm: number;
  /** Crop margin below the lung box, in working voxels (reference 5). */
  readonly marginLow: number;
  /** Crop margin above the lung box, in working voxels (reference 10). */
  readonly marginHigh: number;
}

/** The reference's training preprocessing (hull ratio 1.5). */
export const TRAINING_PREPROCESS: PreprocessOptions = {
  hullRatio: 1.5,
  dilations: 10,
  windowHu: [-1200, 600],
  padValue: 170,
  boneThreshold: 210,
  resolutionMm: 1,
  marginLow: 5,
  marginHigh: 10,
};

/** The reference's inference preprocessing (hull ratio 2). */
export const INFERENCE_PREPROCESS: PreprocessOptions = {
  ...TRAINING_PREPROCESS,
  hullRatio: 2,
};

/** Geometry of the scan a preprocessed volume came from. */
export interface SourceGeometry {
  /** Voxels along (z, y, x). */
  readonly shape: Zyx;
  /** Voxel size (z, y, x) in mm. */
  readonly spacingMm: Zyx;
  /** World position of voxel (0, 0, 0). */
  readonly originMm: Zyx;
  /** Direction cosines. */
  readonly direction: Matrix3;
}

/** A preprocessed scan: the network's input volume and its place in the world. */
export interface PreprocessedScan {
  /**
   * Window-encoded intensities on the cropped working grid, ZYX, uint8:
   * `floor(255 · clip((HU − low) / (high − low), 0, 1))`, `padValue` outside
   * the dilated lungs and for bone in the shell.
   */
  readonly image: Uint8Array;
  /** The dilated lung mask on the same grid (0/1), for the crop sampler. */
  readonly mask: Uint8Array;
  /** Voxels of `image` along (z, y, x). */
  readonly shape: Zyx;
  /** The crop on the full working grid: first voxel (inclusive). */
  readonly extendboxStart: Zyx;
  /** The crop on the full working grid: end (exclusive). */
  readonly extendboxEnd: Zyx;
  /** Where the grid lies (use with `worldToPreprocessed`). */
  readonly grid: PreprocessedGrid;
  /** The scan's own geometry. */
  readonly source: SourceGeometry;
  /** The segmenter's report. */
  readonly report: SegmentationReport;
  /** {@linkcode PREPROCESS_VERSION} that produced it. */
  readonly version: number;
}

/**
 * The reference's `lumTrans`: HU → uint8 through the window, floored; NaN
 * counts as −2000 HU.
 *
 * @param hu Hounsfield units
 * @param windowHu [low, high]
 * @returns 0–255
 * @example
 * ```ts
 * import { windowHu } from "./preprocess.ts";
 * [windowHu(-1200, [-1200, 600]), windowHu(0, [-1200, 600]), windowHu(600, [-1200, 600])]; // [0, 170, 255]
 * ```
 */
export function windowHu(
  hu: number,
  windowHu: readonly [number, number],
): number {
  const v = hu !== hu ? -2000 : hu;
  const t = (v - windowHu[0]) / (windowHu[1] - windowHu[0]);
  return Math.floor(255 * (t < 0 ? 0 : t > 1 ? 1 : t));
}

/**
 * The reference's `process_mask` for one lung: per slice, the 2D convex
 * hull of the slice replaces it unless the hull's area exceeds `hullRatio`
 * times the slice's; then `dilations` 6-connected dilations.
 *
 * @param lung 0/1 voxels, ZYX
 * @param shape (nz, ny, nx)
 * @param hullRatio 1.5 (training) or 2 (inference)
 * @param dilations number of dilations (10)
 * @returns a new 0/1 mask
 * @example
 * ```ts
 * import { convexDilate } from "./preprocess.ts";
 * const m = new Uint8Array(27);
 * m[13] = 1;
 * convexDilate(m, [3, 3, 3], 1.5, 1).reduce((a, b) => a + b, 0); // 7
 * ```
 */
export function convexDilate(
  lung: Uint8Array,
  shape: Zyx,
  hullRatio: number,
  dilations: number,
): Uint8Array {
  const [nz, ny, nx] = shape;
  const out = new Uint8Array(nz * ny * nx);
  const tight = maskBox(lung, shape);
  if (!tight) return out;
  const hull = new HullBuilder();
  const plane = ny * nx;
  for (let z = tight.z0; z < tight.z1; z++) {
    const base = z * plane;
    hull.reset();
    let area = 0;
    for (let y = tight.y0; y < tight.y1; y++) {
      const row = base + y * nx;
      let x = tight.x0;
      while (x < tight.x1) {
        while (x < tight.x1 && lung[row + x] === 0) x++;
        if (x >= tight.x1) break;
        const start = x;
        while (x < tight.x1 && lung[row + x] !== 0) x++;
        hull.addRun(y, start, x);
        area += x - start;
      }
    }
    if (area === 0) continue;
    if (hull.count() > hullRatio * area) {
      out.set(lung.subarray(base, base + plane), base);
    } else {
      hull.paint(out, base, ny, nx);
    }
  }
  if (dilations <= 0) return out;
  // Dilating k times with the cross = city-block distance to the mask ≤ k.
  const box = growBox(
    maskBox(out, shape)!,
    [dilations, dilations, dilations],
    shape,
  );
  const [bz, by, bx] = boxShape(box);
  const local = new Uint8Array(bz * by * bx);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const src = ((z + box.z0) * ny + y + box.y0) * nx + box.x0;
      local.set(out.subarray(src, src + bx), (z * by + y) * bx);
    }
  }
  const d = cityBlockDistance(local, [bz, by, bx], "set", dilations + 1);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const dst = ((z + box.z0) * ny + y + box.y0) * nx + box.x0;
      const src = (z * by + y) * bx;
      for (let x = 0; x < bx; x++) {
        if (d[src + x] <= dilations) out[dst + x] = 1;
      }
    }
  }
  return out;
}

/**
 * The crop of the working grid (reference §1.7): the union mask's voxel box
 * [min, max] on the scan's grid, times spacing / resolution, floored, then
 * `[max(0, min − marginLow), min(newShape, max + marginHigh))`.
 *
 * @param union the union lung mask (0/1)
 * @param shape the scan's shape
 * @param spacingMm the scan's spacing
 * @param options resolution and margins
 * @returns start (inclusive) and end (exclusive) on the working grid, or null for an empty mask
 */
export function extendBox(
  union: Uint8Array,
  shape: Zyx,
  spacingMm: Zyx,
  options: Pick<PreprocessOptions, "resolutionMm" | "marginLow" | "marginHigh">,
): { start: Zyx; end: Zyx } | null {
  const box = maskBox(union, shape);
  if (!box) return null;
  const r = options.resolutionMm;
  const full = resampledShape(shape, spacingMm, [r, r, r]);
  const lo = [box.z0, box.y0, box.x0],
    hi = [box.z1 - 1, box.y1 - 1, box.x1 - 1];
  const start = [0, 1, 2].map((a) =>
    Math.max(0, Math.floor(lo[a] * spacingMm[a] / r) - options.marginLow)
  ) as unknown as Zyx;
  const end = [0, 1, 2].map((a) =>
    Math.min(full[a], Math.floor(hi[a] * spacingMm[a] / r) + options.marginHigh)
  ) as unknown as Zyx;
  return { start, end };
}

/**
 * Window, pad and bone removal on the scan's own grid (reference §1.6):
 * `windowHu` of every voxel inside the dilated mask, `padValue` outside it,
 * and `padValue` for shell voxels (dilated but not lung) above
 * `boneThreshold`.
 *
 * @param hu the scan's voxels (HU; NaN counts as −2000)
 * @param union the lungs (0/1)
 * @param dilated the convex-dilated lungs (0/1)
 * @param options window, pad value and bone threshold
 * @returns uint8 values on the same grid
 * @example
 * ```ts
 * import { encodeScan, TRAINING_PREPROCESS } from "./preprocess.ts";
 * // lung, shell bone, outside
 * encodeScan([-850, 1500, 40], [1, 0, 0], [1, 1, 0], TRAINING_PREPROCESS); // [49, 170, 170]
 * ```
 */
export function encodeScan(
  hu: ArrayLike<number>,
  union: ArrayLike<number>,
  dilated: ArrayLike<number>,
  options: Pick<PreprocessOptions, "windowHu" | "padValue" | "boneThreshold">,
): Uint8Array {
  const n = hu.length;
  const out = new Uint8Array(n);
  const [lowHu, highHu] = options.windowHu;
  const range = highHu - lowHu;
  const pad = options.padValue, bone = options.boneThreshold;
  for (let i = 0; i < n; i++) {
    if (!dilated[i]) {
      out[i] = pad;
      continue;
    }
    let v = hu[i];
    if (v !== v) v = -2000;
    // The same operations, in the same order, as windowHu() (lumTrans).
    const t = (v - lowHu) / range;
    const w = Math.floor(255 * (t < 0 ? 0 : t > 1 ? 1 : t));
    out[i] = union[i] === 0 && w > bone ? pad : w;
  }
  return out;
}

/**
 * Preprocesses one segmented scan.
 *
 * @param volume the CT volume (HU; NaN counts as −2000)
 * @param masks the segmenter's result for it
 * @param options {@linkcode TRAINING_PREPROCESS} or {@linkcode INFERENCE_PREPROCESS}
 * @returns the cropped working-grid image, its dilated mask and geometry
 * @throws {RangeError} when the masks hold no lung (with the segmenter's reason) or do not match the volume
 */
export function preprocessScan(
  volume: Volume,
  masks: LungMasks,
  options: PreprocessOptions = TRAINING_PREPROCESS,
): PreprocessedScan {
  const shape = volume.shape;
  const n = voxelCount(shape);
  for (const m of [masks.lungs[0], masks.lungs[1], masks.union]) {
    if (m.data.length !== n || m.shape.join() !== shape.join()) {
      throw new RangeError(
        `Cannot preprocess scan: mask shape is [${
          m.shape.join(", ")
        }], expected the volume's [${shape.join(", ")}]`,
      );
    }
  }
  const ext = extendBox(masks.union.data, shape, volume.spacingMm, options);
  if (!ext) {
    throw new RangeError(
      `Cannot preprocess scan: the segmenter "${masks.report.segmenter}" found no lung (${
        masks.report.emptyReason ?? "empty masks"
      }), expected at least one lung voxel`,
    );
  }
  const d1 = convexDilate(
    masks.lungs[0].data,
    shape,
    options.hullRatio,
    options.dilations,
  );
  const d2 = convexDilate(
    masks.lungs[1].data,
    shape,
    options.hullRatio,
    options.dilations,
  );
  const union = masks.union.data;
  const dilated = new Uint8Array(n);
  for (let i = 0; i < n; i++) dilated[i] = d1[i] | d2[i];
  const windowed = encodeScan(volume.data, union, dilated, options);
  const r = options.resolutionMm;
  const target: Zyx = [r, r, r];
  const image = resample(
    createVolume(windowed, shape, volume),
    target,
    "linear",
  ).data as Uint8Array;
  const mask = resample(
    createVolume(dilated, shape, volume),
    target,
    "nearest",
  ).data as Uint8Array;
  const full = resampledShape(shape, volume.spacingMm, target);
  const { start, end } = ext;
  const cropShape: Zyx = [
    end[0] - start[0],
    end[1] - start[1],
    end[2] - start[2],
  ];
  const crop = (data: Uint8Array) => {
    const out = new Uint8Array(voxelCount(cropShape));
    for (let z = 0; z < cropShape[0]; z++) {
      for (let y = 0; y < cropShape[1]; y++) {
        const src = ((z + start[0]) * full[1] + y + start[1]) * full[2] +
          start[2];
        out.set(
          data.subarray(src, src + cropShape[2]),
          (z * cropShape[1] + y) * cropShape[2],
        );
      }
    }
    return out;
  };
  const grid: PreprocessedGrid = {
    sourceOriginMm: volume.originMm,
    direction: volume.direction,
    resolutionMm: r,
    extendboxStart: start,
  };
  // Validate the grid once (a bad resolution throws here, not later).
  preprocessedGeometry(grid);
  return {
    image: crop(image),
    mask: crop(mask),
    shape: cropShape,
    extendboxStart: start,
    extendboxEnd: end,
    grid,
    source: {
      shape: volume.shape,
      spacingMm: volume.spacingMm,
      originMm: volume.originMm,
      direction: volume.direction,
    },
    report: masks.report,
    version: PREPROCESS_VERSION,
  };
}
