/**
 * {@linkcode NetworkOps} composed of plain tfjs ops: works on every tfjs
 * backend and is the correctness oracle the fused engines are tested against.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type { BatchNormParams, NetworkOps, TfCore } from "./engine.ts";
import {
  checkBatchNorm,
  checkConcat,
  checkConv,
  checkDropout,
  checkPool,
  checkRank5,
  checkSameShape,
  dropoutMask,
} from "./_checks.ts";

type T5 = tfTypes.Tensor5D;

/**
 * Updates a batch norm's running statistics from one training batch, PyTorch
 * style: `new = (1 − momentum)·old + momentum·batch`, with the unbiased batch
 * variance (`n/(n − 1)` times the biased one). Not differentiated.
 *
 * @param tf tfjs-core
 * @param bn the parameters whose running statistics to update
 * @param mean batch mean `[channels]`
 * @param biasedVariance batch variance (divided by n) `[channels]`
 * @param count n, the values per channel (batch × depth × height × width)
 * @returns nothing; the variables are reassigned
 * @example
 * ```ts ignore
 * updateRunningStats(tf, bn, mean, variance, 2 * 32 * 32 * 32);
 * ```
 */
export function updateRunningStats(
  tf: TfCore,
  bn: BatchNormParams,
  mean: tfTypes.Tensor1D,
  biasedVariance: tfTypes.Tensor1D,
  count: number,
): void {
  tf.tidy(() => {
    const m = bn.momentum;
    const unbiased = tf.mul(biasedVariance, count / (count - 1));
    bn.movingMean.assign(
      tf.add(tf.mul(bn.movingMean, 1 - m), tf.mul(mean, m)),
    );
    bn.movingVariance.assign(
      tf.add(tf.mul(bn.movingVariance, 1 - m), tf.mul(unbiased, m)),
    );
  });
}

/** Throws unless a training batch norm has more than one value per channel. */
export function checkBatchNormCount(shape: readonly number[]): number {
  const count = shape[0] * shape[1] * shape[2] * shape[3];
  if (count < 2) {
    throw new RangeError(
      `Cannot run batchNorm in training: ${count} value per channel in shape [${
        shape.join(", ")
      }], expected more than 1`,
    );
  }
  return count;
}

/**
 * Creates the plain-tfjs network ops on `tf`'s active backend.
 *
 * @param tf tfjs-core with a backend selected
 * @returns the ops
 * @example
 * ```ts ignore
 * const ops = createPlainOps(tf);
 * const y = ops.relu(x);
 * ```
 */
export function createPlainOps(tf: TfCore): NetworkOps {
  const batchNorm = (x: T5, bn: BatchNormParams, training: boolean): T5 => {
    checkBatchNorm(x, bn);
    return tf.tidy(() => {
      let normalised: T5;
      if (training) {
        const count = checkBatchNormCount(x.shape);
        const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
        updateRunningStats(
          tf,
          bn,
          mean as tfTypes.Tensor1D,
          variance as tfTypes.Tensor1D,
          count,
        );
        normalised = tf.mul(
          tf.sub(x, mean),
          tf.rsqrt(tf.add(variance, bn.epsilon)),
        );
      } else {
        normalised = tf.mul(
          tf.sub(x, bn.movingMean),
          tf.rsqrt(tf.add(bn.movingVariance, bn.epsilon)),
        );
      }
      if (bn.gamma !== null) normalised = tf.mul(normalised, bn.gamma);
      if (bn.beta !== null) normalised = tf.add(normalised, bn.beta);
      return normalised;
    });
  };

  const ops: NetworkOps = {
    conv3d(x, conv) {
      checkConv("conv3d", x, conv, false);
      return tf.tidy(() => {
        const y = tf.conv3d(x, conv.filter, conv.strides, conv.padding);
        return conv.bias === null ? y : tf.add(y, conv.bias);
      });
    },
    conv3dTranspose(x, conv) {
      const [k, , cout] = checkConv("conv3dTranspose", x, conv, true);
      return tf.tidy(() => {
        const [n, d, h, w] = x.shape;
        const y = tf.conv3dTranspose(
          x,
          conv.filter,
          [n, d * k, h * k, w * k, cout],
          k,
          "valid",
        );
        return conv.bias === null ? y : tf.add(y, conv.bias);
      });
    },
    batchNorm,
    convBn(x, conv, bn, options) {
      return tf.tidy(() => {
        let y = batchNorm(ops.conv3d(x, conv), bn, options.training);
        if (options.residual !== undefined) {
          checkSameShape("convBn residual", y, options.residual);
          y = tf.add(y, options.residual);
        }
        return options.relu ? tf.relu(y) : y;
      });
    },
    relu(x) {
      checkRank5("relu input", x);
      return tf.relu(x);
    },
    add(a, b) {
      checkRank5("add input", a);
      checkSameShape("add input", a, b);
      return tf.add(a, b);
    },
    maxPool3d(x, size) {
      checkPool(x, size);
      return tf.maxPool3d(x, size, size, "valid");
    },
    concatChannels(xs) {
      checkConcat(xs);
      return xs.length === 1 ? tf.clone(xs[0]) : tf.concat(xs, 4);
    },
    dropout(x, rate, options) {
      checkDropout(x, rate);
      if (!options.training || rate === 0) return tf.clone(x);
      const mask = dropoutMask(
        x.shape,
        rate,
        options.channelwise,
        options.seed,
      );
      return tf.tidy(() => tf.mul(x, tf.tensor(mask.values, mask.shape)));
    },
  };
  return ops;
}
