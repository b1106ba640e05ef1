/**
 * Random negative mining: k candidate negatives per sample, uniformly at
 * random without replacement (a baseline against hard mining).
 *
 * @module
 */

import type { MinerInput, MinerSelection, Rng } from "../../core/mod.ts";
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

/** Rows whose label is > 0.5 (`sign` 1) or < −0.5 (`sign` −1), ascending. */
export function rowsWhere(labels: Float32Array, sign: 1 | -1): Int32Array {
  let n = 0;
  for (let r = 0; r < labels.length; r++) if (labels[r] * sign > 0.5) n++;
  const rows = new Int32Array(n);
  n = 0;
  for (let r = 0; r < labels.length; r++) {
    if (labels[r] * sign > 0.5) rows[n++] = r;
  }
  return rows;
}

/**
 * Selects every positive and, in training, `k` random candidate negatives
 * (label < −0.5) per sample (all of them when a sample has at most `k`); in
 * validation every candidate negative.
 *
 * @param input logits (unused) and labels of a batch, flattened
 * @param training false: validation, every candidate negative
 * @param k negatives per sample
 * @param rng the draw (partial Fisher–Yates per sample)
 * @returns positives and negatives as ascending row indices
 *
 * @example
 * ```ts
 * import { createRng } from "../../core/mod.ts";
 * import { selectRandom } from "./random.ts";
 * const input = {
 *   logits: new Float32Array(4),
 *   labels: new Float32Array([-1, 1, -1, -1]),
 *   batchSize: 1,
 *   rowsPerSample: 4,
 * };
 * selectRandom(input, true, 2, createRng(0)).negatives.length; // 2
 * ```
 */
export function selectRandom(
  input: MinerInput,
  training: boolean,
  k: number,
  rng: Rng,
): MinerSelection {
  checkMinerInput(input);
  const { labels, batchSize, rowsPerSample } = input;
  const positives = rowsWhere(labels, 1);
  if (!training) return { positives, negatives: rowsWhere(labels, -1) };
  const chosen = new Int32Array(Math.min(k * batchSize, labels.length));
  const pool = new Int32Array(rowsPerSample);
  let count = 0;
  for (let s = 0; s < batchSize; s++) {
    let n = 0;
    const end = (s + 1) * rowsPerSample;
    for (let r = s * rowsPerSample; r < end; r++) {
      if (labels[r] < -0.5) pool[n++] = r;
    }
    const take = Math.min(k, n);
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(n - i);
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
      chosen[count++] = pool[i];
    }
  }
  return { positives, negatives: chosen.slice(0, count).sort() };
}
