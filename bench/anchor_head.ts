// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench anchor_head`: the `rpn3d` head's per-crop label mapping
 * (128³ crop, 32³ × 3 anchors = 98,304 rows, three nodules), decoding a
 * whole-scan output (75 × 90 × 90 cells × 3 anchors) and greedy NMS of the
 * decoded boxes, against the quadratic NMS on a subset.
 *
 * @module
 */

import { createRng, cubeIou, type ScoredCube } from "../core/mod.ts";
import { createRpn3dHead } from "../plugins/rpn3d/mod.ts";
import type { BenchSection } from "./main.ts";

function time(repeats: number, body: () => void): number {
  body(); // warm-up
  const start = performance.now();
  for (let i = 0; i < repeats; i++) body();
  return (performance.now() - start) / repeats;
}

function quadraticNms(boxes: readonly ScoredCube[], th: number): ScoredCube[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: ScoredCube[] = [];
  for (const box of sorted) {
    if (kept.every((k) => cubeIou(box, k) < th)) kept.push(box);
  }
  return kept;
}

/** Runs the section. */
export const run: BenchSection = () => {
  const head = createRpn3dHead({
    anchors: [10, 30, 60],
    stride: 4,
    hiddenChannels: 64,
    thPos: 0.5,
    thPosValidation: 1,
    thNeg: 0.02,
    numNeg: 800,
    nmsIou: 0.05,
    minLogit: -3,
  });
  const rng = createRng(1);
  const target = { voxel: [64.3, 60.2, 70.9] as const, diameter: 9.5 };
  const labels = {
    cropShape: [128, 128, 128] as const,
    target,
    nodules: [target, { voxel: [20, 100, 30] as const, diameter: 25 }, {
      voxel: [110, 15, 90] as const,
      diameter: 4.2,
    }],
  };
  const targetsTrainMs = time(50, () => head.targets(labels, true, rng));
  const targetsValMs = time(50, () => head.targets(labels, false, rng));
  console.log(
    `targets, 128³ crop (98,304 rows), 3 nodules: training ${
      targetsTrainMs.toFixed(2)
    } ms, validation ${targetsValMs.toFixed(2)} ms`,
  );

  const grid = [75, 90, 90] as const;
  const rows = grid[0] * grid[1] * grid[2] * 3;
  const output = new Float32Array(rows * 5);
  for (let r = 0; r < rows; r++) {
    output[r * 5] = -5 + 1.5 * rng.normal(); // about 9 % above −3
    for (let f = 1; f < 4; f++) output[r * 5 + f] = 0.2 * rng.normal();
    output[r * 5 + 4] = 0.3 * rng.normal();
  }
  let boxes: ScoredCube[] = [];
  const decodeMs = time(3, () => boxes = head.decode(output, grid, -3));
  console.log(
    `decode, ${rows.toLocaleString()} rows → ${boxes.length.toLocaleString()} boxes: ${
      decodeMs.toFixed(1)
    } ms`,
  );
  let kept = 0;
  const nmsMs = time(1, () => kept = head.nms(boxes, 0.05).length);
  console.log(
    `nms 0.05, ${boxes.length.toLocaleString()} boxes → ${kept.toLocaleString()} kept: ${
      nmsMs.toFixed(0)
    } ms`,
  );
  const subset = boxes.slice(0, 20000);
  const bucketMs = time(2, () => head.nms(subset, 0.05));
  const t0 = performance.now();
  quadraticNms(subset, 0.05);
  const quadraticMs = performance.now() - t0;
  console.log(
    `nms 0.05, 20,000 boxes: buckets ${bucketMs.toFixed(0)} ms, quadratic ${
      quadraticMs.toFixed(0)
    } ms (${(quadraticMs / bucketMs).toFixed(1)}×)`,
  );
  return Promise.resolve({
    anchor_head_targets_train_ms: Number(targetsTrainMs.toFixed(3)),
    anchor_head_targets_val_ms: Number(targetsValMs.toFixed(3)),
    anchor_head_decode_ms: Number(decodeMs.toFixed(1)),
    anchor_head_decoded_boxes: boxes.length,
    anchor_head_nms_ms: Number(nmsMs.toFixed(0)),
    anchor_head_nms_20k_ms: Number(bucketMs.toFixed(1)),
    anchor_head_nms_20k_quadratic_ms: Number(quadraticMs.toFixed(1)),
  });
};
