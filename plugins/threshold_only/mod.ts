/**
 * `threshold_only`: an ablation segmenter — air below a threshold, the
 * largest 3D components that do not touch the sides of the volume. No blur,
 * no shape or distance rules, no two-lung separation.
 *
 * @module
 */

import { z } from "zod";
import { defineSegmenter } from "../../core/mod.ts";
import { thresholdLungs } from "./threshold.ts";

const options = z.object({
  threshold_hu: z.number().min(-1100).max(500).default(-600).describe(
    "Air is below this HU",
  ),
  max_components: z.int().min(1).max(2).default(2).describe(
    "Largest air components kept (lungs[0], lungs[1])",
  ),
  min_volume_ml: z.number().min(0).default(50).describe(
    "Components smaller than this (mL) are never kept",
  ),
});

/** The `threshold_only` segmenter plugin. */
export const thresholdOnlySegmenter = defineSegmenter({
  id: "threshold_only",
  description:
    "Ablation: air below a threshold, the largest 3D components not touching the volume sides; no shape rules",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating segmenter "threshold_only"', {
      ...resolved,
    });
    const settings = {
      thresholdHu: resolved.threshold_hu,
      maxComponents: resolved.max_components,
      minVolumeMl: resolved.min_volume_ml,
    };
    return {
      segment: (volume) =>
        new Promise((resolve) => resolve(thresholdLungs(volume, settings))),
    };
  },
});
