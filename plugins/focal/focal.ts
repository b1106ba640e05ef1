/**
 * Sigmoid focal loss (Lin et al., "Focal Loss for Dense Object Detection",
 * ICCV 2017, eq. 5) over the positives and the miner's negatives, normalised
 * by the number of positives, plus the smooth-L1 regression of the reference
 * loss (reference-detector.md §5.2).
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

/** Settings of the focal loss. */
export interface FocalSettings {
  /** Weight of positives; negatives weigh 1 − α. */
  readonly alpha: number;
  /** Focusing exponent γ ≥ 0 (0: α-balanced BCE). */
  readonly gamma: number;
}

/**
 * FL = −α_t (1 − p_t)^γ ln p_t, written from logits so that it is stable for
 * any x: a positive has `ln p_t = −softplus(−x)` and `(1 − p_t)^γ =
 * exp(−γ·softplus(x))`; a negative the same with x and −x swapped. Summed
 * over the positives (weight α) and the selected negatives (weight 1 − α,
 * times the miner's weight when present), divided by max(#positives, 1) as
 * RetinaNet does; plus Σ_fields mean_pos SmoothL1. Terms: `classPositive`,
 * `classNegative`, `regression` (summing to the total), `regZ`…`regD`, `tpr`,
 * `tnr`.
 *
 * @param input outputs, targets and the miner's choice
 * @param settings α and γ
 * @returns the total and its terms
 */
export function computeFocalLoss(
  input: LossInput,
  settings: FocalSettings,
): LossResult {
  const { tf, output, targets, selection } = input;
  const { alpha, gamma } = settings;
  checkLossInput(input);
  const positives = tf.tensor1d(selection.positives, "int32");
  const p = selection.positives.length, n = selection.negatives.length;
  const normaliser = Math.max(p, 1);

  const positiveOutput = gatherRows(tf, output, selection.positives);
  const positiveLogits = tf.reshape(
    tf.slice(positiveOutput, [0, 0], [p, 1]),
    [p],
  );
  const negativeLogits = tf.reshape(
    tf.slice(gatherRows(tf, output, selection.negatives), [0, 0], [n, 1]),
    [n],
  );

  const focal = (logits: tfTypes.Tensor, sign: 1 | -1, weight: number) => {
    // sign 1: a positive (target 1); −1: a negative (target 0).
    const signed = sign === 1 ? logits : tf.neg(logits);
    const ce = tf.softplus(tf.neg(signed));
    const modulating = gamma === 0
      ? null
      : tf.exp(tf.mul(-gamma, tf.softplus(signed)));
    const loss = modulating ? tf.mul(modulating, ce) : ce;
    return tf.mul(weight, loss);
  };
  const classPositive = tf.div(
    tf.sum(focal(positiveLogits, 1, alpha)),
    normaliser,
  ) as tfTypes.Scalar;
  let negativeLoss = focal(negativeLogits, -1, 1 - alpha);
  if (selection.negativeWeights) {
    negativeLoss = tf.mul(
      negativeLoss,
      tf.tensor1d(selection.negativeWeights),
    );
  }
  const classNegative = tf.div(
    tf.sum(negativeLoss),
    normaliser,
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
