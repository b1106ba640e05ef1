/**
 * Hole filling in 2D, per plane and per component (skimage regionprops'
 * `filled_image` of every 8-connected component, OR-ed back into the plane).
 *
 * @module
 */

import type { Zyx } from "../volume.ts";
import { type Box, fullBox, labelMask } from "./runs.ts";

/**
 * Fills the holes of every 8-connected component of every z-plane, in place:
 * a hole of a component is a pixel of its bounding box that is not in the
 * component and cannot reach the box's border through 4-connected pixels
 * that are not in the component (scipy's `binary_fill_holes` on the
 * component's box). Other components count as background, as in skimage's
 * per-region `filled_image`.
 *
 * @param mask voxels (0/1) in ZYX order, changed in place
 * @param shape (nz, ny, nx)
 * @param box only planes/rows/columns inside it are considered (default: all)
 * @returns the number of pixels filled
 * @example
 * ```ts
 * import { fillHolesPerComponent2d } from "./fill.ts";
 * const ring = new Uint8Array([1, 1, 1, 1, 0, 1, 1, 1, 1]);
 * fillHolesPerComponent2d(ring, [1, 3, 3]); // 1, and ring[4] is now 1
 * ```
 */
export function fillHolesPerComponent2d(
  mask: Uint8Array,
  shape: Zyx,
  box: Box = fullBox(shape),
): number {
  const [, ny, nx] = shape;
  const runs = labelMask(mask, shape, 8, box);
  if (runs.components === 0) return 0;
  const plane = ny * nx;
  const owner = new Int32Array(plane);
  const stamp = new Int32Array(plane);
  const queue = new Int32Array(plane);
  const { rowStart, x0, x1, labels } = runs;
  let filled = 0;
  for (let z = box.z0; z < box.z1; z++) {
    const r0 = z * ny, r1 = (z + 1) * ny;
    if (rowStart[r0] === rowStart[r1]) continue;
    const first = labels[rowStart[r0]];
    let last = first;
    for (let i = rowStart[r0]; i < rowStart[r1]; i++) {
      if (labels[i] > last) last = labels[i];
    }
    const n = last - first + 1;
    const ya = new Int32Array(n).fill(ny), yb = new Int32Array(n).fill(-1);
    const xa = new Int32Array(n).fill(nx), xb = new Int32Array(n).fill(-1);
    for (let r = r0; r < r1; r++) {
      const y = r - r0;
      for (let i = rowStart[r]; i < rowStart[r + 1]; i++) {
        const c = labels[i], k = c - first;
        owner.fill(c, y * nx + x0[i], y * nx + x1[i]);
        if (y < ya[k]) ya[k] = y;
        if (y > yb[k]) yb[k] = y;
        if (x0[i] < xa[k]) xa[k] = x0[i];
        if (x1[i] - 1 > xb[k]) xb[k] = x1[i] - 1;
      }
    }
    const base = z * plane;
    for (let k = 0; k < n; k++) {
      if (yb[k] - ya[k] < 2 || xb[k] - xa[k] < 2) continue;
      const c = first + k;
      let head = 0, tail = 0;
      const seed = (p: number) => {
        if (owner[p] !== c && stamp[p] !== c) {
          stamp[p] = c;
          queue[tail++] = p;
        }
      };
      for (let x = xa[k]; x <= xb[k]; x++) {
        seed(ya[k] * nx + x);
        seed(yb[k] * nx + x);
      }
      for (let y = ya[k] + 1; y < yb[k]; y++) {
        seed(y * nx + xa[k]);
        seed(y * nx + xb[k]);
      }
      while (head < tail) {
        const p = queue[head++];
        const y = Math.floor(p / nx), x = p - y * nx;
        if (x > xa[k]) seed(p - 1);
        if (x < xb[k]) seed(p + 1);
        if (y > ya[k]) seed(p - nx);
        if (y < yb[k]) seed(p + nx);
      }
      for (let y = ya[k] + 1; y < yb[k]; y++) {
        for (let x = xa[k] + 1; x < xb[k]; x++) {
          const p = y * nx + x;
          if (owner[p] !== c && stamp[p] !== c && mask[base + p] === 0) {
            mask[base + p] = 1;
            filled++;
          }
        }
      }
    }
    // Clear the owners painted for this plane.
    for (let r = r0; r < r1; r++) {
      const y = r - r0;
      for (let i = rowStart[r]; i < rowStart[r + 1]; i++) {
        owner.fill(0, y * nx + x0[i], y * nx + x1[i]);
      }
    }
  }
  return filled;
}
