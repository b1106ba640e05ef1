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
  type LossInput,
  type LossResult,
  ShapeError,
  VALUES_PER_ANCHOR,
} from "../../core/mod.ts";

/** Names of the four regression terms, in field order (dz, dy, dx, dd). */
export const REGRESSION_TERMS = ["regZ", "regY", "regX", "regD"] as const;

/**
 * Checks shapes, row indices and negative weights; returns the number of rows.
 * Throws a ShapeError or RangeError naming what is wrong.
 */
export function checkLossInput(input: LossInput): number {
  const { output, targets, selection } = input;
  if (output.rank !== 2 || output.shape[1] !== VALUES_PER_ANCHOR) {
    throw new ShapeError(
      "loss output",
      [null, VALUES_PER_ANCHOR],
      output.shape,
    );
  }
  const rows = output.shape[0];
  if (
    targets.rank !== 2 || targets.shape[0] !== rows ||
    targets.shape[1] !== VALUES_PER_ANCHOR
  ) {
    throw new ShapeError(
      "loss targets",
      [rows, VALUES_PER_ANCHOR],
      targets.shape,
    );
  }
  for (
    const [what, indices] of [
      ["positives", selection.positives],
      ["negatives", selection.negatives],
    ] as const
  ) {
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i];
      if (!(Number.isInteger(row) && row >= 0 && row < rows)) {
        throw new RangeError(
          `Cannot compute loss: selection.${what}[${i}] is ${row}, expected a row in [0, ${rows})`,
        );
      }
    }
  }
  const weights = selection.negativeWeights;
  if (weights !== undefined) {
    if (weights.length !== selection.negatives.length) {
      throw new ShapeError(
        "selection.negativeWeights",
        [selection.negatives.length],
        [weights.length],
      );
    }
    for (let i = 0; i < weights.length; i++) {
      if (!(Number.isFinite(weights[i]) && weights[i] >= 0)) {
        throw new RangeError(
          `Cannot compute loss: selection.negativeWeights[${i}] is ${
            weights[i]
          }, expected a finite weight >= 0`,
        );
      }
    }
  }
  return rows;
}

/**
 * The sum over the four regression fields of the mean over positives of
 * SmoothL1 (β = 1: 0.5x² for |x| < 1, else |x| − 0.5), written branch-free as
 * `0.5q² + |x| − q` with `q = min(|x|, 1)`. Returns the total and the four
 * per-field means; all 0 with no positives.
 */
export function regressionTerms(
  tf: LossInput["tf"],
  positiveOutput: tfTypes.Tensor2D,
  positiveTargets: tfTypes.Tensor2D,
): { total: tfTypes.Scalar; fields: tfTypes.Scalar[] } {
  const count = positiveOutput.shape[0];
  const diff = tf.sub(
    tf.slice(positiveOutput, [0, 1], [count, 4]),
    tf.slice(positiveTargets, [0, 1], [count, 4]),
  );
  const a = tf.abs(diff);
  const q = tf.minimum(a, 1);
  const smooth = tf.add(tf.mul(0.5, tf.square(q)), tf.sub(a, q));
  const perField = tf.div(tf.sum(smooth, 0), Math.max(count, 1));
  const fields = tf.split(perField, 4).map((t) =>
    tf.reshape(t, []) as tfTypes.Scalar
  );
  return { total: tf.sum(perField), fields };
}

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
  const negatives = tf.tensor1d(selection.negatives, "int32");
  const p = selection.positives.length, n = selection.negatives.length;

  const positiveOutput = tf.gather(output, positives) as tfTypes.Tensor2D;
  const positiveLogits = tf.reshape(tf.slice(positiveOutput, [0, 0], [p, 1]), [
    p,
  ]);
  const negativeLogits = tf.reshape(
    tf.slice(tf.gather(output, negatives), [0, 0], [n, 1]),
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

  const regression = regressionTerms(
    tf,
    positiveOutput,
    tf.gather(targets, positives) as tfTypes.Tensor2D,
  );
  const total = tf.add(
    tf.add(classPositive, classNegative),
    regression.total,
  ) as tfTypes.Scalar;

  const terms: Record<string, tfTypes.Scalar> = {
    classPositive,
    classNegative,
    regression: regression.total,
  };
  REGRESSION_TERMS.forEach((name, i) => terms[name] = regression.fields[i]);
  // Metrics (reference §5.2): no gradient is taken through them.
  if (p > 0) {
    terms.tpr = tf.div(
      tf.sum(tf.cast(tf.greaterEqual(positiveLogits, 0), "float32")),
      p,
    );
  }
  if (n > 0) {
    terms.tnr = tf.div(
      tf.sum(tf.cast(tf.less(negativeLogits, 0), "float32")),
      n,
    );
  }
  return { total, terms };
}
