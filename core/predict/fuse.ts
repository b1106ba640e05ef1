/**
 * Candidate-level fusion of several models' detections (the stages of a
 * hard-mining run, `eval.stage_weights`): per scan, every model's
 * detections are pooled, each is scored by the weighted mean over the
 * models of that model's best logit near it (`floor`, the decoding
 * threshold, where a model has none), and detections are kept greedily,
 * best first, unless a kept one lies within `radiusMm`.
 *
 * A finding one model scores high and another drops below the decoding
 * threshold keeps part of its score instead of vanishing; a finding every
 * model scores high stays at the top.
 *
 * @module
 */

import type { EvalSection } from "../experiment.ts";
import type { Detection } from "../volume.ts";

/** How {@linkcode fuseBoxes} matches and scores boxes. */
export interface FuseOptions {
  /** One weight per list (≥ 0, not all 0); the score is their weighted mean. A list of weight 0 is left out. */
  readonly weights: readonly number[];
  /** A model's score where it has no box within `radiusMm` (its decoding threshold). */
  readonly floor: number;
  /** Detections whose centres are closer than this (mm) are the same finding. */
  readonly radiusMm: number;
  /** Keep at most this many detections per scan (0 or less: all). */
  readonly maxKept?: number;
}

/**
 * The stages `eval.stage_weights` fuses: those with a weight above 0.
 *
 * @example
 * ```ts
 * import { weightedStages } from "./fuse.ts";
 * weightedStages([0, 0.5, 0.5]); // [1, 2]
 * ```
 */
export function weightedStages(weights: readonly number[]): number[] {
  return weights.flatMap((w, stage) => w > 0 ? [stage] : []);
}

/**
 * The fusion of the stages' held-out detections that an experiment's `eval`
 * section asks for: its stage weights, `min_logit` as the floor,
 * `fuse_radius_mm` and the per-scan cap.
 */
export function stageFuseOptions(
  settings: Pick<
    EvalSection,
    "stage_weights" | "min_logit" | "fuse_radius_mm" | "max_marks_per_scan"
  >,
): FuseOptions {
  return {
    weights: settings.stage_weights,
    floor: settings.min_logit,
    radiusMm: settings.fuse_radius_mm,
    maxKept: settings.max_marks_per_scan,
  };
}

/**
 * Fuses several models' detections of the same scans, scan by scan.
 *
 * @param lists one list per model: detections in world mm, score = logit, any scan order
 * @param options weights, floor, matching radius, per-scan cap
 * @returns fused detections, scans in order of first appearance, each
 *   scan's highest fused score first; each keeps its own centre and diameter
 * @throws {RangeError} when the weights do not match the lists or are all 0
 * @example
 * ```ts
 * import { fuseDetections } from "./fuse.ts";
 * const at = (z: number, score: number) =>
 *   ({ seriesuid: "s", worldMm: [z, 0, 0] as const, diameterMm: 5, score });
 * fuseDetections([[at(10, 4)], [at(11, 2), at(40, 1)]], {
 *   weights: [0.5, 0.5], floor: -3, radiusMm: 4,
 * }).map((d) => d.score);
 * // [3, -1]: (4 + 2) / 2 for the shared finding, (1 + -3) / 2 for the other
 * ```
 */
export function fuseDetections(
  lists: readonly (readonly Detection[])[],
  options: FuseOptions,
): Detection[] {
  const { weights, floor, radiusMm } = options;
  if (weights.length !== lists.length) {
    throw new RangeError(
      `Cannot fuse ${lists.length} box lists with ${weights.length} weights, expected one weight per list`,
    );
  }
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (!(total > 0) || weights.some((w) => !(w >= 0))) {
    throw new RangeError(
      `Cannot fuse with weights [${
        weights.join(", ")
      }], expected weights ≥ 0 that are not all 0`,
    );
  }
  const scans = new Map<string, Detection[][]>();
  lists.forEach((list, m) => {
    for (const detection of list) {
      let perModel = scans.get(detection.seriesuid);
      if (!perModel) {
        perModel = lists.map(() => []);
        scans.set(detection.seriesuid, perModel);
      }
      perModel[m].push(detection);
    }
  });
  const fused: Detection[] = [];
  for (const perModel of scans.values()) {
    fused.push(
      ...fuseScan(perModel, weights, total, floor, radiusMm, options.maxKept),
    );
  }
  return fused;
}

function fuseScan(
  lists: readonly (readonly Detection[])[],
  weights: readonly number[],
  total: number,
  floor: number,
  radiusMm: number,
  maxKept: number | undefined,
): Detection[] {
  const r2 = radiusMm * radiusMm;
  const pooled: Detection[] = [];
  lists.forEach((list, m) => {
    if (weights[m] === 0) return;
    for (const box of list) {
      let score = 0;
      lists.forEach((other, k) => {
        if (weights[k] === 0) return;
        // The box's own score in its list; another list's best nearby.
        let best = k === m ? box.score : floor;
        for (const near of k === m ? [] : other) {
          if (near.score > best && distance2(box, near) < r2) best = near.score;
        }
        score += weights[k] * best;
      });
      pooled.push({ ...box, score: score / total });
    }
  });
  // Stable sort: equal scores keep list order (earlier lists first).
  pooled.sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  const cap = maxKept !== undefined && maxKept > 0 ? maxKept : Infinity;
  for (const box of pooled) {
    if (kept.length >= cap) break;
    if (kept.some((k) => distance2(k, box) < r2)) continue;
    kept.push(box);
  }
  return kept;
}

function distance2(a: Detection, b: Detection): number {
  return (a.worldMm[0] - b.worldMm[0]) ** 2 +
    (a.worldMm[1] - b.worldMm[1]) ** 2 + (a.worldMm[2] - b.worldMm[2]) ** 2;
}
