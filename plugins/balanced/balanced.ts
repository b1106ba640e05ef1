/**
 * The reference detector loss (reference-detector.md §5.2, after `Loss` of
 * lfz/DSB2017 `layers.py`, MIT; Y's Caffe layers compute the same): balanced
 * binary cross-entropy over positives and selected negatives plus smooth-L1
 * regression of the positives.
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
 * L = 0.5 · mean_pos BCE(σ(x), 1) + 0.5 · mean_neg BCE(σ(x), 0) + Σ_fields
 * mean_pos SmoothL1. BCE from logits in the stable softplus form
 * (BCE(σ(x), 1) = softplus(−x), BCE(σ(x), 0) = softplus(x)). With miner
 * weights the negative mean is weighted (Σ w·l / Σ w). No positives: the
 * positive and regression terms are 0. Terms: `classPositive`,
 * `classNegative`, `regression` (they sum to the total), `regZ`…`regD`, and
 * the metrics `tpr` (positives with p ≥ 0.5) and `tnr` (selected negatives
 * with p < 0.5, unweighted) when their group is not empty.
 *
 * @param input outputs, targets and the miner's choice
 * @returns the total and its terms
 */
export function computeBalancedLoss(input: LossInput): LossResult {
  const { tf, output, targets, selection } = input;
  checkLossInput(input);
  const positives = tf.tensor1d(selection.positives, "int32");
  const p = selection.positives.length, n = selection.negatives.length;

  const positiveOutput = gatherRows(tf, output, selection.positives);
  const positiveLogits = tf.reshape(tf.slice(positiveOutput, [0, 0], [p, 1]), [
    p,
  ]);
  const negativeLogits = tf.reshape(
    tf.slice(gatherRows(tf, output, selection.negatives), [0, 0], [n, 1]),
    [n],
  );

  const classPositive = tf.mul(
    0.5 / Math.max(p, 1),
    tf.sum(tf.softplus(tf.neg(positiveLogits))),
  ) as tfTypes.Scalar;
  let negativeLoss = tf.softplus(negativeLogits);
  let negativeTotal = n;
  if (selection.negativeWeights) {
    negativeLoss = tf.mul(negativeLoss, tf.tensor1d(selection.negativeWeights));
    negativeTotal = selection.negativeWeights.reduce((s, w) => s + w, 0);
  }
  const classNegative = tf.mul(
    0.5 / (negativeTotal > 0 ? negativeTotal : 1),
    tf.sum(negativeLoss),
  ) as tfTypes.Scalar;

  return detectionLossResult(tf, {
    classPositive,
    classNegative,
    positiveOutput,
    positiveTargets: tf.gather(targets, positives) as tfTypes.Tensor2D,
    positiveLogits,
    negativeLogits,
  });
}
