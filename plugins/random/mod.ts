/**
 * `random`: k candidate negatives per sample chosen uniformly at random (a
 * baseline against hard mining). Validation keeps every candidate negative.
 *
 * @module
 */

import { z } from "zod";
import { defineMiner } from "../../core/mod.ts";
import { selectRandom } from "./random.ts";

const options = z.object({
  k: z.int().min(1).default(2).describe(
    "Random negatives kept per sample",
  ),
});

/** The `random` miner plugin. */
export const randomMiner = defineMiner({
  id: "random",
  description:
    "Random negatives: k candidate negatives per sample drawn uniformly (baseline for hard mining)",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating miner "random"', { ...resolved });
    return {
      select: (input, training, rng) =>
        selectRandom(input, training, resolved.k, rng),
    };
  },
});
