/**
 * Label mapping of the reference RPN (reference-detector.md §3.3, after
 * `LabelMapping` / `select_samples` of lfz/DSB2017 `training/detector/data.py`,
 * MIT): turns the nodules of one crop into per-anchor classes and regression
 * targets.
 *
 * @module
 */

import {
  type CropLabels,
  type Cube,
  cubeIou,
  type Rng,
  ShapeError,
  VALUES_PER_ANCHOR,
  type Zyx,
} from "../../core/mod.ts";

/** The numbers the label mapping depends on. */
export interface LabelMappingSettings {
  /** Anchor cube edges in voxels. */
  readonly anchors: readonly number[];
  /** Feature stride in voxels. */
  readonly stride: number;
  /** IoU with any nodule at or above which an entry is ignored (class 0). */
  readonly thNeg: number;
  /** IoU with the target at or above which an entry may be the positive (training). */
  readonly thPos: number;
  /** IoU threshold for the positive in validation (1 in the reference: nearest cell). */
  readonly thPosValidation: number;
  /** Candidate negatives kept per training crop. */
  readonly numNeg: number;
  /**
   * Training: when no entry reaches `thPos`, draw the positive among the
   * cells whose centre lies within this many voxels of the target on every
   * axis (best anchor), instead of the nearest cell only. 0 or absent: the
   * nearest cell (reference).
   */
  readonly fallbackRadius?: number;
  /**
   * Training: every entry of the positive's pool (the matches at `thPos`,
   * else the fallback cells) becomes a positive, instead of one drawn at
   * random (reference). Validation always keeps one.
   */
  readonly allPositives?: boolean;
}

/**
 * Number of grid cells per axis of a crop; throws when the crop is not a
 * positive multiple of the stride.
 *
 * @param cropShape crop size in voxels (z, y, x)
 * @param stride feature stride
 * @returns the grid size (z, y, x)
 */
export function gridOf(cropShape: Zyx, stride: number): Zyx {
  const grid = cropShape.map((n) => n / stride);
  if (!grid.every((g) => Number.isInteger(g) && g > 0)) {
    throw new ShapeError(
      `crop labels (crop shape must be positive multiples of the stride ${stride})`,
      grid.map((g) => Math.max(1, Math.round(g)) * stride),
      [...cropShape],
    );
  }
  return [grid[0], grid[1], grid[2]];
}

/** Checks one cube of the labels; throws a RangeError naming it. */
function checkCube(cube: Cube, what: string): void {
  const ok = cube.voxel.length === 3 && cube.voxel.every(Number.isFinite) &&
    Number.isFinite(cube.diameter) && cube.diameter > 0;
  if (!ok) {
    throw new RangeError(
      `Cannot map labels: ${what} is centred at [${
        cube.voxel.join(", ")
      }] with diameter ${cube.diameter}, expected a finite centre and a finite diameter > 0`,
    );
  }
}

/**
 * The cell-index window to search for entries whose anchor may reach IoU
 * `th` with `cube` (reference §3.3 step 2): per axis, cell centres within
 * `±(|d − a|/2 + min(d, a) − max(d, a)³·th / min(d, a)²)` of the centre. The
 * bound is conservative (the intersection is at most `min² · overlap` and the
 * union at least `max³`), so searching only the window loses no entry.
 * Writes `[z0, z1, y0, y1, x0, x1]` (inclusive) into `out`; returns false when
 * the anchor cannot reach `th` (`max³·th / min² > min`) or the window is empty.
 */
function searchWindow(
  cube: Cube,
  anchor: number,
  th: number,
  grid: Zyx,
  stride: number,
  out: Int32Array,
): boolean {
  const d = cube.diameter;
  const small = Math.min(d, anchor), large = Math.max(d, anchor);
  const needed = (large ** 3) * th / (small * small);
  if (needed > small) return false;
  const radius = Math.abs(d - anchor) / 2 + small - needed;
  const offset = (stride - 1) / 2;
  for (let axis = 0; axis < 3; axis++) {
    const c = cube.voxel[axis];
    // Tolerance so that a centre exactly on the window's edge stays in it.
    const lo = Math.max(0, Math.ceil((c - radius - offset) / stride - 1e-9));
    const hi = Math.min(
      grid[axis] - 1,
      Math.floor((c + radius - offset) / stride + 1e-9),
    );
    if (lo > hi) return false;
    out[2 * axis] = lo;
    out[2 * axis + 1] = hi;
  }
  return true;
}

/**
 * Calls `visit(row)` for every entry whose anchor cube has IoU ≥ `th` with
 * `cube`, anchor by anchor, then in z, y, x order, searching only the window
 * of `searchWindow`.
 */
function forEachOverlap(
  cube: Cube,
  th: number,
  settings: Pick<LabelMappingSettings, "anchors" | "stride">,
  grid: Zyx,
  visit: (row: number) => void,
): void {
  const { anchors, stride } = settings;
  const offset = (stride - 1) / 2;
  const window = new Int32Array(6);
  // One probe cube reused for every cell: no allocation per entry.
  const centre: [number, number, number] = [0, 0, 0];
  const probe = { voxel: centre, diameter: 0 };
  for (let a = 0; a < anchors.length; a++) {
    if (!searchWindow(cube, anchors[a], th, grid, stride, window)) continue;
    probe.diameter = anchors[a];
    for (let z = window[0]; z <= window[1]; z++) {
      centre[0] = offset + stride * z;
      for (let y = window[2]; y <= window[3]; y++) {
        centre[1] = offset + stride * y;
        for (let x = window[4]; x <= window[5]; x++) {
          centre[2] = offset + stride * x;
          if (cubeIou(probe, cube) >= th) {
            visit(((z * grid[1] + y) * grid[2] + x) * anchors.length + a);
          }
        }
      }
    }
  }
}

/**
 * The anchor head's targets for one crop, as reference §3.3 (with the
 * project's focus rule in step 3):
 *
 * 1. every entry starts as a candidate negative (−1);
 * 2. for every nodule (the target included) and every anchor, entries whose
 *    anchor cube has IoU ≥ `thNeg` with the nodule become ignored (0);
 * 3. training only: up to `numNeg` of the remaining −1 entries stay −1
 *    and every other −1 becomes 0: first those whose anchor cube has
 *    IoU ≥ `thNeg` with the crop's `focus` (a mined false positive; the
 *    project's addition, so that it reaches the miner), then ones chosen
 *    uniformly with `rng`;
 * 4. a random crop (`target` null) stops here;
 * 5. otherwise one entry with IoU(target) ≥ `thPos` (training) or
 *    `thPosValidation` (validation), chosen with `rng`, becomes the single
 *    positive; when there is none, the cell nearest to the target centre
 *    (`round((c − (stride − 1)/2) / stride)`, clamped into the grid; halves
 *    round up) with the anchor of smallest `|ln(d / a)|` — or, in training
 *    with `fallbackRadius` r > 0, a cell drawn among those whose centre lies
 *    within r (strictly) of the target on every axis, with that anchor (the
 *    project's addition: small nodules then train the regression of every
 *    cell that may score them, not only the nearest); with `allPositives`
 *    (training), every entry of that pool becomes a positive instead of one
 *    drawn from it (the project's addition);
 * 6. each positive's regression targets are `(z − cz)/a, (y − cy)/a,
 *    (x − cx)/a, ln(d/a)`.
 *
 * @param labels the crop's nodules in crop voxels
 * @param settings anchors, stride and thresholds
 * @param training training mode (negative sampling, `thPos`)
 * @param rng randomness for the negatives and the positive
 * @returns `[gz, gy, gx, anchors, 5]` float32, row-major; field 0 is the class
 *   (1, −1, 0), fields 1–4 the regression targets (0 except at the positive)
 *
 * @example
 * ```ts
 * import { createRng } from "../../core/mod.ts";
 * import { mapLabels } from "./targets.ts";
 * const labels = { cropShape: [16, 16, 16] as const, target: null, nodules: [] };
 * const settings = { anchors: [10], stride: 4, thNeg: 0.02, thPos: 0.5, thPosValidation: 1, numNeg: 800 };
 * mapLabels(labels, settings, false, createRng(0)).length; // 4 · 4 · 4 · 1 · 5 = 320
 * ```
 */
export function mapLabels(
  labels: CropLabels,
  settings: LabelMappingSettings,
  training: boolean,
  rng: Rng,
): Float32Array {
  const { anchors, stride, thNeg, numNeg } = settings;
  const grid = gridOf(labels.cropShape, stride);
  const anchorCount = anchors.length;
  const rows = grid[0] * grid[1] * grid[2] * anchorCount;
  const out = new Float32Array(rows * VALUES_PER_ANCHOR);
  for (let r = 0; r < rows; r++) out[r * VALUES_PER_ANCHOR] = -1;

  labels.nodules.forEach((cube, i) => checkCube(cube, `nodule ${i}`));
  if (labels.target) checkCube(labels.target, "the target");

  const offset = (stride - 1) / 2;

  // Step 2: ignore zones around every nodule (the target too, in case the
  // caller left it out of `nodules`; marking twice changes nothing).
  const ignoreAround = labels.target
    ? [...labels.nodules, labels.target]
    : labels.nodules;
  for (const cube of ignoreAround) {
    forEachOverlap(cube, thNeg, settings, grid, (row) => {
      out[row * VALUES_PER_ANCHOR] = 0;
    });
  }

  // Step 3: keep numNeg candidate negatives: those overlapping a hard
  // negative's focus first (set aside while the rest are drawn), then
  // random ones (partial Fisher–Yates).
  if (training) {
    const forced: number[] = [];
    if (labels.focus) {
      checkCube(labels.focus, "the focus");
      forEachOverlap(labels.focus, thNeg, settings, grid, (row) => {
        if (out[row * VALUES_PER_ANCHOR] === -1) forced.push(row);
      });
      forced.sort((p, q) => p - q).splice(numNeg);
    }
    for (const r of forced) out[r * VALUES_PER_ANCHOR] = 1;
    const candidates = new Int32Array(rows);
    let n = 0;
    for (let r = 0; r < rows; r++) {
      if (out[r * VALUES_PER_ANCHOR] === -1) candidates[n++] = r;
    }
    const random = Math.min(n, numNeg - forced.length);
    if (random < n) {
      for (let i = 0; i < random; i++) {
        const j = i + rng.int(n - i);
        const t = candidates[i];
        candidates[i] = candidates[j];
        candidates[j] = t;
      }
      for (let r = 0; r < rows; r++) out[r * VALUES_PER_ANCHOR] = 0;
      for (let i = 0; i < random; i++) {
        out[candidates[i] * VALUES_PER_ANCHOR] = -1;
      }
    }
    for (const r of forced) out[r * VALUES_PER_ANCHOR] = -1;
  }

  // Step 4: a random crop has no positive.
  const target = labels.target;
  if (!target) return out;

  // Step 5: the pool the positive comes from — the entries with
  // IoU(target) ≥ thPos, else the fallback cells, else the nearest cell —
  // then one drawn from it (reference) or all of it (`allPositives`).
  const thPos = training ? settings.thPos : settings.thPosValidation;
  const pool: number[] = [];
  forEachOverlap(target, thPos, settings, grid, (row) => pool.push(row));
  // The nearest cell is taken without a draw, as before the pool existed, so
  // the shared random stream (later crops of the step, the miner) is unchanged.
  let drawn = pool.length > 0;
  if (!drawn) {
    let best = 0;
    for (let a = 1; a < anchorCount; a++) {
      if (
        Math.abs(Math.log(target.diameter / anchors[a])) <
          Math.abs(Math.log(target.diameter / anchors[best]))
      ) best = a;
    }
    const rowAt = (z: number, y: number, x: number) =>
      ((z * grid[1] + y) * grid[2] + x) * anchorCount + best;
    // Cells within the fallback radius on every axis (training only).
    const radius = training ? settings.fallbackRadius ?? 0 : 0;
    const near: number[][] = [0, 1, 2].map((axis) => {
      const cells: number[] = [];
      if (radius <= 0) return cells;
      const c = target.voxel[axis];
      const lo = Math.max(0, Math.ceil((c - radius - offset) / stride));
      const hi = Math.min(
        grid[axis] - 1,
        Math.floor((c + radius - offset) / stride),
      );
      for (let i = lo; i <= hi; i++) {
        if (Math.abs(offset + stride * i - c) < radius) cells.push(i);
      }
      return cells;
    });
    if (near.every((cells) => cells.length > 0)) {
      const [zs, ys, xs] = near;
      for (const z of zs) {
        for (const y of ys) for (const x of xs) pool.push(rowAt(z, y, x));
      }
      drawn = true;
    } else {
      const cell = [0, 0, 0];
      for (let axis = 0; axis < 3; axis++) {
        const i = Math.round((target.voxel[axis] - offset) / stride);
        cell[axis] = Math.min(grid[axis] - 1, Math.max(0, i));
      }
      pool.push(rowAt(cell[0], cell[1], cell[2]));
    }
  }
  const positives = training && settings.allPositives
    ? pool
    : [drawn ? pool[rng.int(pool.length)] : pool[0]];

  // Step 6: regression targets of each positive.
  for (const row of positives) {
    const a = row % anchorCount;
    const cellIndex = (row - a) / anchorCount;
    const x = cellIndex % grid[2];
    const y = ((cellIndex - x) / grid[2]) % grid[1];
    const z = (cellIndex - x - y * grid[2]) / (grid[1] * grid[2]);
    const anchor = anchors[a];
    const base = row * VALUES_PER_ANCHOR;
    out[base] = 1;
    out[base + 1] = (target.voxel[0] - (offset + stride * z)) / anchor;
    out[base + 2] = (target.voxel[1] - (offset + stride * y)) / anchor;
    out[base + 3] = (target.voxel[2] - (offset + stride * x)) / anchor;
    out[base + 4] = Math.log(target.diameter / anchor);
  }
  return out;
}
