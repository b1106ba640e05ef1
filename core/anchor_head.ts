/**
 * The AnchorHead interface: owns the anchor set and stride; turns features
 * into per-anchor (logit, dz, dy, dx, log size); maps ground truth in a crop to
 * targets; decodes outputs to detections in crop voxels. NMS lives beside it.
 *
 * Output layout everywhere: channels-last `[batch, gz, gy, gx, anchors · 5]`
 * with channel `c = anchor · 5 + field` and fields `[logit, dz, dy, dx, dd]`.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type { FeatureSpec, Network } from "./backbone.ts";
import type { Engine } from "./engine/engine.ts";
import type { OnnxGraphBuilder } from "./onnx/graph.ts";
import { definer } from "./plugin.ts";
import type { Rng } from "./random.ts";
import type { Cube, Zyx } from "./volume.ts";

/** Values per anchor: logit, dz, dy, dx, dd. */
export const VALUES_PER_ANCHOR = 5;

/** The ground truth of one crop, in voxels of the (1 mm) crop. */
export interface CropLabels {
  /** Crop size (z, y, x) in voxels; multiples of the stride. */
  readonly cropShape: Zyx;
  /** The nodule the crop was centred on, or null for a random crop. */
  readonly target: Cube | null;
  /** Every nodule overlapping the crop, the target included. */
  readonly nodules: readonly Cube[];
  /**
   * A hard-negative crop's false positive (what the previous stage's model
   * marked there): heads keep the entries that overlap it among the
   * negatives they sample, so the mined example reaches the miner.
   */
  readonly focus?: Cube | null;
}

/** A decoded box with its logit. */
export interface ScoredCube extends Cube {
  /** The classifier logit (higher = more likely a nodule). */
  readonly score: number;
}

/**
 * The head network: `apply(features, training)` maps
 * `[batch, gz, gy, gx, channels]` features to `[batch, gz, gy, gx, anchors · 5]`.
 */
export type HeadNetwork = Network<
  [features: tfTypes.Tensor5D, training: boolean]
>;

/** An anchor head. */
export interface AnchorHead {
  /** Anchor cube edges in voxels of the working grid (1 mm). */
  readonly anchors: readonly number[];
  /** Feature stride: grid cell i is centred at `(stride − 1)/2 + stride·i`. */
  readonly stride: number;
  /** Number of parameters of the head's layers for `input` features. */
  countParameters(input: FeatureSpec): number;
  /** Creates the head's layers on `engine` for features of `input`. */
  build(engine: Engine, input: FeatureSpec, rng: Rng): HeadNetwork;
  /** Appends the head (inference mode) to an ONNX graph; returns the output value name. */
  exportOnnx(
    network: HeadNetwork,
    graph: OnnxGraphBuilder,
    features: string,
  ): string;
  /**
   * Training/validation targets for one crop, `[gz, gy, gx, anchors, 5]`
   * float32 flattened: field 0 is the class (1 positive, −1 negative, 0
   * ignore), fields 1–4 the regression targets of positives.
   *
   * @param training training mode samples negatives and the positive with `rng`
   */
  targets(labels: CropLabels, training: boolean, rng: Rng): Float32Array;
  /**
   * Decodes one sample's output (`[gz, gy, gx, anchors · 5]` flattened) to
   * boxes in voxels of the input grid, keeping logits above `minLogit`.
   */
  decode(output: Float32Array, grid: Zyx, minLogit: number): ScoredCube[];
  /** Greedy NMS: drops boxes whose cube IoU with a kept, higher-scoring box is ≥ `iouThreshold`. */
  nms(boxes: readonly ScoredCube[], iouThreshold: number): ScoredCube[];
}

/** Defines an anchor-head plugin. */
export const defineAnchorHead = definer<"anchor_head", AnchorHead>(
  "anchor_head",
);
