/**
 * `all`: no mining; every candidate negative enters the loss, in training
 * and validation alike.
 *
 * @module
 */

import { z } from "zod";
import { defineMiner } from "../../core/mod.ts";
import { selectAll } from "./all.ts";

/** The `all` miner plugin. */
export const allMiner = defineMiner({
  id: "all",
  description:
    "No mining: every candidate negative (the head's random negatives) enters the loss",
  options: z.object({}),
  create: (_resolved, context) => {
    context.logger.debug('Creating miner "all"');
    return { select: (input) => selectAll(input) };
  },
});
