/**
 * Juxtapleural fill: a per-slice morphological closing of each lung with a
 * disc, so that nodules attached to the lung wall (solid tissue, never below
 * the air threshold, and not enclosed by the lung in any slice) end up
 * inside the mask. Not part of the reference code; it is this plugin's
 * answer to the write-up's "nodules cut off at the lung edge" (§1.8).
 *
 * A closing with a disc of radius r fills every notch of the lung outline
 * into which the disc does not fit: a wall nodule of radius < r is filled
 * whole, while the wide mediastinal concavity (heart, hilum) is only rounded
 * at its corners.
 *
 * Speed: the closing runs on a grid coarsened in-plane to about 1.5 mm
 * pixels (a pixel of the coarse grid is lung when any of its fine pixels
 * is), with exact Euclidean distances there; fine pixels are added where
 * their coarse pixel was added.
 *
 * @module
 */

import {
  boxShape,
  HullBuilder,
  labelMask,
  maskBox,
  paintLabels,
  squaredDistanceToSet,
  type Zyx,
} from "../../core/mod.ts";

/** Coarse in-plane pixel size aimed at by the closing (mm). */
export const COARSE_MM = 1.5;

/**
 * Closes `lung` per z-slice with a disc of `radiusMm` (in-plane spacing
 * respected) and adds the new pixels that are not in `other`, in place.
 *
 * @param lung 0/1 voxels, ZYX, changed in place
 * @param other the other lung (never overwritten), or null
 * @param shape (nz, ny, nx)
 * @param spacingMm voxel size (z, y, x)
 * @param radiusMm disc radius in mm (> 0)
 * @returns the number of voxels added
 */
export function closeSlices(
  lung: Uint8Array,
  other: Uint8Array | null,
  shape: Zyx,
  spacingMm: Zyx,
  radiusMm: number,
): number {
  const box = maskBox(lung, shape);
  if (!box || !(radiusMm > 0)) return 0;
  const [, ny, nx] = shape;
  const f = Math.max(
    1,
    Math.round(COARSE_MM / Math.min(spacingMm[1], spacingMm[2])),
  );
  const sy = spacingMm[1] * f, sx = spacingMm[2] * f;
  // Pad by the disc radius plus one pixel, beyond the volume if need be, so a
  // frame of background always surrounds the dilated slice.
  const py = Math.ceil(radiusMm / sy) + 1, px = Math.ceil(radiusMm / sx) + 1;
  const [bz, by, bx] = boxShape(box);
  const cy = Math.ceil(by / f), cx = Math.ceil(bx / f);
  const ly = cy + 2 * py, lx = cx + 2 * px;
  const planeL = ly * lx;
  const coarse = new Uint8Array(bz * planeL);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const src = ((z + box.z0) * ny + y + box.y0) * nx + box.x0;
      const dst = z * planeL + (Math.floor(y / f) + py) * lx + px;
      for (let x = 0; x < bx; x++) {
        if (lung[src + x]) coarse[dst + Math.floor(x / f)] = 1;
      }
    }
  }
  const local: Zyx = [bz, ly, lx];
  const spacing: Zyx = [1, sy, sx];
  const r2 = radiusMm * radiusMm;
  // Dilation: within r of the lung. Erosion of that: farther than r from
  // everything outside the dilation.
  const toLung = squaredDistanceToSet(coarse, local, spacing, true);
  const outside = new Uint8Array(coarse.length);
  for (let i = 0; i < outside.length; i++) outside[i] = toLung[i] <= r2 ? 0 : 1;
  const toOutside = squaredDistanceToSet(outside, local, spacing, true);
  let added = 0;
  for (let z = 0; z < bz; z++) {
    for (let y = -py * f; y < (cy + py) * f; y++) {
      const vy = y + box.y0;
      if (vy < 0 || vy >= ny) continue;
      const crow = z * planeL + (Math.floor(y / f) + py) * lx + px;
      const vrow = ((z + box.z0) * ny + vy) * nx;
      for (let x = -px * f; x < (cx + px) * f; x++) {
        const vx = x + box.x0;
        if (vx < 0 || vx >= nx) continue;
        const c = crow + Math.floor(x / f);
        if (coarse[c] || toOutside[c] <= r2) continue;
        const v = vrow + vx;
        if (lung[v] || (other && other[v])) continue;
        lung[v] = 1;
        added++;
      }
    }
  }
  return added;
}

/**
 * Notches must be compact, area ≥ c · mouth width² (mm², mm): c = 0.15 up to
 * `SMALL_NOTCH_MM2`, 0.3 above. A round wall nodule whose centre is inside
 * the lung gives ≥ π/8 ≈ 0.39 (0.6 for a centre 0.3 r inside), the
 * mediastinal concavity about 0.1–0.2, a sliver along the wall 1/length.
 */
export const NOTCH_COMPACTNESS: readonly [number, number] = [0.15, 0.3];
/** Notches up to this area (mm²) need only the lower compactness. */
export const SMALL_NOTCH_MM2 = 100;

/**
 * Fills small, compact concavities of each slice of `lung`, in place: the
 * pixels of the slice's convex hull image that are in neither lung form
 * 4-connected notches, and a notch becomes lung when its area is at most
 * `maxAreaMm2` and it is deep for its mouth (see {@linkcode NOTCH_COMPACTNESS};
 * the mouth is its pixels on the hull's edge). What the closing leaves of a wall
 * nodule is such a notch; long slivers along the wall and the wide, shallow
 * mediastinal concavity are not.
 *
 * @param lung 0/1 voxels, ZYX, changed in place
 * @param other the other lung (never overwritten), or null
 * @param shape (nz, ny, nx)
 * @param spacingMm voxel size (z, y, x)
 * @param maxAreaMm2 largest notch filled (mm²)
 * @returns the number of voxels added
 */
export function fillNotches(
  lung: Uint8Array,
  other: Uint8Array | null,
  shape: Zyx,
  spacingMm: Zyx,
  maxAreaMm2: number,
): number {
  const box = maskBox(lung, shape);
  if (!box || !(maxAreaMm2 > 0)) return 0;
  const [, ny, nx] = shape;
  const plane = ny * nx;
  const pixelMm2 = spacingMm[1] * spacingMm[2];
  const maxPixels = maxAreaMm2 / pixelMm2;
  const smallPixels = SMALL_NOTCH_MM2 / pixelMm2;
  const hullImage = new Uint8Array(plane);
  const hullMask = new Uint8Array(plane);
  const hull = new HullBuilder();
  let added = 0;
  for (let z = box.z0; z < box.z1; z++) {
    const base = z * plane;
    hull.reset();
    for (let y = box.y0; y < box.y1; y++) {
      const row = base + y * nx;
      let x = box.x0;
      while (x < box.x1) {
        while (x < box.x1 && lung[row + x] === 0) x++;
        if (x >= box.x1) break;
        const start = x;
        while (x < box.x1 && lung[row + x] !== 0) x++;
        hull.addRun(y, start, x);
      }
    }
    if (hull.empty) continue;
    hullImage.fill(0);
    hull.paint(hullImage, 0, ny, nx);
    hullMask.set(hullImage);
    // Notches: hull pixels in neither lung.
    for (let i = 0; i < plane; i++) {
      if (hullImage[i] && (lung[base + i] || (other && other[base + i]))) {
        hullImage[i] = 0;
      }
    }
    const runs = labelMask(hullImage, [1, ny, nx], 4);
    if (runs.components === 0) continue;
    // Mouth: the notch's pixels next to a pixel outside the hull (or the
    // image); its width is the largest distance between two of them (mm),
    // which does not depend on how the wall runs across the pixel grid.
    const mouthY: number[][] = [], mouthX: number[][] = [];
    for (let l = 0; l <= runs.components; l++) {
      mouthY.push([]);
      mouthX.push([]);
    }
    for (let y = 0; y < ny; y++) {
      for (let i = runs.rowStart[y]; i < runs.rowStart[y + 1]; i++) {
        const l = runs.labels[i];
        if (runs.sizes[l] > maxPixels) continue;
        for (let x = runs.x0[i]; x < runs.x1[i]; x++) {
          const p = y * nx + x;
          if (
            x === 0 || x === nx - 1 || y === 0 || y === ny - 1 ||
            !hullMask[p - 1] || !hullMask[p + 1] || !hullMask[p - nx] ||
            !hullMask[p + nx]
          ) {
            mouthY[l].push(y * spacingMm[1]);
            mouthX[l].push(x * spacingMm[2]);
          }
        }
      }
    }
    const keep = new Uint8Array(runs.components + 1);
    let any = false;
    for (let l = 1; l <= runs.components; l++) {
      const a = runs.sizes[l];
      if (a > maxPixels) continue;
      const ys = mouthY[l], xs = mouthX[l];
      let width2 = 0;
      for (let j = 0; j < ys.length; j++) {
        for (let k = j + 1; k < ys.length; k++) {
          const d2 = (ys[j] - ys[k]) ** 2 + (xs[j] - xs[k]) ** 2;
          if (d2 > width2) width2 = d2;
        }
      }
      // One pixel more than the centre-to-centre distance.
      const width = Math.sqrt(width2) + Math.sqrt(pixelMm2);
      const c = a <= smallPixels ? NOTCH_COMPACTNESS[0] : NOTCH_COMPACTNESS[1];
      if (a * pixelMm2 >= c * width * width) {
        keep[l] = 1;
        any = true;
        added += a;
      }
    }
    if (any) paintLabels(runs, keep, lung.subarray(base, base + plane));
  }
  return added;
}
