/**
 * The reference ResNet-UNet (reference-detector.md §2.1) written directly
 * against `engine.ops`, for engine benchmarks only (the real backbone is the
 * `resunet` plugin): 34 3³ convs, 4 1³ shortcut convs, 2 up-convs, 40 batch
 * norms, 4 pools, channel dropout, and the 1³ head.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type {
  BatchNormParams,
  ConvParams,
  Engine,
} from "../core/engine/engine.ts";
import { createRng } from "../core/random.ts";

type T5 = tfTypes.Tensor5D;

/** A built reference-shaped network. */
export interface ReferenceNet {
  /** Forward pass; `x` `[n, s, s, s, 1]`, `coord` `[n, s/4, s/4, s/4, 3]`. */
  apply(x: T5, coord: T5, training: boolean): T5;
  /** Trainable variables. */
  readonly trainable: tfTypes.Variable[];
  /** Releases the variables. */
  dispose(): void;
}

/**
 * Builds the network on `engine` with He-normal weights from `seed`.
 *
 * @param engine the engine
 * @param seed weight seed
 * @returns the network
 */
export function buildReferenceNet(engine: Engine, seed: number): ReferenceNet {
  const tf = engine.tf;
  const ops = engine.ops;
  const rng = createRng(seed);
  const all: tfTypes.Variable[] = [];
  const trainable: tfTypes.Variable[] = [];
  const variable = (shape: number[], scale: number, train = true) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = rng.normal() * scale;
    const init = tf.tensor(data, shape);
    const v = tf.variable(init, train);
    init.dispose();
    all.push(v);
    if (train) trainable.push(v);
    return v;
  };
  const conv = (cin: number, cout: number, k: number): ConvParams => ({
    filter: variable(
      [k, k, k, cin, cout],
      Math.sqrt(2 / (k ** 3 * cin)),
    ) as tfTypes.Variable<tfTypes.Rank.R5>,
    bias: variable([cout], 0) as tfTypes.Variable<tfTypes.Rank.R1>,
    strides: 1,
    padding: "same",
  });
  const up = (c: number): ConvParams => ({
    filter: variable(
      [2, 2, 2, c, c],
      Math.sqrt(1 / (8 * c)),
    ) as tfTypes.Variable<tfTypes.Rank.R5>,
    bias: variable([c], 0) as tfTypes.Variable<tfTypes.Rank.R1>,
    strides: 2,
    padding: "valid",
  });
  const bn = (c: number): BatchNormParams => {
    const one = tf.ones([c]);
    const gamma = tf.variable(one, true) as tfTypes.Variable<tfTypes.Rank.R1>;
    const movingVariance = tf.variable(one, false) as tfTypes.Variable<
      tfTypes.Rank.R1
    >;
    one.dispose();
    const zero = tf.zeros([c]);
    const beta = tf.variable(zero, true) as tfTypes.Variable<tfTypes.Rank.R1>;
    const movingMean = tf.variable(zero, false) as tfTypes.Variable<
      tfTypes.Rank.R1
    >;
    zero.dispose();
    all.push(gamma, beta, movingMean, movingVariance);
    trainable.push(gamma, beta);
    return {
      gamma,
      beta,
      movingMean,
      movingVariance,
      momentum: 0.1,
      epsilon: 1e-5,
    };
  };
  /** PostRes: conv-BN-ReLU, conv-BN, + shortcut (1³ conv-BN if widths differ), ReLU. */
  const postRes = (cin: number, cout: number) => {
    const c1 = conv(cin, cout, 3), b1 = bn(cout);
    const c2 = conv(cout, cout, 3), b2 = bn(cout);
    const short = cin !== cout ? { c: conv(cin, cout, 1), b: bn(cout) } : null;
    return (x: T5, training: boolean): T5 => {
      const h = ops.convBn(x, c1, b1, { training, relu: true });
      const residual = short === null
        ? x
        : ops.convBn(x, short.c, short.b, { training, relu: false });
      return ops.convBn(h, c2, b2, { training, relu: true, residual });
    };
  };
  const stage = (cin: number, cout: number, blocks: number) => {
    const list = [postRes(cin, cout)];
    for (let i = 1; i < blocks; i++) list.push(postRes(cout, cout));
    return (x: T5, training: boolean) =>
      list.reduce((h, f) => f(h, training), x);
  };
  const pre1 = conv(1, 24, 3),
    preB1 = bn(24),
    pre2 = conv(24, 24, 3),
    preB2 = bn(24);
  const forw1 = stage(24, 32, 2), forw2 = stage(32, 64, 2);
  const forw3 = stage(64, 64, 3), forw4 = stage(64, 64, 3);
  const path1 = up(64), pathB1 = bn(64), path2 = up(64), pathB2 = bn(64);
  const back3 = stage(128, 64, 3), back2 = stage(131, 128, 3);
  const head1 = conv(128, 64, 1), head2 = conv(64, 15, 1);
  return {
    trainable,
    apply(x, coord, training) {
      let h = ops.convBn(x, pre1, preB1, { training, relu: true });
      h = ops.convBn(h, pre2, preB2, { training, relu: true });
      const o1 = forw1(ops.maxPool3d(h, 2), training);
      const o2 = forw2(ops.maxPool3d(o1, 2), training);
      const o3 = forw3(ops.maxPool3d(o2, 2), training);
      const o4 = forw4(ops.maxPool3d(o3, 2), training);
      const r1 = ops.relu(
        ops.batchNorm(ops.conv3dTranspose(o4, path1), pathB1, training),
      );
      const c3 = back3(ops.concatChannels([r1, o3]), training);
      const r2 = ops.relu(
        ops.batchNorm(ops.conv3dTranspose(c3, path2), pathB2, training),
      );
      let f = back2(ops.concatChannels([r2, o2, coord]), training);
      f = ops.dropout(f, 0.5, { training, channelwise: true, seed: 1 });
      return ops.conv3d(ops.relu(ops.conv3d(f, head1)), head2);
    },
    dispose() {
      tf.dispose(all);
    },
  };
}
