/**
 * The "no lung mask" ablation: the body (the largest non-air component,
 * holes filled per slice) stands in for the lungs, so the pipeline still
 * crops to the body and pads outside it.
 *
 * @module
 */

import {
  checkSegmenterInput,
  emptyLungMasks,
  fillHolesPerComponent2d,
  labelMask,
  type LungMasks,
  lungMasksFrom,
  paintLabels,
  type Volume,
} from "../../core/mod.ts";

const ID = "none";

/**
 * The body mask as lungs[0] (lungs[1] empty): the largest 6-connected
 * component of voxels at or above `bodyThresholdHu`, with the holes of each
 * slice filled (so the lungs, airways and bowel gas inside are included).
 *
 * @param volume CT volume in HU
 * @param bodyThresholdHu tissue is at or above this (HU)
 * @returns the body as a single "lung"
 */
export function bodyMask(volume: Volume, bodyThresholdHu: number): LungMasks {
  const reason = checkSegmenterInput(volume, ID);
  if (reason) return emptyLungMasks(volume, ID, reason);
  const n = volume.data.length;
  const tissue = new Uint8Array(n);
  let air = 0;
  for (let i = 0; i < n; i++) {
    if (volume.data[i] >= bodyThresholdHu) tissue[i] = 1;
    else air++;
  }
  if (air === 0) {
    return emptyLungMasks(
      volume,
      ID,
      `no voxel is below ${bodyThresholdHu} HU: without air around it the body outline cannot be found`,
    );
  }
  const runs = labelMask(tissue, volume.shape, 6);
  if (runs.components === 0) {
    return emptyLungMasks(
      volume,
      ID,
      `no voxel is at or above ${bodyThresholdHu} HU: there is no body`,
    );
  }
  let best = 1;
  for (let l = 2; l <= runs.components; l++) {
    if (runs.sizes[l] > runs.sizes[best]) best = l;
  }
  const keep = new Uint8Array(runs.components + 1);
  keep[best] = 1;
  const body = new Uint8Array(n);
  paintLabels(runs, keep, body);
  const filled = fillHolesPerComponent2d(body, volume.shape);
  return lungMasksFrom(volume, body, new Uint8Array(n), ID, [{
    step: "body_as_lung",
    detail:
      `no lung segmentation: the body (largest component ≥ ${bodyThresholdHu} HU, ${filled} voxels of holes filled per slice) is lungs[0]`,
    values: { components: runs.components, filled },
  }]);
}
