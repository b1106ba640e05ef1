/**
 * `none`: the no-segmentation ablation. The body (largest non-air
 * component, holes filled per slice) is returned as lungs[0], so
 * preprocessing still crops to the body and pads outside it.
 *
 * @module
 */

import { z } from "zod";
import { defineSegmenter } from "../../core/mod.ts";
import { bodyMask } from "./body.ts";

const options = z.object({
  body_threshold_hu: z.number().min(-1000).max(200).default(-500).describe(
    "Tissue of the body is at or above this HU",
  ),
});

/** The `none` segmenter plugin. */
export const noneSegmenter = defineSegmenter({
  id: "none",
  description:
    "Ablation without a lung mask: the whole body (largest non-air component, holes filled) stands in for the lungs",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating segmenter "none"', { ...resolved });
    return {
      segment: (volume) =>
        new Promise((resolve) =>
          resolve(bodyMask(volume, resolved.body_threshold_hu))
        ),
    };
  },
});
