/**
 * `focal`: sigmoid focal loss (Lin et al. 2017) over positives and the
 * miner's negatives, normalised by the number of positives, plus smooth-L1
 * regression.
 *
 * @module
 */

import { z } from "zod";
import { defineLoss } from "../../core/mod.ts";
import { computeFocalLoss } from "./focal.ts";

const options = z.object({
  alpha: z.number().min(0).max(1).default(0.25).describe(
    "Weight of positives (negatives weigh 1 − alpha); RetinaNet: 0.25",
  ),
  gamma: z.number().min(0).default(2).describe(
    "Focusing exponent: (1 − p_t)^gamma down-weights easy examples; 0 gives alpha-weighted BCE",
  ),
});

/** The `focal` loss plugin. */
export const focalLoss = defineLoss({
  id: "focal",
  description:
    "Sigmoid focal loss (α 0.25, γ 2) over positives and mined negatives, normalised by the positives, plus smooth-L1 regression",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating loss "focal"', { ...resolved });
    const settings = { alpha: resolved.alpha, gamma: resolved.gamma };
    return { compute: (input) => computeFocalLoss(input, settings) };
  },
});
