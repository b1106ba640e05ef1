/**
 * No mining: every candidate negative enters the loss (in the reference these
 * are the ≤ num_neg random negatives the head keeps per crop, §3.3 step 3).
 *
 * @module
 */

import type { MinerInput, MinerSelection } from "../../core/mod.ts";
import { ShapeError } from "../../core/mod.ts";

/** Checks that the arrays match `batchSize · rowsPerSample`. */
export function checkMinerInput(input: MinerInput): void {
  const { batchSize, rowsPerSample } = input;
  if (
    !(Number.isInteger(batchSize) && batchSize >= 0 &&
      Number.isInteger(rowsPerSample) && rowsPerSample >= 0)
  ) {
    throw new RangeError(
      `Cannot select negatives: batchSize is ${batchSize} and rowsPerSample is ${rowsPerSample}, expected non-negative integers`,
    );
  }
  const rows = batchSize * rowsPerSample;
  if (input.labels.length !== rows) {
    throw new ShapeError("miner labels", [rows], [input.labels.length]);
  }
  if (input.logits.length !== rows) {
    throw new ShapeError("miner logits", [rows], [input.logits.length]);
  }
}

/**
 * Selects every positive (label > 0.5) and every candidate negative
 * (label < −0.5), in training and in validation alike.
 *
 * @param input labels of a batch, flattened
 * @returns positives and negatives as ascending row indices
 *
 * @example
 * ```ts
 * import { selectAll } from "./all.ts";
 * const input = {
 *   logits: new Float32Array(4),
 *   labels: new Float32Array([-1, 1, 0, -1]),
 *   batchSize: 1,
 *   rowsPerSample: 4,
 * };
 * selectAll(input).negatives; // Int32Array [0, 3]
 * ```
 */
export function selectAll(input: MinerInput): MinerSelection {
  checkMinerInput(input);
  const { labels } = input;
  let p = 0, n = 0;
  for (let r = 0; r < labels.length; r++) {
    if (labels[r] > 0.5) p++;
    else if (labels[r] < -0.5) n++;
  }
  const positives = new Int32Array(p), negatives = new Int32Array(n);
  p = n = 0;
  for (let r = 0; r < labels.length; r++) {
    if (labels[r] > 0.5) positives[p++] = r;
    else if (labels[r] < -0.5) negatives[n++] = r;
  }
  return { positives, negatives };
}
