/**
 * The Backbone interface: builds the network body for an engine. Input:
 * `[batch, d, h, w, inputChannels]` (normalised intensities, then any extra
 * input channels such as the blob response) plus the coordinate grid;
 * output: a feature map whose channels and stride it publishes. Owns its
 * weights' save/load and its ONNX export.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type { Engine } from "./engine/engine.ts";
import type { OnnxGraphBuilder } from "./onnx/graph.ts";
import { definer } from "./plugin.ts";
import type { Rng } from "./random.ts";

/** The published shape of a feature map. */
export interface FeatureSpec {
  /** Channels of the feature map. */
  readonly channels: number;
  /** Input voxels per feature cell on each axis. */
  readonly stride: number;
}

/** Weights by name: every trainable parameter and every running statistic. */
export type NamedWeights = Map<
  string,
  { readonly shape: readonly number[]; readonly data: Float32Array }
>;

/** A built network with its variables on one engine. */
export interface Network<Inputs extends unknown[]> {
  /** Runs the network; the caller disposes of the result. */
  apply(...inputs: Inputs): tfTypes.Tensor5D;
  /** Variables the optimizer updates. */
  readonly trainable: readonly tfTypes.Variable[];
  /** Every weight (trainable and running statistics), copied out. */
  getWeights(): NamedWeights;
  /** Loads weights; throws a ShapeError or RangeError naming the first mismatch. */
  setWeights(weights: NamedWeights): void;
  /** Releases the variables. */
  dispose(): void;
  /**
   * Seeds the random layers (dropout) for the following calls. The trainer
   * calls it every step with a seed derived from the run seed and the step,
   * so a resumed run repeats the same masks.
   */
  reseed?(seed: number): void;
}

/** How a backbone runs; every field optional. */
export interface BackboneApplyOptions {
  /**
   * False when the caller never takes the gradient with respect to `image`
   * (training does not): a backbone may then skip computing it, and the
   * image gradient it hands back is zero. Default true.
   */
  readonly imageGradient?: boolean;
}

/**
 * The backbone network: `apply(image, coord, training, options?)`.
 *
 * - `image`: `[batch, d, h, w, inputChannels]` float32; channel 0 is the normalised intensity
 *   ((v − 128)/128, about −1..1), further channels the extra inputs, normalised the same way;
 *   d, h, w multiples of {@linkcode Backbone.maxStride}.
 * - `coord`: `[batch, d/stride, h/stride, w/stride, 3]` float32, positions in −0.5..0.5.
 * - result: `[batch, d/stride, h/stride, w/stride, output.channels]` float32.
 */
export type BackboneNetwork = Network<
  [
    image: tfTypes.Tensor5D,
    coord: tfTypes.Tensor5D,
    training: boolean,
    options?: BackboneApplyOptions,
  ]
>;

/** Parameter and layer counts of a backbone. */
export interface BackboneCounts {
  /** Number of trainable parameters (running statistics excluded). */
  readonly parameters: number;
  /** Layers with weights (convolutions and transposed convolutions). */
  readonly weightedLayers: number;
  /** Layer objects counted the Caffe way (reference §2.2), backbone part only. */
  readonly caffeLayers: number;
}

/** A network body. */
export interface Backbone {
  /** Channels and stride of the output feature map. */
  readonly output: FeatureSpec;
  /** Channels of the image input: 1 (intensity) plus the extra input channels it was built for. */
  readonly inputChannels: number;
  /** Input sizes must be multiples of this. */
  readonly maxStride: number;
  /** Counts without building. */
  counts(): BackboneCounts;
  /** Creates the variables on `engine`, initialised from `rng`. */
  build(engine: Engine, rng: Rng): BackboneNetwork;
  /**
   * Appends the network in inference mode to an ONNX graph whose inputs are
   * named `inputs.image` (`[batch, d, h, w, inputChannels]`) and `inputs.coord`; returns
   * the output value name (`[batch, d/stride, h/stride, w/stride, channels]`).
   */
  exportOnnx(
    network: BackboneNetwork,
    graph: OnnxGraphBuilder,
    inputs: { image: string; coord: string },
  ): string;
}

/** Defines a backbone plugin. */
export const defineBackbone = definer<"backbone", Backbone>("backbone");
