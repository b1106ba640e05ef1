/**
 * `weighted`: the write-up's final-stage loss (reference §5.4, a project
 * decision on its exact form): the balanced loss with misclassified examples
 * up-weighted by `1 + λ` and the weights renormalised within positives and
 * negatives.
 *
 * @module
 */

import { z } from "zod";
import { defineLoss } from "../../core/mod.ts";
import { computeWeightedLoss } from "./weighted.ts";

const options = z.object({
  lambda: z.number().min(0).default(1).describe(
    "Extra weight of an example misclassified at p = 0.5 (w = 1 + lambda); 0 gives the balanced loss",
  ),
});

/** The `weighted` loss plugin. */
export const weightedLoss = defineLoss({
  id: "weighted",
  description:
    "Final-stage loss of the write-up: balanced BCE with misclassified examples up-weighted (1 + λ), renormalised per group, plus smooth-L1 regression",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating loss "weighted"', { ...resolved });
    return { compute: (input) => computeWeightedLoss(input, resolved.lambda) };
  },
});
