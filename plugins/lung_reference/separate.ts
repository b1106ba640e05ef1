/**
 * Hole filling and two-lung separation (reference §1.4–1.5, DSB2017
 * `fill_hole` and `two_lung_only`), on the bounding box of the mask.
 *
 * @module
 */

import {
  type Box,
  boxShape,
  cityBlockDistance,
  cropMask,
  fillHolesPerComponent2d,
  HullBuilder,
  labelAt,
  type LabelledRuns,
  labelMask,
  maskBox,
  paintLabels,
  squaredDistanceToSet,
  type Zyx,
} from "../../core/mod.ts";
import { closeSlices } from "./edge_fill.ts";

/**
 * Fills 3D holes in place (reference `fill_hole`): the complement is labelled
 * with 26-connectivity, and every complement component that touches none of
 * the volume's 8 corners becomes mask. Works on the mask's box grown by one
 * voxel: everything outside the box is background joined to a corner.
 *
 * @param mask 0/1 voxels, ZYX, changed in place
 * @param shape (nz, ny, nx)
 * @returns the number of voxels filled
 */
export function fillHoles3d(mask: Uint8Array, shape: Zyx): number {
  const tight = maskBox(mask, shape);
  if (!tight) return 0;
  const [nz, ny, nx] = shape;
  const box: Box = {
    z0: Math.max(0, tight.z0 - 1),
    z1: Math.min(nz, tight.z1 + 1),
    y0: Math.max(0, tight.y0 - 1),
    y1: Math.min(ny, tight.y1 + 1),
    x0: Math.max(0, tight.x0 - 1),
    x1: Math.min(nx, tight.x1 + 1),
  };
  const local = cropMask(mask, shape, box);
  const bs = boxShape(box);
  for (let i = 0; i < local.length; i++) local[i] ^= 1;
  const runs = labelMask(local, bs, 26);
  const background = new Uint8Array(runs.components + 1);
  // Volume corners that fall inside the box.
  for (const z of [0, nz - 1]) {
    for (const y of [0, ny - 1]) {
      for (const x of [0, nx - 1]) {
        background[labelAt(runs, z - box.z0, y - box.y0, x - box.x0)] = 1;
      }
    }
  }
  // Box faces inside the volume are all complement and joined to the outside.
  const [bz, by, bx] = bs;
  const faces: [number, number, number][] = [];
  if (box.z0 > 0) faces.push([0, 0, 0]);
  if (box.z1 < nz) faces.push([bz - 1, 0, 0]);
  if (box.y0 > 0) faces.push([0, 0, 0]);
  if (box.y1 < ny) faces.push([0, by - 1, 0]);
  if (box.x0 > 0) faces.push([0, 0, 0]);
  if (box.x1 < nx) faces.push([0, 0, bx - 1]);
  for (const [z, y, x] of faces) background[labelAt(runs, z, y, x)] = 1;
  background[0] = 1;
  let filled = 0;
  const holes = new Uint8Array(runs.components + 1);
  for (let l = 1; l <= runs.components; l++) {
    if (!background[l]) {
      holes[l] = 1;
      filled += runs.sizes[l];
    }
  }
  if (filled === 0) return 0;
  const out = new Uint8Array(local.length);
  paintLabels(runs, holes, out);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const src = (z * by + y) * bx;
      const dst = ((z + box.z0) * ny + y + box.y0) * nx + box.x0;
      for (let x = 0; x < bx; x++) if (out[src + x]) mask[dst + x] = 1;
    }
  }
  return filled;
}

/** Settings of {@linkcode separateLungs}. */
export interface SeparateSettings {
  /** Erosions tried before giving up (reference 22). */
  readonly maxErosions: number;
  /** Seeds need largest / second < this (reference 4.8). */
  readonly maxRatio: number;
  /** extract_main keeps the largest 2D components covering this fraction (0.95). */
  readonly cover: number;
  /** Per-slice closing radius (mm) of the mask the seeds are eroded from (0: none, as the reference). */
  readonly seedClosingMm: number;
}

/** The reference values: 22 erosions, ratio 4.8, cover 0.95. */
export const REFERENCE_SEPARATE: SeparateSettings = {
  maxErosions: 22,
  maxRatio: 4.8,
  cover: 0.95,
  seedClosingMm: 0,
};

/** What {@linkcode separateLungs} returns. */
export interface Separation {
  /** First lung (the larger seed), 0/1 on the volume grid. */
  readonly lung1: Uint8Array;
  /** Second lung, all zero when no seeds were found. */
  readonly lung2: Uint8Array;
  /** Erosions applied before two seeds appeared (−1 when none did). */
  readonly erosions: number;
  /** Seed sizes in voxels (largest, second) when found. */
  readonly seedVoxels: readonly number[];
  /** Voxels of the mask that were equally far from both seeds (dropped). */
  readonly ties: number;
}

/**
 * Splits the mask into two lungs (reference `two_lung_only`): erode with the
 * 6-connected cross (the mask with its 2D holes filled) until the largest
 * 18-connected component on each side of the mask's midline column have a
 * size ratio below `maxRatio` (the reference: the two largest overall); assign every voxel of the original mask to
 * the strictly nearer seed (exact Euclidean distance in mm); clean each lung
 * per slice (convex hulls of the largest 2D components covering `cover` of
 * the slice) and keep its largest 26-connected component; fill 2D holes per
 * slice. Without seeds the whole mask is lung 1 and lung 2 is empty.
 *
 * @param mask 0/1 voxels, ZYX (not changed)
 * @param shape (nz, ny, nx)
 * @param spacingMm voxel size (z, y, x)
 * @param settings the reference values or others
 * @returns both lungs and what was decided
 */
export function separateLungs(
  mask: Uint8Array,
  shape: Zyx,
  spacingMm: Zyx,
  settings: SeparateSettings,
): Separation {
  const n = shape[0] * shape[1] * shape[2];
  const lung1 = new Uint8Array(n), lung2 = new Uint8Array(n);
  const box = maskBox(mask, shape);
  if (!box) {
    return { lung1, lung2, erosions: -1, seedVoxels: [], ties: 0 };
  }
  const bs = boxShape(box);
  const local = cropMask(mask, shape, box);
  // Seeds come from the mask with its 2D holes filled: vessels are holes of
  // the thresholded lung, and eroding from every vessel wall shatters the
  // lung long before the airway bridge breaks (two fragments of one lung
  // then become the seeds). Only the seeds use the filled mask; the
  // assignment below uses the original one.
  const solid = local.slice();
  if (settings.seedClosingMm > 0) {
    closeSlices(solid, null, bs, spacingMm, settings.seedClosingMm);
  }
  fillHolesPerComponent2d(solid, bs);
  let sumMaskX = 0, maskVoxels = 0;
  for (let i = 0; i < solid.length; i++) {
    if (solid[i]) {
      sumMaskX += i % bs[2];
      maskVoxels++;
    }
  }
  const midX = sumMaskX / maskVoxels;
  // Eroding k times with the cross = city-block distance to the background
  // > k; the map is only computed when the mask itself does not split.
  let depth: Uint16Array | null = null;
  let seeds: { runs: LabelledRuns; a: number; b: number } | null = null;
  let erosions = -1;
  for (let k = 0; k < settings.maxErosions; k++) {
    if (k === 1) {
      depth = cityBlockDistance(solid, bs, "unset", settings.maxErosions + 1);
    }
    const runs = k === 0
      ? labelMask(solid, bs, 18)
      : labelMask(depth!, bs, 18, undefined, k);
    if (runs.components < 2) {
      if (runs.components === 0) break;
      continue;
    }
    // The largest component on each side of the mask's midline (x = the
    // mean column of the mask). The reference takes the two largest overall;
    // when the lungs are riddled with vessels, erosion shatters one lung
    // before the airway bridge breaks and its fragments would win.
    const sumX = new Float64Array(runs.components + 1);
    for (let i = 0; i < runs.count; i++) {
      const len = runs.x1[i] - runs.x0[i];
      sumX[runs.labels[i]] += len * (runs.x0[i] + runs.x1[i] - 1) / 2;
    }
    let a = 0, b = 0;
    for (let l = 1; l <= runs.components; l++) {
      const left = sumX[l] / runs.sizes[l] < midX;
      if (left) {
        if (a === 0 || runs.sizes[l] > runs.sizes[a]) a = l;
      } else if (b === 0 || runs.sizes[l] > runs.sizes[b]) b = l;
    }
    if (a === 0 || b === 0) continue;
    if (runs.sizes[b] > runs.sizes[a]) {
      const t = a;
      a = b;
      b = t;
    }
    if (runs.sizes[a] / runs.sizes[b] < settings.maxRatio) {
      seeds = { runs, a, b };
      erosions = k;
      break;
    }
  }
  const l1 = new Uint8Array(local.length), l2 = new Uint8Array(local.length);
  let ties = 0;
  let seedVoxels: number[] = [];
  if (seeds) {
    const { runs, a, b } = seeds;
    seedVoxels = [runs.sizes[a], runs.sizes[b]];
    const keepA = new Uint8Array(runs.components + 1);
    keepA[a] = 1;
    paintLabels(runs, keepA, l1);
    const keepB = new Uint8Array(runs.components + 1);
    keepB[b] = 1;
    paintLabels(runs, keepB, l2);
    // Voxels in a seed are at distance 0 from it and > 0 from the other, so
    // only the rest of the mask needs the distance transforms.
    let rest = 0;
    for (let i = 0; i < local.length; i++) {
      if (local[i] && !l1[i] && !l2[i]) rest++;
    }
    if (rest > 0) {
      const d1 = squaredDistanceToSet(l1, bs, spacingMm);
      const d2 = squaredDistanceToSet(l2, bs, spacingMm);
      for (let i = 0; i < local.length; i++) {
        if (!local[i] || l1[i] || l2[i]) continue;
        if (d1[i] < d2[i]) l1[i] = 1;
        else if (d2[i] < d1[i]) l2[i] = 1;
        else ties++;
      }
    }
    // Seeds may hold filled holes: keep only voxels of the original mask.
    for (let i = 0; i < local.length; i++) {
      if (!local[i]) l1[i] = l2[i] = 0;
    }
    extractMain(l1, bs, settings.cover);
    extractMain(l2, bs, settings.cover);
  } else {
    l1.set(local);
  }
  fillHolesPerComponent2d(l1, bs);
  fillHolesPerComponent2d(l2, bs);
  pasteBox(l1, box, lung1, shape);
  pasteBox(l2, box, lung2, shape);
  return { lung1, lung2, erosions, seedVoxels, ties };
}

function pasteBox(part: Uint8Array, box: Box, out: Uint8Array, shape: Zyx) {
  const [, ny, nx] = shape;
  const [bz, by, bx] = boxShape(box);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      out.set(
        part.subarray((z * by + y) * bx, (z * by + y + 1) * bx),
        ((z + box.z0) * ny + y + box.y0) * nx + box.x0,
      );
    }
  }
}

/**
 * The reference's `extract_main`, in place: per slice, sort the 8-connected
 * components by area, take the largest until they cover `cover` of the
 * slice's area, and intersect the slice with the union of their convex hull
 * images; then keep the largest 26-connected component.
 *
 * @param lung 0/1 voxels, ZYX, changed in place
 * @param shape (nz, ny, nx)
 * @param cover fraction of each slice's area to cover (0.95)
 */
export function extractMain(
  lung: Uint8Array,
  shape: Zyx,
  cover: number,
): void {
  const [nz, ny, nx] = shape;
  const plane = ny * nx;
  const runs = labelMask(lung, shape, 8);
  if (runs.components === 0) return;
  const filter = new Uint8Array(plane);
  const hull = new HullBuilder();
  for (let z = 0; z < nz; z++) {
    const r0 = z * ny, r1 = (z + 1) * ny;
    const i0 = runs.rowStart[r0], i1 = runs.rowStart[r1];
    if (i0 === i1) continue;
    const first = runs.labels[i0];
    let last = first;
    for (let i = i0; i < i1; i++) last = Math.max(last, runs.labels[i]);
    const labels: number[] = [];
    let total = 0;
    for (let l = first; l <= last; l++) {
      labels.push(l);
      total += runs.sizes[l];
    }
    labels.sort((p, q) => runs.sizes[q] - runs.sizes[p] || p - q);
    const chosen = new Set<number>();
    let sum = 0;
    for (const l of labels) {
      if (sum >= total * cover) break;
      sum += runs.sizes[l];
      chosen.add(l);
    }
    filter.fill(0);
    for (const l of chosen) {
      hull.reset();
      for (let r = r0; r < r1; r++) {
        for (let i = runs.rowStart[r]; i < runs.rowStart[r + 1]; i++) {
          if (runs.labels[i] === l) hull.addRun(r - r0, runs.x0[i], runs.x1[i]);
        }
      }
      hull.paint(filter, 0, ny, nx);
    }
    const base = z * plane;
    for (let i = 0; i < plane; i++) {
      if (lung[base + i] && !filter[i]) lung[base + i] = 0;
    }
  }
  const runs3 = labelMask(lung, shape, 26);
  if (runs3.components <= 1) return;
  let best = 1;
  for (let l = 2; l <= runs3.components; l++) {
    if (runs3.sizes[l] > runs3.sizes[best]) best = l;
  }
  const keep = new Uint8Array(runs3.components + 1);
  keep[best] = 1;
  lung.fill(0);
  paintLabels(runs3, keep, lung);
}
