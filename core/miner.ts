/**
 * The Miner interface: given per-anchor scores and target labels of a batch,
 * chooses the negatives (and their weights) that enter the loss. The staged
 * hierarchical hard mining is a training schedule in core's trainer that uses
 * miners as its parts.
 *
 * @module
 */

import { definer } from "./plugin.ts";
import type { Rng } from "./random.ts";

/** Per-anchor data of one batch, flattened over batch, grid and anchors. */
export interface MinerInput {
  /** Classifier logits, one per anchor row. */
  readonly logits: Float32Array;
  /** Classes from the head's targets: 1 positive, −1 candidate negative, 0 ignore. */
  readonly labels: Float32Array;
  /** Number of samples in the batch. */
  readonly batchSize: number;
  /** Rows per sample (`logits.length / batchSize`). */
  readonly rowsPerSample: number;
}

/** Which rows enter the loss. */
export interface MinerSelection {
  /** Row indices of positives. */
  readonly positives: Int32Array;
  /** Row indices of the chosen negatives. */
  readonly negatives: Int32Array;
  /** Weight of each chosen negative (same length); all 1 when absent. */
  readonly negativeWeights?: Float32Array;
}

/** Chooses negatives. */
export interface Miner {
  /**
   * Selects rows; `training` false means validation (use every candidate negative).
   */
  select(input: MinerInput, training: boolean, rng: Rng): MinerSelection;
}

/** Defines a miner plugin. */
export const defineMiner = definer<"miner", Miner>("miner");
