/**
 * Decoding of the head's output to boxes (reference-detector.md §3.4, after
 * `GetPBB` of lfz/DSB2017 `layers.py`, MIT) and greedy cube NMS (§3.5, after
 * `nms` of the same file).
 *
 * @module
 */

import {
  cubeIou,
  type ScoredCube,
  ShapeError,
  VALUES_PER_ANCHOR,
  type Zyx,
} from "../../core/mod.ts";

/**
 * Decodes one sample's output to boxes: for every cell and anchor whose logit
 * is above `minLogit`, centre = cell centre + offset · anchor and diameter =
 * anchor · exp(dd); the cell centre is `(stride − 1)/2 + stride · i`.
 *
 * @param output `[gz, gy, gx, anchors · 5]` float32 flattened (logit, dz, dy, dx, dd)
 * @param grid the output grid size (gz, gy, gx)
 * @param anchors anchor edges in voxels
 * @param stride feature stride in voxels
 * @param minLogit entries with logit ≤ this are dropped (NaN logits too)
 * @returns boxes in input-grid voxels, in output order, score = logit
 *
 * @example
 * ```ts
 * import { decodeBoxes } from "./decode.ts";
 * const out = new Float32Array([2, 0.1, 0, 0, 0]); // one cell, one anchor
 * decodeBoxes(out, [1, 1, 1], [10], 4, -3); // [{ voxel: [2.5, 1.5, 1.5], diameter: 10, score: 2 }]
 * ```
 */
export function decodeBoxes(
  output: Float32Array,
  grid: Zyx,
  anchors: readonly number[],
  stride: number,
  minLogit: number,
): ScoredCube[] {
  const anchorCount = anchors.length;
  const expected = grid[0] * grid[1] * grid[2] * anchorCount *
    VALUES_PER_ANCHOR;
  if (!grid.every((g) => Number.isInteger(g) && g >= 0)) {
    throw new RangeError(
      `Cannot decode head output: grid is [${
        grid.join(", ")
      }], expected non-negative integers`,
    );
  }
  if (output.length !== expected) {
    throw new ShapeError(
      "head output (flattened [gz, gy, gx, anchors · 5])",
      [expected],
      [output.length],
    );
  }
  const offset = (stride - 1) / 2;
  const boxes: ScoredCube[] = [];
  let base = 0;
  for (let z = 0; z < grid[0]; z++) {
    const cz = offset + stride * z;
    for (let y = 0; y < grid[1]; y++) {
      const cy = offset + stride * y;
      for (let x = 0; x < grid[2]; x++) {
        const cx = offset + stride * x;
        for (let a = 0; a < anchorCount; a++, base += VALUES_PER_ANCHOR) {
          const score = output[base];
          if (!(score > minLogit)) continue;
          const anchor = anchors[a];
          boxes.push({
            voxel: [
              cz + output[base + 1] * anchor,
              cy + output[base + 2] * anchor,
              cx + output[base + 3] * anchor,
            ],
            diameter: anchor * Math.exp(output[base + 4]),
            score,
          });
        }
      }
    }
  }
  return boxes;
}

// Bucket coordinates are clamped into ±2^16 so a key fits a double exactly;
// clamping is monotone, so overlapping boxes still share a bucket range.
const BUCKET_LIMIT = 1 << 16;
const BUCKET_SPAN = 2 * BUCKET_LIMIT + 1;
// Size levels: a box of diameter d sits at level ceil(log2 d), in a grid of
// buckets whose edge is 2^level ≥ d.
const LEVEL_MIN = -40, LEVEL_MAX = 60;

function bucketOf(value: number): number {
  const b = Math.floor(value);
  return Math.min(BUCKET_LIMIT, Math.max(-BUCKET_LIMIT, b)) + BUCKET_LIMIT;
}

function levelOf(diameter: number): number {
  const level = Math.ceil(Math.log2(diameter));
  return Math.min(LEVEL_MAX, Math.max(LEVEL_MIN, level));
}

/**
 * Greedy NMS (reference §3.5): boxes sorted by score, highest first (ties keep
 * input order); a box is dropped when its cube IoU with an already kept box is
 * ≥ `iouThreshold`.
 *
 * Only kept boxes that can reach the threshold are compared: since the
 * intersection is at most min(d)³ and the union at least max(d)³, IoU ≥ t
 * needs max(d)/min(d) ≤ t^(−1/3), so kept boxes are filed by size level
 * (diameter in (2^(l−1), 2^l]) and by centre in a grid of edge 2^l; a box
 * looks only at the levels within that ratio and the buckets within reach
 * of its centre. Boxes whose diameter is not finite and > 0 have IoU 0 with
 * everything (see `cubeIou`): they are kept and suppress nothing.
 *
 * @param boxes boxes in any order (not modified)
 * @param iouThreshold a number > 0; above 1 nothing is dropped
 * @returns the kept boxes, highest score first
 *
 * @example
 * ```ts
 * import { nmsCubes } from "./decode.ts";
 * const a = { voxel: [0, 0, 0] as const, diameter: 10, score: 2 };
 * const b = { voxel: [1, 0, 0] as const, diameter: 10, score: 1 };
 * nmsCubes([b, a], 0.5); // [a]: IoU(a, b) = 900 / 1100 ≥ 0.5
 * ```
 */
export function nmsCubes(
  boxes: readonly ScoredCube[],
  iouThreshold: number,
): ScoredCube[] {
  if (!(typeof iouThreshold === "number" && iouThreshold > 0)) {
    throw new RangeError(
      `Cannot run NMS: IoU threshold is ${iouThreshold}, expected a number > 0`,
    );
  }
  const n = boxes.length;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(boxes[i].score)) {
      throw new RangeError(
        `Cannot run NMS: box ${i} has score NaN, expected a number`,
      );
    }
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => boxes[j].score - boxes[i].score || i - j);
  if (iouThreshold > 1) return Array.from(order, (i) => boxes[i]);

  // Slightly widened so rounding never drops a level at the exact ratio.
  const ratio = Math.cbrt(1 / iouThreshold) * (1 + 1e-9);
  // One bucket map per level, created on first use.
  const levels: (Map<number, ScoredCube[]> | undefined)[] = [];
  const keyOf = (bz: number, by: number, bx: number) =>
    (bz * BUCKET_SPAN + by) * BUCKET_SPAN + bx;
  const kept: ScoredCube[] = [];
  // Boxes too large for the top level (d > 2^LEVEL_MAX) are compared with
  // every box; there are none in practice.
  const huge: ScoredCube[] = [];
  for (let k = 0; k < n; k++) {
    const box = boxes[order[k]];
    const d = box.diameter;
    if (!(d > 0 && d < Infinity)) {
      kept.push(box);
      continue;
    }
    let suppressed = false;
    for (const other of huge) {
      if (cubeIou(box, other) >= iouThreshold) suppressed = true;
    }
    const lo = suppressed ? 1 : levelOf(d / ratio);
    const hi = suppressed ? 0 : levelOf(d * ratio);
    search: for (let level = lo; level <= hi; level++) {
      const buckets = levels[level - LEVEL_MIN];
      if (!buckets) continue;
      const edge = 2 ** level;
      // A kept box here (diameter ≤ edge) overlaps this one only if its
      // centre is within (d + edge)/2 on every axis.
      const reach = (d + edge) / 2;
      const [cz, cy, cx] = box.voxel;
      const z1 = bucketOf((cz + reach) / edge);
      const y1 = bucketOf((cy + reach) / edge);
      const x1 = bucketOf((cx + reach) / edge);
      for (let bz = bucketOf((cz - reach) / edge); bz <= z1; bz++) {
        for (let by = bucketOf((cy - reach) / edge); by <= y1; by++) {
          for (let bx = bucketOf((cx - reach) / edge); bx <= x1; bx++) {
            const bucket = buckets.get(keyOf(bz, by, bx));
            if (!bucket) continue;
            for (const other of bucket) {
              if (cubeIou(box, other) >= iouThreshold) {
                suppressed = true;
                break search;
              }
            }
          }
        }
      }
    }
    if (suppressed) continue;
    kept.push(box);
    if (d > 2 ** LEVEL_MAX) {
      huge.push(box);
      continue;
    }
    const level = levelOf(d);
    const edge = 2 ** level;
    let buckets = levels[level - LEVEL_MIN];
    if (!buckets) levels[level - LEVEL_MIN] = buckets = new Map();
    const key = keyOf(
      bucketOf(box.voxel[0] / edge),
      bucketOf(box.voxel[1] / edge),
      bucketOf(box.voxel[2] / edge),
    );
    const bucket = buckets.get(key);
    if (bucket) bucket.push(box);
    else buckets.set(key, [box]);
  }
  return kept;
}
