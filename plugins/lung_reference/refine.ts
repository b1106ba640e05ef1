/**
 * Boundary refinement: the blurred −600 HU threshold leaves out the lung's
 * partial-volume rim (voxels that are more lung than wall read about −400 HU
 * and sit next to tissue that the blur spreads in). This grows each lung
 * back into neighbouring voxels whose raw HU is below a midpoint threshold,
 * a few voxels at most, never into the other lung. Not part of the
 * reference; its mask is the "inner" lung, which the reference's later
 * convex dilation hides.
 *
 * @module
 */

import { maskBox, type Volume } from "../../core/mod.ts";

/**
 * Geodesic dilation, in place: `steps` rounds of 6-connected growth of
 * `lung` into voxels with raw HU < `thresholdHu` that are in neither lung.
 *
 * @param volume the CT volume (HU)
 * @param lung 0/1 voxels, ZYX, changed in place
 * @param other the other lung (never entered), or null
 * @param thresholdHu voxels must read below this
 * @param steps rounds of growth (≥ 0)
 * @returns the number of voxels added
 */
export function growIntoRim(
  volume: Volume,
  lung: Uint8Array,
  other: Uint8Array | null,
  thresholdHu: number,
  steps: number,
): number {
  const [nz, ny, nx] = volume.shape;
  const box = maskBox(lung, volume.shape);
  if (!box || steps <= 0) return 0;
  const hu = volume.data;
  const plane = ny * nx;
  let frontier = new Int32Array(1024), size = 0;
  const push = (i: number) => {
    if (size === frontier.length) {
      const next = new Int32Array(size * 2);
      next.set(frontier);
      frontier = next;
    }
    frontier[size++] = i;
  };
  // A candidate: outside both lungs, below the threshold. Marked with 2 in
  // `lung` once queued so it is queued only once.
  const offer = (i: number) => {
    if (lung[i] === 0 && hu[i] < thresholdHu && !(other && other[i])) {
      lung[i] = 2;
      push(i);
    }
  };
  for (let z = box.z0; z < box.z1; z++) {
    for (let y = box.y0; y < box.y1; y++) {
      const row = (z * ny + y) * nx;
      for (let x = box.x0; x < box.x1; x++) {
        const i = row + x;
        if (lung[i] !== 1) continue;
        if (x > 0) offer(i - 1);
        if (x + 1 < nx) offer(i + 1);
        if (y > 0) offer(i - nx);
        if (y + 1 < ny) offer(i + nx);
        if (z > 0) offer(i - plane);
        if (z + 1 < nz) offer(i + plane);
      }
    }
  }
  // Round 1 is queued; each pass expands round `step` into round step + 1.
  let start = 0;
  for (let step = 1; step < steps && start < size; step++) {
    const end = size;
    for (let k = start; k < end; k++) {
      const i = frontier[k];
      const z = Math.floor(i / plane), r = i - z * plane;
      const y = Math.floor(r / nx), x = r - y * nx;
      if (x > 0) offer(i - 1);
      if (x + 1 < nx) offer(i + 1);
      if (y > 0) offer(i - nx);
      if (y + 1 < ny) offer(i + nx);
      if (z > 0) offer(i - plane);
      if (z + 1 < nz) offer(i + plane);
    }
    start = end;
  }
  // Every queued voxel is within `steps` rounds: mark them all as lung.
  for (let k = 0; k < size; k++) lung[frontier[k]] = 1;
  return size;
}
