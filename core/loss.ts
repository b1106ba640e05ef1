/**
 * The Loss interface: classification and regression terms from outputs,
 * targets and the miner's choice, each term reported separately.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { VALUES_PER_ANCHOR } from "./anchor_head.ts";
import type { TfCore } from "./engine/engine.ts";
import { ShapeError } from "./errors.ts";
import type { MinerSelection } from "./miner.ts";
import { definer } from "./plugin.ts";

/** Inputs of a loss. */
export interface LossInput {
  /** The engine's tfjs namespace. */
  readonly tf: TfCore;
  /** Head outputs `[rows, 5]` float32 (logit, dz, dy, dx, dd), differentiable. */
  readonly output: tfTypes.Tensor2D;
  /** Targets `[rows, 5]` (class, dz, dy, dx, dd), constant. */
  readonly targets: tfTypes.Tensor2D;
  /** The miner's choice of rows. */
  readonly selection: MinerSelection;
}

/** A loss value and its terms (scalars; the caller disposes of them). */
export interface LossResult {
  /** The value to minimise. */
  readonly total: tfTypes.Scalar;
  /** Named terms for the curves, e.g. `classPositive`, `classNegative`, `regression`. */
  readonly terms: Record<string, tfTypes.Scalar>;
}

/** A training loss. */
export interface Loss {
  /** Computes the loss; must be called inside `tf.variableGrads` / `tf.tidy`. */
  compute(input: LossInput): LossResult;
}

/** Defines a loss plugin. */
export const defineLoss = definer<"loss", Loss>("loss");

// Helpers the detection losses share (plugins may not import each other).

/** Names of the four regression terms, in field order (dz, dy, dx, dd). */
export const REGRESSION_TERMS = ["regZ", "regY", "regX", "regD"] as const;

/**
 * `tf.gather(x, rows)` along axis 0, with a scatter-add gradient. tfjs's own
 * gather gradient is `unsortedSegmentSum`, which the cpu backend runs as one
 * masked sum per row of `x`: about 0.6 s for the 24,576 rows of a 64³ batch
 * of 2 with 6 indices and 24 s with 1,600, where a scatter takes
 * milliseconds (`deno task bench`, `loss` group).
 *
 * @param tf the engine's tfjs namespace
 * @param x `[rows, c]`
 * @param rows row indices (repeats allowed: their gradients add up)
 * @returns `[rows.length, c]`
 */
export function gatherRows(
  tf: TfCore,
  x: tfTypes.Tensor2D,
  rows: Int32Array,
): tfTypes.Tensor2D {
  const [count, columns] = x.shape;
  const n = rows.length;
  const gather = tf.customGrad((value, _save) => ({
    value: tf.gather(value as tfTypes.Tensor, tf.tensor1d(rows, "int32")),
    gradFunc: (dy) =>
      n === 0 ? tf.zeros([count, columns]) : tf.scatterND(
        tf.tensor2d(rows, [n, 1], "int32"),
        dy,
        [count, columns],
      ),
  }));
  return gather(x) as tfTypes.Tensor2D;
}

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
 * Puts a detection loss together: the two classification terms plus the
 * smooth-L1 regression of the positives ({@linkcode regressionTerms}), with
 * every term reported (`classPositive`, `classNegative`, `regression`,
 * `regZ`…`regD`) and, when logits are given, the hit rates `tpr` (positives
 * with logit ≥ 0) and `tnr` (selected negatives with logit < 0), which take
 * no gradient.
 *
 * @param tf the engine's tfjs namespace
 * @param parts the classification terms, the positives' outputs and targets
 *   `[p, 5]`, and optionally the positive and negative logits `[p]`, `[n]`
 * @returns the total and the named terms
 */
export function detectionLossResult(
  tf: LossInput["tf"],
  parts: {
    classPositive: tfTypes.Scalar;
    classNegative: tfTypes.Scalar;
    positiveOutput: tfTypes.Tensor2D;
    positiveTargets: tfTypes.Tensor2D;
    positiveLogits?: tfTypes.Tensor;
    negativeLogits?: tfTypes.Tensor;
  },
): LossResult {
  const regression = regressionTerms(
    tf,
    parts.positiveOutput,
    parts.positiveTargets,
  );
  const total = tf.add(
    tf.add(parts.classPositive, parts.classNegative),
    regression.total,
  ) as tfTypes.Scalar;
  const terms: Record<string, tfTypes.Scalar> = {
    classPositive: parts.classPositive,
    classNegative: parts.classNegative,
    regression: regression.total,
  };
  REGRESSION_TERMS.forEach((name, i) => terms[name] = regression.fields[i]);
  const p = parts.positiveLogits?.shape[0] ?? 0;
  const n = parts.negativeLogits?.shape[0] ?? 0;
  if (p > 0) {
    terms.tpr = tf.div(
      tf.sum(tf.cast(tf.greaterEqual(parts.positiveLogits!, 0), "float32")),
      p,
    );
  }
  if (n > 0) {
    terms.tnr = tf.div(
      tf.sum(tf.cast(tf.less(parts.negativeLogits!, 0), "float32")),
      n,
    );
  }
  return { total, terms };
}
