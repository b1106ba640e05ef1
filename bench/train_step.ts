// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench train_step`: one training step of the CPU preset's
 * network (`small` resunet + rpn3d, 48³ crops, batch 2; forward, backward,
 * SGD-momentum update) on the `cpu` engine, with the weight gradients of
 * stride-1 convs in the row layout the engine picks per conv
 * (`weightGradientRows`: voxel rows on large grids) against window rows
 * everywhere (the engine before), alternating in the same process.
 *
 * `PLEURA_BENCH_WINDOW_FILL_LIMIT` (floats) sets the per-conv choice's
 * threshold to compare others against the default.
 *
 * @module
 */

import type { Engine } from "../core/engine/engine.ts";
import { createCpuEngine } from "../core/engine/cpu/mod.ts";
import { WINDOW_FILL_LIMIT } from "../core/engine/cpu/graphs.ts";
import {
  alternateSteps,
  createDetectorTrainer,
  detectorParts,
  type DetectorTrainer,
} from "./_detector.ts";
import type { BenchSection } from "./main.ts";

/** Runs the section; see the module doc. */
export const run: BenchSection = async () => {
  const parts = detectorParts("small");
  const override = Deno.env.get("PLEURA_BENCH_WINDOW_FILL_LIMIT");
  const limit = override === undefined ? WINDOW_FILL_LIMIT : Number(override);
  if (!(limit >= 0)) {
    throw new RangeError(
      `PLEURA_BENCH_WINDOW_FILL_LIMIT is "${override}", expected a number of floats ≥ 0`,
    );
  }
  console.log(`window-fill limit: ${limit} floats`);
  const variants: { label: string; engine: Engine }[] = [
    {
      label: "window rows everywhere",
      engine: await createCpuEngine({ windowFillLimit: Infinity }),
    },
    {
      label: "rows picked per conv",
      engine: await createCpuEngine({ windowFillLimit: limit }),
    },
  ];
  const trainers: { label: string; trainer: DetectorTrainer }[] = [];
  for (const v of variants) {
    trainers.push({
      label: v.label,
      trainer: await createDetectorTrainer(parts, v.engine),
    });
  }
  const { mean, ratio } = alternateSteps(trainers);
  return {
    train_step_window_s: mean[0],
    train_step_s: mean[1],
    train_step_speedup: ratio,
  };
};
