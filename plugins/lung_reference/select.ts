/**
 * 3D component selection (reference §1.3, DSB2017 `all_slice_analysis`):
 * 6-connected components, the 12 probes, volume limits, the distance rule,
 * and the restoration of cut slices.
 *
 * @module
 */

import {
  type Box,
  cityBlockDistance,
  labelAt,
  type LabelledRuns,
  labelMask,
  paintLabels,
  type Zyx,
} from "../../core/mod.ts";
import type { FieldOfView } from "./binarize.ts";

/** Which end of the z axis the cut removes slices from. */
export type CutEnd = "high" | "low";

/** Settings of {@linkcode selectComponents}. */
export interface SelectSettings {
  /** Allowed component volume in litres, [min, max]. */
  readonly volumeL: readonly [number, number];
  /** Slices where a component is larger than this (mm²) enter the distance rule. */
  readonly areaMm2: number;
  /** The mean of those slices' minimum distances to the slice centre must be below this (mm). */
  readonly distanceMm: number;
  /** Keep only the two largest components that pass (false in the reference). */
  readonly keepTwoLargest: boolean;
  /** Cap of the restoration's dilation (voxels); the reference dilates `cut` times. */
  readonly restoreMax: number;
  /**
   * Also drop components that touch the edge of the field of view in any
   * slice (not in the reference, whose probes miss the air around the body
   * when a circular FOV hides the corners and the body breaks that air into
   * pieces). Needs `fov`.
   */
  readonly dropFovEdge?: boolean;
  /** The field of view (from the binarization). */
  readonly fov?: FieldOfView;
}

/** Why each component was dropped, for the report. */
export interface SelectCounts {
  /** Components of the mask (after the cut). */
  readonly components: number;
  /** Dropped because they touch a probe voxel. */
  readonly probe: number;
  /** Dropped by the volume limits. */
  readonly volume: number;
  /** Dropped by the distance rule. */
  readonly distance: number;
  /** Dropped by `keepTwoLargest`. */
  readonly extra: number;
  /** Kept. */
  readonly kept: number;
  /** Volume (L) of the largest component dropped by a probe, 0 if none. */
  readonly largestProbeL: number;
}

/** What {@linkcode selectComponents} returns. */
export interface Selection {
  /** 0/1 kept components (with cut slices restored), or null when none is kept. */
  readonly mask: Uint8Array | null;
  /** Counts behind the decision. */
  readonly counts: SelectCounts;
}

/**
 * Runs one pass of the 3D selection with `cut` slices removed at `cutEnd`.
 *
 * @param bw the binarized mask (0/1, ZYX), not changed
 * @param shape (nz, ny, nx)
 * @param spacingMm voxel size (z, y, x)
 * @param cut slices removed at `cutEnd` (0 for none)
 * @param cutEnd `"high"` (last indices, the reference) or `"low"`
 * @param settings the limits
 * @returns the kept mask (null if none) and the counts
 */
export function selectComponents(
  bw: Uint8Array,
  shape: Zyx,
  spacingMm: Zyx,
  cut: number,
  cutEnd: CutEnd,
  settings: SelectSettings,
): Selection {
  const [nz, ny, nx] = shape;
  const box: Box = {
    z0: cutEnd === "low" ? cut : 0,
    z1: cutEnd === "high" ? nz - cut : nz,
    y0: 0,
    y1: ny,
    x0: 0,
    x1: nx,
  };
  const empty = (components: number): Selection => ({
    mask: null,
    counts: {
      components,
      probe: 0,
      volume: 0,
      distance: 0,
      extra: 0,
      kept: 0,
      largestProbeL: 0,
    },
  });
  if (box.z1 <= box.z0) return empty(0);
  const runs = labelMask(bw, shape, 6, box);
  const n = runs.components;
  if (n === 0) return empty(0);
  const voxelMm3 = spacingMm[0] * spacingMm[1] * spacingMm[2];

  // 12 probes: the 8 corners and the middle of the first and last rows, on the
  // first and the last kept slice.
  const dropped = new Uint8Array(n + 1);
  const mid = Math.floor(nx / 2);
  let probe = 0, largestProbe = 0;
  for (const z of [box.z0, box.z1 - 1]) {
    for (const y of [0, ny - 1]) {
      for (const x of [0, nx - 1, mid]) {
        const l = labelAt(runs, z, y, x);
        if (l > 0 && !dropped[l]) {
          dropped[l] = 1;
          probe++;
          largestProbe = Math.max(largestProbe, runs.sizes[l] * voxelMm3);
        }
      }
    }
  }
  if (settings.dropFovEdge && settings.fov) {
    const { circular, firstValid, lastValid } = settings.fov;
    for (let z = box.z0; z < box.z1; z++) {
      for (let y = 0; y < ny; y++) {
        const r = z * ny + y;
        const lo = circular[z] ? firstValid[y] : 0;
        const hi = circular[z] ? lastValid[y] : nx - 1;
        const rowEdge = y === 0 || y === ny - 1 || lo < 0;
        for (let i = runs.rowStart[r]; i < runs.rowStart[r + 1]; i++) {
          const l = runs.labels[i];
          if (dropped[l]) continue;
          if (rowEdge || runs.x0[i] <= lo + 1 || runs.x1[i] - 1 >= hi - 1) {
            dropped[l] = 1;
            probe++;
            largestProbe = Math.max(largestProbe, runs.sizes[l] * voxelMm3);
          }
        }
      }
    }
  }
  let volume = 0;
  const [vmin, vmax] = settings.volumeL;
  const candidates: number[] = [];
  for (let l = 1; l <= n; l++) {
    if (dropped[l]) continue;
    const v = runs.sizes[l] * voxelMm3;
    if (v < vmin * 1e6 || v > vmax * 1e6) {
      dropped[l] = 1;
      volume++;
    } else candidates.push(l);
  }
  const passing = distanceRule(runs, candidates, spacingMm, settings);
  const distance = candidates.length - passing.length;
  let kept = passing;
  let extra = 0;
  if (settings.keepTwoLargest && passing.length > 2) {
    kept = [...passing].sort((a, b) => runs.sizes[b] - runs.sizes[a]).slice(
      0,
      2,
    );
    extra = passing.length - 2;
  }
  const counts: SelectCounts = {
    components: n,
    probe,
    volume,
    distance,
    extra,
    kept: kept.length,
    largestProbeL: largestProbe / 1e6,
  };
  if (kept.length === 0) return { mask: null, counts };
  const keep = new Uint8Array(n + 1);
  for (const l of kept) keep[l] = 1;
  const mask = new Uint8Array(nz * ny * nx);
  paintLabels(runs, keep, mask);
  if (cut > 0) {
    restoreCut(bw, mask, runs, kept, shape, cut, cutEnd, settings.restoreMax);
  }
  return { mask, counts };
}

// The distance rule: for each slice where the component covers more than
// areaMm2, the minimum in-plane distance of its pixels to the slice centre;
// the component passes when the mean of those minima is below distanceMm
// (no such slice: the mean is NaN and it fails, as in the reference).
function distanceRule(
  runs: LabelledRuns,
  candidates: readonly number[],
  spacingMm: Zyx,
  settings: SelectSettings,
): number[] {
  if (candidates.length === 0) return [];
  const [nz, ny, nx] = runs.shape;
  const index = new Int32Array(runs.components + 1).fill(-1);
  candidates.forEach((l, k) => index[l] = k);
  const m = candidates.length;
  const area = new Float64Array(m * nz);
  const minD2 = new Float64Array(m * nz).fill(Infinity);
  const sy = spacingMm[1], sx = spacingMm[2];
  const cy = (ny - 1) / 2, cx = (nx - 1) / 2;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const r = z * ny + y;
      const dy2 = ((y - cy) * sy) ** 2;
      for (let i = runs.rowStart[r]; i < runs.rowStart[r + 1]; i++) {
        const k = index[runs.labels[i]];
        if (k < 0) continue;
        const a = runs.x0[i], b = runs.x1[i] - 1;
        area[k * nz + z] += b - a + 1;
        // Column of the run closest to the centre.
        const dx = cx < a
          ? a - cx
          : cx > b
          ? cx - b
          : Math.abs(cx - Math.round(cx));
        const d2 = dy2 + (dx * sx) ** 2;
        if (d2 < minD2[k * nz + z]) minD2[k * nz + z] = d2;
      }
    }
  }
  const pixelMm2 = sy * sx;
  const passing: number[] = [];
  for (let k = 0; k < m; k++) {
    let sum = 0, count = 0;
    for (let z = 0; z < nz; z++) {
      if (area[k * nz + z] * pixelMm2 > settings.areaMm2) {
        sum += Math.sqrt(minD2[k * nz + z]);
        count++;
      }
    }
    if (count > 0 && sum / count < settings.distanceMm) {
      passing.push(candidates[k]);
    }
  }
  return passing;
}

// Restores the cut slices (reference §1.3): bw1 = kept plus the original cut
// slices, bw2 = kept dilated `cut` times (capped at restoreMax), and the
// 6-connected components of bw1 ∧ bw2 holding the first voxel of a kept
// component are the result. Only the cut slices can differ from `mask`.
function restoreCut(
  bw: Uint8Array,
  mask: Uint8Array,
  runs: LabelledRuns,
  kept: readonly number[],
  shape: Zyx,
  cut: number,
  cutEnd: CutEnd,
  restoreMax: number,
): void {
  const [nz, ny, nx] = shape;
  const plane = ny * nx;
  const reach = Math.min(cut, restoreMax);
  if (reach <= 0) return;
  // Slab of the cut slices plus `reach` kept slices next to them.
  const cutZ0 = cutEnd === "high" ? nz - cut : 0;
  const cutZ1 = cutEnd === "high" ? nz : cut;
  const slabZ0 = Math.max(0, cutEnd === "high" ? cutZ0 - reach : cutZ0);
  const slabZ1 = Math.min(nz, cutEnd === "high" ? cutZ1 : cutZ1 + reach);
  const slab = mask.subarray(slabZ0 * plane, slabZ1 * plane);
  const d = cityBlockDistance(
    slab,
    [slabZ1 - slabZ0, ny, nx],
    "set",
    reach + 1,
  );
  const bw3 = mask.slice();
  for (let z = cutZ0; z < cutZ1; z++) {
    const off = z * plane, doff = (z - slabZ0) * plane;
    for (let i = 0; i < plane; i++) {
      if (bw[off + i] && d[doff + i] <= reach) bw3[off + i] = 1;
    }
  }
  const runs3 = labelMask(bw3, shape, 6);
  const keep3 = new Uint8Array(runs3.components + 1);
  for (const l of kept) {
    const i = runs.firstRun[l];
    const row = runRow(runs, i);
    const z = Math.floor(row / ny), y = row % ny;
    const l3 = labelAt(runs3, z, y, runs.x0[i]);
    if (l3 > 0) keep3[l3] = 1;
  }
  mask.fill(0);
  paintLabels(runs3, keep3, mask);
}

// The row (z · ny + y) of run i: the last row whose first run is ≤ i.
function runRow(runs: LabelledRuns, i: number): number {
  let lo = 0, hi = runs.rowStart.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs.rowStart[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
