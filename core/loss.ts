/**
 * The Loss interface: classification and regression terms from outputs,
 * targets and the miner's choice, each term reported separately.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type { TfCore } from "./engine/engine.ts";
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
