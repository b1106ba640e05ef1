/**
 * `balanced`: the reference detector loss (DSB2017 and the Caffe RPN agree):
 * 0.5 · positive BCE + 0.5 · negative BCE, each averaged in its own group,
 * plus smooth-L1 regression of the positives.
 *
 * @module
 */

import { z } from "zod";
import { defineLoss } from "../../core/mod.ts";
import { computeBalancedLoss } from "./balanced.ts";

/** The `balanced` loss plugin. */
export const balancedLoss = defineLoss({
  id: "balanced",
  description:
    "Reference loss: 0.5·mean positive BCE + 0.5·mean negative BCE + smooth-L1 regression of positives",
  options: z.object({}),
  create: (_resolved, context) => {
    context.logger.debug('Creating loss "balanced"');
    return { compute: computeBalancedLoss };
  },
});
