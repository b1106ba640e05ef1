// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench train_depth`: one training step (forward, backward,
 * SGD-momentum update; 48³ crops, batch 2, `cpu` engine) of the `small`
 * resunet at its preset depths (forw1–4 with 2/2/3/3 residual blocks, back3
 * and back2 with 3/3) against the CPU preset's shallower network (1/1/2/2
 * and 1/1, the same widths), alternating in the same process. The CPU
 * preset takes the shallower network for its steps per hour.
 *
 * @module
 */

import { createCpuEngine } from "../core/engine/cpu/mod.ts";
import {
  alternateSteps,
  createDetectorTrainer,
  detectorParts,
  type DetectorTrainer,
} from "./_detector.ts";
import type { BenchSection } from "./main.ts";

/** Runs the section; see the module doc. */
export const run: BenchSection = async () => {
  const variants = [
    { label: "small, 2/2/3/3 + 3/3 blocks", overrides: {} },
    {
      label: "CPU preset, 1/1/2/2 + 1/1",
      overrides: { stage_blocks: [1, 1, 2, 2], back_blocks: [1, 1] },
    },
  ];
  const trainers: { label: string; trainer: DetectorTrainer }[] = [];
  for (const v of variants) {
    const parts = detectorParts("small", v.overrides);
    const trainer = await createDetectorTrainer(parts, await createCpuEngine());
    console.log(
      `${v.label.padEnd(30)} ${
        (parts.backbone.counts().parameters / 1e6).toFixed(2)
      } M backbone parameters, ${
        (parts.multiplyAdds(48) / 1e9).toFixed(2)
      } G multiply-adds per 48³ crop`,
    );
    trainers.push({ label: v.label, trainer });
  }
  const { mean, ratio } = alternateSteps(trainers);
  return {
    train_depth_small_s: mean[0],
    train_depth_preset_s: mean[1],
    train_depth_speedup: ratio,
  };
};
