/**
 * Helpers every segmenter uses to check its input and to assemble its
 * {@linkcode LungMasks} result (union, volumes, lung count, empty results).
 *
 * @module
 */

import type {
  LungMasks,
  SegmentationDecision,
  SegmentationReport,
} from "./segmenter.ts";
import { type Volume, volumeLike, voxelCount } from "./volume.ts";

/**
 * Checks that a segmenter can work on `volume`: finite HU values. Returns a
 * reason when the volume has no voxel at all (the segmenter then returns
 * {@linkcode emptyLungMasks}), and null when it is fine.
 *
 * @param volume the CT volume
 * @param segmenterId the plugin id, for the message
 * @returns null, or the reason the result must be empty
 * @throws {RangeError} when a voxel is NaN or infinite
 * @example
 * ```ts
 * import { checkSegmenterInput } from "./lung_masks.ts";
 * import { createVolume } from "./volume.ts";
 * checkSegmenterInput(createVolume(new Int16Array(8), [2, 2, 2]), "x"); // null
 * ```
 */
export function checkSegmenterInput(
  volume: Volume,
  segmenterId: string,
): string | null {
  const n = voxelCount(volume.shape);
  if (n === 0) {
    return `the volume has no voxels (shape [${volume.shape.join(", ")}])`;
  }
  const data = volume.data;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    let bad = 0, first = -1;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      // Catches NaN (v !== v) and ±Infinity in one comparison chain.
      if (!(v > -Infinity && v < Infinity)) {
        if (first < 0) first = i;
        bad++;
      }
    }
    if (bad > 0) {
      const [, ny, nx] = volume.shape;
      const z = Math.floor(first / (ny * nx));
      const y = Math.floor(first / nx) % ny, x = first % nx;
      throw new RangeError(
        `Cannot segment volume with "${segmenterId}": ${bad} voxel${
          bad === 1 ? " is" : "s are"
        } NaN or infinite (first at z=${z}, y=${y}, x=${x}), expected finite Hounsfield units`,
      );
    }
  }
  return null;
}

/**
 * An explicit empty result: both lungs and the union are all zero, and the
 * report says why.
 *
 * @param volume the segmented volume (gives the grid and geometry)
 * @param segmenterId the plugin id
 * @param reason why no lung was found, one sentence
 * @param decisions the decisions taken before giving up
 * @returns empty masks on the volume's grid
 * @example
 * ```ts
 * import { emptyLungMasks } from "./lung_masks.ts";
 * import { createVolume } from "./volume.ts";
 * const masks = emptyLungMasks(createVolume(new Int16Array(8), [2, 2, 2]), "x", "no air");
 * masks.report.lungCount; // 0
 * ```
 */
export function emptyLungMasks(
  volume: Volume,
  segmenterId: string,
  reason: string,
  decisions: readonly SegmentationDecision[] = [],
): LungMasks {
  const n = voxelCount(volume.shape);
  return {
    lungs: [
      volumeLike(volume, new Uint8Array(n)),
      volumeLike(volume, new Uint8Array(n)),
    ],
    union: volumeLike(volume, new Uint8Array(n)),
    report: {
      segmenter: segmenterId,
      decisions: [...decisions],
      lungCount: 0,
      lungVolumesL: [0, 0],
      emptyReason: reason,
    },
  };
}

/**
 * Assembles a result from two disjoint 0/1 lung masks on the volume's grid:
 * the union, each lung's volume in litres and the lung count. Swaps the
 * lungs so that an empty one is second. When both are empty the result is
 * empty with `emptyReason`.
 *
 * @param volume the segmented volume
 * @param first one lung, 0/1, length = voxel count (kept, not copied)
 * @param second the other lung, 0/1 (may be all zero)
 * @param segmenterId the plugin id
 * @param decisions every decision taken
 * @param emptyReason the reason to report if both masks are empty
 * @returns the masks and the report
 * @example
 * ```ts
 * import { lungMasksFrom } from "./lung_masks.ts";
 * import { createVolume } from "./volume.ts";
 * const v = createVolume(new Int16Array(2), [1, 1, 2], { spacingMm: [10, 10, 10] });
 * lungMasksFrom(v, new Uint8Array([1, 0]), new Uint8Array([0, 1]), "x", []).report.lungVolumesL; // [0.001, 0.001]
 * ```
 */
export function lungMasksFrom(
  volume: Volume,
  first: Uint8Array,
  second: Uint8Array,
  segmenterId: string,
  decisions: readonly SegmentationDecision[],
  emptyReason = "no lung was found",
): LungMasks {
  const n = voxelCount(volume.shape);
  const voxelL = volume.spacingMm[0] * volume.spacingMm[1] *
    volume.spacingMm[2] / 1e6;
  const union = new Uint8Array(n);
  let a = 0, b = 0;
  for (let i = 0; i < n; i++) {
    const p = first[i], q = second[i];
    a += p;
    b += q;
    union[i] = p | q;
  }
  let lungs: [Uint8Array, Uint8Array] = [first, second];
  let counts = [a, b];
  if (a === 0 && b > 0) {
    lungs = [second, first];
    counts = [b, a];
  }
  const lungCount = (counts[0] > 0 ? 1 : 0) + (counts[1] > 0 ? 1 : 0);
  const report: SegmentationReport = {
    segmenter: segmenterId,
    decisions: [...decisions],
    lungCount,
    lungVolumesL: [counts[0] * voxelL, counts[1] * voxelL],
    ...(lungCount === 0 ? { emptyReason } : {}),
  };
  return {
    lungs: [volumeLike(volume, lungs[0]), volumeLike(volume, lungs[1])],
    union: volumeLike(volume, union),
    report,
  };
}
