/**
 * The final-stage weighted loss of the competition write-up
 * (reference-detector.md §5.4, [W-only]: no code exists in either repo; the
 * form here is this project's decision): the balanced loss of §5.2 with each
 * example's BCE multiplied by `w = 1 + λ·[misclassified at p = 0.5]`,
 * renormalised within positives and within negatives.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import {
  checkLossInput,
  detectionLossResult,
  gatherRows,
  type LossInput,
  type LossResult,
} from "../../core/mod.ts";

/**
 * Weighted loss: with `m` the mask of misclassified examples under the
 * current prediction (a positive with p < 0.5, i.e. logit < 0; a negative
 * with p ≥ 0.5, i.e. logit ≥ 0) and `u` the miner's weight of a negative (1
 * when absent), each example weighs `w = (1 + λ·m) · u` and
 *
 * L = 0.5 · Σ_pos w·softplus(−x) / Σ_pos w + 0.5 · Σ_neg w·softplus(x) / Σ_neg w
 *   + Σ_fields mean_pos SmoothL1.
 *
 * The mask is computed with `tf.step`, whose gradient is zero, so it is a
 * constant for the gradient (the weights only rescale each example's
 * gradient). With λ = 0 this is exactly the balanced loss. Terms as the
 * balanced loss (`classPositive`, `classNegative`, `regression`, `regZ`…,
 * `tpr`, `tnr`), plus `misclassified`: the fraction of selected rows that
 * were up-weighted.
 *
 * @param input outputs, targets and the miner's choice
 * @param lambda extra weight of a misclassified example (≥ 0)
 * @returns the total and its terms
 */
export function computeWeightedLoss(
  input: LossInput,
  lambda: number,
): LossResult {
  const { tf, output, targets, selection } = input;
  checkLossInput(input);
  const positives = tf.tensor1d(selection.positives, "int32");
  const p = selection.positives.length, n = selection.negatives.length;

  const positiveOutput = gatherRows(tf, output, selection.positives);
  const positiveLogits = tf.reshape(
    tf.slice(positiveOutput, [0, 0], [p, 1]),
    [p],
  );
  const negativeLogits = tf.reshape(
    tf.slice(gatherRows(tf, output, selection.negatives), [0, 0], [n, 1]),
    [n],
  );

  // step(−x) = 1 where x < 0, else 0; its gradient is zero (constant mask).
  const positiveMissed = tf.step(tf.neg(positiveLogits));
  const negativeMissed = tf.sub(1, tf.step(tf.neg(negativeLogits)));
  const positiveWeights = tf.add(1, tf.mul(lambda, positiveMissed));
  let negativeWeights = tf.add(1, tf.mul(lambda, negativeMissed));
  let minerTotal = n;
  if (selection.negativeWeights) {
    negativeWeights = tf.mul(
      negativeWeights,
      tf.tensor1d(selection.negativeWeights),
    );
    minerTotal = selection.negativeWeights.reduce((s, w) => s + w, 0);
  }
  // Σ_pos w ≥ p ≥ 1 when there are positives; with none the numerator is 0
  // and the divisor 1. Σ_neg w ≥ Σ u, which is 0 only with no negatives or
  // all miner weights 0 (numerator 0 too): then the divisor is 1.
  const classPositive = tf.mul(
    0.5,
    tf.div(
      tf.sum(tf.mul(positiveWeights, tf.softplus(tf.neg(positiveLogits)))),
      tf.maximum(tf.sum(positiveWeights), 1),
    ),
  ) as tfTypes.Scalar;
  const classNegative = tf.mul(
    0.5,
    tf.div(
      tf.sum(tf.mul(negativeWeights, tf.softplus(negativeLogits))),
      minerTotal > 0 ? tf.sum(negativeWeights) : 1,
    ),
  ) as tfTypes.Scalar;

  const { total, terms } = detectionLossResult(tf, {
    classPositive,
    classNegative,
    positiveOutput,
    positiveTargets: tf.gather(targets, positives) as tfTypes.Tensor2D,
  });
  if (p > 0) terms.tpr = tf.sub(1, tf.mean(positiveMissed));
  if (n > 0) terms.tnr = tf.sub(1, tf.mean(negativeMissed));
  if (p + n > 0) {
    terms.misclassified = tf.div(
      tf.add(tf.sum(positiveMissed), tf.sum(negativeMissed)),
      p + n,
    );
  }
  return { total, terms };
}
