/**
 * Hierarchical hard mining between stages (reference §7, a write-up-only
 * technique; the design here is the project's): the stage-s model predicts
 * every training scan; its false positives become hard-negative crops and
 * its misses extra target copies of stage s+1.
 *
 * A detection hits a nodule when its centre lies strictly within the
 * nodule's radius (the LUNA16 criterion). A nodule is missed when no
 * detection hits it, or when the best hit scores below `minLogit`.
 *
 * @module
 */

import type { ScoredCube } from "../anchor_head.ts";
import type { PreparedScan, SampleEntry } from "./crops.ts";

/** Settings of the mining step (from `train.hard_mining`). */
export interface MiningOptions {
  /** Highest-scoring false positives kept per scan. */
  readonly fpPerScan: number;
  /** Only false positives above this logit are kept. */
  readonly minLogit: number;
  /** Extra copies of each missed nodule. */
  readonly missedCopies: number;
}

/** What mining found on the training scans. */
export interface MiningResult {
  /** New list entries: hard negatives and extra copies of missed nodules. */
  readonly entries: SampleEntry[];
  /** Totals for the stage record. */
  readonly summary: {
    readonly scans: number;
    readonly detections: number;
    readonly falsePositives: number;
    readonly hardNegatives: number;
    readonly nodules: number;
    readonly missed: number;
  };
}

/**
 * Builds the extra entries of the next stage from detections on the training
 * scans (in each scan's 1 mm voxel frame).
 *
 * @example
 * ```ts
 * import { mineHardExamples } from "./mining.ts";
 * const scan = { seriesuid: "a", image: new Uint8Array(1), shape: [1, 1, 1] as const,
 *   nodules: [{ voxel: [10, 10, 10] as const, diameter: 6 }] };
 * const boxes = [{ voxel: [10, 11, 10] as const, diameter: 6, score: 2 },
 *   { voxel: [40, 40, 40] as const, diameter: 8, score: 1 }];
 * mineHardExamples([scan], [boxes], { fpPerScan: 5, minLogit: 0, missedCopies: 2 }).summary.hardNegatives; // 1
 * ```
 */
export function mineHardExamples(
  scans: readonly PreparedScan[],
  detections: readonly (readonly ScoredCube[])[],
  options: MiningOptions,
): MiningResult {
  const entries: SampleEntry[] = [];
  let total = 0, falsePositives = 0, hard = 0, nodules = 0, missed = 0;
  scans.forEach((scan, index) => {
    const boxes = detections[index] ?? [];
    total += boxes.length;
    const best = new Float64Array(scan.nodules.length).fill(-Infinity);
    const fps: ScoredCube[] = [];
    for (const box of boxes) {
      let hit = false;
      scan.nodules.forEach((nodule, n) => {
        const r = nodule.diameter / 2;
        const d2 = (box.voxel[0] - nodule.voxel[0]) ** 2 +
          (box.voxel[1] - nodule.voxel[1]) ** 2 +
          (box.voxel[2] - nodule.voxel[2]) ** 2;
        if (d2 < r * r) {
          hit = true;
          best[n] = Math.max(best[n], box.score);
        }
      });
      if (!hit) fps.push(box);
    }
    falsePositives += fps.length;
    fps.sort((a, b) => b.score - a.score);
    for (const fp of fps.slice(0, options.fpPerScan)) {
      if (!(fp.score > options.minLogit)) break;
      entries.push({
        scan: index,
        centre: fp.voxel,
        diameter: fp.diameter,
        kind: "hard_negative",
      });
      hard++;
    }
    scan.nodules.forEach((nodule, n) => {
      nodules++;
      if (best[n] >= options.minLogit) return;
      missed++;
      for (let c = 0; c < options.missedCopies; c++) {
        entries.push({
          scan: index,
          centre: nodule.voxel,
          diameter: nodule.diameter,
          kind: "nodule",
        });
      }
    });
  });
  return {
    entries,
    summary: {
      scans: scans.length,
      detections: total,
      falsePositives,
      hardNegatives: hard,
      nodules,
      missed,
    },
  };
}
