/**
 * `topk`: online hard-negative mining; keeps the candidate negatives with the
 * highest logits, k per sample (the write-up) or k · batch over the whole
 * batch (DSB2017's code). Validation keeps every candidate negative.
 *
 * @module
 */

import { z } from "zod";
import { defineMiner } from "../../core/mod.ts";
import { selectTopK } from "./topk.ts";

const options = z.object({
  k: z.int().min(1).default(2).describe(
    "Hard negatives kept per sample (num_hard: DSB2017 2, the write-up 2 or 3)",
  ),
  per_sample: z.boolean().default(true).describe(
    "true: the k highest-logit negatives of each sample (the write-up); false: the k · batch highest over the whole batch (DSB2017's code)",
  ),
});

/** The `topk` miner plugin. */
export const topKMiner = defineMiner({
  id: "topk",
  description:
    "Online hard-negative mining: the k highest-logit candidate negatives per sample (or k · batch over the batch)",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating miner "topk"', { ...resolved });
    const settings = { k: resolved.k, perSample: resolved.per_sample };
    return {
      select: (input, training) => selectTopK(input, training, settings),
    };
  },
});
