/**
 * Threshold-only lung masks: air below a threshold, 3D components that do
 * not touch the sides of the volume, the largest ones kept. No blur, no
 * shape rules, no separation of joined lungs.
 *
 * @module
 */

import {
  checkSegmenterInput,
  emptyLungMasks,
  labelMask,
  type LungMasks,
  lungMasksFrom,
  paintLabels,
  type SegmentationDecision,
  type Volume,
} from "../../core/mod.ts";

/** Settings of {@linkcode thresholdLungs}. */
export interface ThresholdSettings {
  /** Air is below this (HU). */
  readonly thresholdHu: number;
  /** How many components to keep (1 or 2). */
  readonly maxComponents: number;
  /** Components smaller than this (mL) are never lungs. */
  readonly minVolumeMl: number;
}

const ID = "threshold_only";

/**
 * Thresholds the volume and keeps the largest 6-connected air components
 * that touch none of the four sides of any slice (the air around the body
 * and the padding outside the field of view do).
 *
 * @param volume CT volume in HU
 * @param settings threshold, count and minimum volume
 * @returns lungs[0] the largest component, lungs[1] the second (or empty)
 */
export function thresholdLungs(
  volume: Volume,
  settings: ThresholdSettings,
): LungMasks {
  const reason = checkSegmenterInput(volume, ID);
  if (reason) return emptyLungMasks(volume, ID, reason);
  const [nz, ny, nx] = volume.shape;
  const n = nz * ny * nx;
  const data = volume.data;
  const air = new Uint8Array(n);
  const th = settings.thresholdHu;
  for (let i = 0; i < n; i++) air[i] = data[i] < th ? 1 : 0;
  const runs = labelMask(air, volume.shape, 6);
  const border = new Uint8Array(runs.components + 1);
  for (let r = 0; r < nz * ny; r++) {
    const y = r % ny;
    for (let i = runs.rowStart[r]; i < runs.rowStart[r + 1]; i++) {
      if (y === 0 || y === ny - 1 || runs.x0[i] === 0 || runs.x1[i] === nx) {
        border[runs.labels[i]] = 1;
      }
    }
  }
  const voxelMl = volume.spacingMm[0] * volume.spacingMm[1] *
    volume.spacingMm[2] / 1000;
  const inside: number[] = [];
  let small = 0, touching = 0;
  for (let l = 1; l <= runs.components; l++) {
    if (border[l]) touching++;
    else if (runs.sizes[l] * voxelMl < settings.minVolumeMl) small++;
    else inside.push(l);
  }
  inside.sort((a, b) => runs.sizes[b] - runs.sizes[a]);
  const kept = inside.slice(0, settings.maxComponents);
  const decisions: SegmentationDecision[] = [{
    step: "threshold",
    detail:
      `${runs.components} air components below ${th} HU: ${touching} touch the volume sides, ${small} are under ${settings.minVolumeMl} mL, ${kept.length} kept`,
    values: { components: runs.components, touching, small, kept: kept.length },
  }];
  if (kept.length === 0) {
    return emptyLungMasks(
      volume,
      ID,
      `no air component inside the body: ${decisions[0].detail}`,
      decisions,
    );
  }
  const masks = kept.map((l) => {
    const keep = new Uint8Array(runs.components + 1);
    keep[l] = 1;
    const m = new Uint8Array(n);
    paintLabels(runs, keep, m);
    return m;
  });
  if (masks.length === 1) {
    decisions.push({
      step: "one_component",
      detail:
        "one air component only: lungs joined by the airway stay one mask, lungs[1] is empty",
    });
  }
  return lungMasksFrom(
    volume,
    masks[0],
    masks[1] ?? new Uint8Array(n),
    ID,
    decisions,
  );
}
