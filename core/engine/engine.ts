/**
 * The engine interface: which tensor engine runs a network, hidden behind one
 * object. Plugins build their networks from `engine.tf` and `engine.ops` and
 * never import a backend. Implementations live beside this file
 * (`cpu`: tfjs + onnxruntime-node kernels, `webgpu`, `tensorflow`, `tfjs-cpu`).
 *
 * Only `core/engine/` imports TensorFlow.js at run time; everything else gets
 * the `tf` namespace from an engine and imports tfjs types only.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";

/** The tfjs-core namespace, with the engine's backend active. */
export type TfCore = typeof tfTypes;

/** Engine names accepted in an experiment's `train.engine`. */
export const ENGINE_NAMES = [
  "cpu",
  "webgpu",
  "tensorflow",
  "tfjs-cpu",
] as const;

/** One of {@linkcode ENGINE_NAMES}. */
export type EngineName = typeof ENGINE_NAMES[number];

/** A 3D convolution's parameters (tfjs layout, channels last). */
export interface ConvParams {
  /** Filter `[k, k, k, inChannels, outChannels]`, float32. */
  readonly filter: tfTypes.Variable<tfTypes.Rank.R5>;
  /** Bias `[outChannels]`, or null for none. */
  readonly bias: tfTypes.Variable<tfTypes.Rank.R1> | null;
  /** Stride on every axis. */
  readonly strides: number;
  /** Padding mode. */
  readonly padding: "same" | "valid";
}

/** Batch-norm parameters and running statistics (PyTorch semantics). */
export interface BatchNormParams {
  /** Scale `[channels]`, or null without affine. */
  readonly gamma: tfTypes.Variable<tfTypes.Rank.R1> | null;
  /** Shift `[channels]`, or null without affine. */
  readonly beta: tfTypes.Variable<tfTypes.Rank.R1> | null;
  /** Running mean `[channels]`, updated in training (not trainable). */
  readonly movingMean: tfTypes.Variable<tfTypes.Rank.R1>;
  /** Running (unbiased) variance `[channels]`, updated in training (not trainable). */
  readonly movingVariance: tfTypes.Variable<tfTypes.Rank.R1>;
  /** Running-stat update: `new = (1 − momentum)·old + momentum·batch` (PyTorch: 0.1). */
  readonly momentum: number;
  /** Added to the variance (PyTorch: 1e-5). */
  readonly epsilon: number;
}

/**
 * Differentiable network units. Every function takes and returns
 * channels-last tensors `[batch, depth, height, width, channels]`, float32,
 * and is usable inside `tf.grad`/`tf.variableGrads`. Engines may fuse the
 * composite units for speed; results must equal the plain tfjs composition
 * within 1e-4 relative.
 */
export interface NetworkOps {
  /** 3D convolution (+ bias). */
  conv3d(x: tfTypes.Tensor5D, conv: ConvParams): tfTypes.Tensor5D;
  /**
   * Transposed 3D convolution with kernel = stride (the U-Net up step);
   * filter layout `[k, k, k, outChannels, inChannels]` as tfjs's conv3dTranspose.
   */
  conv3dTranspose(
    x: tfTypes.Tensor5D,
    conv: ConvParams,
  ): tfTypes.Tensor5D;
  /** Batch norm: batch statistics in training (updating the running ones), running ones otherwise. */
  batchNorm(
    x: tfTypes.Tensor5D,
    bn: BatchNormParams,
    training: boolean,
  ): tfTypes.Tensor5D;
  /**
   * conv → batch norm → (+ residual) → (ReLU): the unit a ResNet is made of.
   * Engines fuse it; the plain version composes the ops above.
   */
  convBn(
    x: tfTypes.Tensor5D,
    conv: ConvParams,
    bn: BatchNormParams,
    options: {
      training: boolean;
      relu: boolean;
      residual?: tfTypes.Tensor5D;
      /**
       * False when `x` is a constant (a network's input image): an engine may
       * then skip the input gradient and hand back zeros for it. Default true.
       */
      inputGradient?: boolean;
    },
  ): tfTypes.Tensor5D;
  /** max(x, 0). */
  relu(x: tfTypes.Tensor5D): tfTypes.Tensor5D;
  /** Element-wise sum of two tensors of equal shape. */
  add(a: tfTypes.Tensor5D, b: tfTypes.Tensor5D): tfTypes.Tensor5D;
  /** Max pooling with a cubic window and equal stride, 'valid' padding. */
  maxPool3d(x: tfTypes.Tensor5D, size: number): tfTypes.Tensor5D;
  /** Concatenation along channels. */
  concatChannels(xs: tfTypes.Tensor5D[]): tfTypes.Tensor5D;
  /**
   * Dropout in training, identity otherwise; `channelwise` drops whole
   * channels per sample (PyTorch Dropout3d). Uses `seed` for the mask.
   */
  dropout(
    x: tfTypes.Tensor5D,
    rate: number,
    options: { training: boolean; channelwise: boolean; seed: number },
  ): tfTypes.Tensor5D;
}

/** A tensor engine with its backend active. */
export interface Engine {
  /** Which engine this is. */
  readonly name: EngineName;
  /** One line for logs: backend, adapter, threads. */
  readonly description: string;
  /** tfjs-core with this engine's backend selected. */
  readonly tf: TfCore;
  /** Differentiable network units, fast on this engine. */
  readonly ops: NetworkOps;
  /** Releases native sessions and caches. */
  dispose(): void;
}
