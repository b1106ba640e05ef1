/**
 * The reference RPN head (reference-detector.md §2.1 head row, §3): a 1³
 * convolution to `hidden` channels, ReLU, and a 1³ convolution to
 * `anchors · 5` channels, with the label mapping, decoding and NMS of §3.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import {
  type AnchorHead,
  type ConvParams,
  type CropLabels,
  type Engine,
  type FeatureSpec,
  type HeadNetwork,
  type NamedWeights,
  type OnnxGraphBuilder,
  type Rng,
  type ScoredCube,
  ShapeError,
  VALUES_PER_ANCHOR,
  type Zyx,
} from "../../core/mod.ts";
import { decodeBoxes, nmsCubes } from "./decode.ts";
import { mapLabels } from "./targets.ts";

/** Resolved settings of the head (the plugin's options, camel-cased). */
export interface Rpn3dSettings {
  /** Anchor cube edges in voxels (1 mm). */
  readonly anchors: readonly number[];
  /** Feature stride the head expects. */
  readonly stride: number;
  /** Channels of the hidden 1³ convolution. */
  readonly hiddenChannels: number;
  /** IoU(target) for a positive in training. */
  readonly thPos: number;
  /** IoU(target) for a positive in validation. */
  readonly thPosValidation: number;
  /** IoU(any nodule) at or above which an entry is ignored. */
  readonly thNeg: number;
  /** Candidate negatives kept per training crop. */
  readonly numNeg: number;
  /** Training: radius of the cells a small nodule's positive is drawn from (0: nearest). */
  readonly fallbackRadius?: number;
  /** Training: every entry of the positive's pool is a positive (default: one drawn). */
  readonly allPositives?: boolean;
  /** NMS threshold used when `nms` is called without one. */
  readonly nmsIou: number;
  /** Decoding threshold used when `decode` is called without one. */
  readonly minLogit: number;
  /**
   * Negative slope of the hidden activation: 0 (the default) is the
   * reference ReLU, a positive value a leaky ReLU.
   */
  readonly hiddenSlope?: number;
  /**
   * Initial foreground probability π of every anchor: the logit biases start
   * at −ln((1 − π)/π). Absent: PyTorch's default initialisation.
   */
  readonly prior?: number | null;
}

/** The head as built here: the AnchorHead interface with optional thresholds. */
export interface Rpn3dHead extends AnchorHead {
  /** The settings the head was created with. */
  readonly settings: Rpn3dSettings;
  /** Decodes one sample's output; `minLogit` defaults to the `min_logit` option. */
  decode(output: Float32Array, grid: Zyx, minLogit?: number): ScoredCube[];
  /** Greedy cube NMS; `iouThreshold` defaults to the `nms_iou` option. */
  nms(boxes: readonly ScoredCube[], iouThreshold?: number): ScoredCube[];
}

/** Names of the head's weights (tfjs layout: filters `[1, 1, 1, in, out]`). */
export const HEAD_WEIGHT_NAMES = [
  "head.hidden.filter",
  "head.hidden.bias",
  "head.output.filter",
  "head.output.bias",
] as const;

/** Checks that the features match what the head was configured for. */
function checkFeatureSpec(settings: Rpn3dSettings, input: FeatureSpec): void {
  if (input.stride !== settings.stride) {
    throw new RangeError(
      `Cannot build anchor head "rpn3d": the feature stride is ${input.stride}, expected ${settings.stride} (option "stride")`,
    );
  }
  if (!(Number.isInteger(input.channels) && input.channels > 0)) {
    throw new RangeError(
      `Cannot build anchor head "rpn3d": the feature channels are ${input.channels}, expected a positive integer`,
    );
  }
}

/**
 * Parameters of the head for `input` features: two 1³ convolutions with
 * biases, `in·h + h + h·5A + 5A` (128 channels, h 64, 3 anchors: 9,231).
 */
export function countHeadParameters(
  settings: Rpn3dSettings,
  input: FeatureSpec,
): number {
  checkFeatureSpec(settings, input);
  const h = settings.hiddenChannels;
  const out = settings.anchors.length * VALUES_PER_ANCHOR;
  return input.channels * h + h + h * out + out;
}

/**
 * PyTorch's default initialisation of a convolution (`kaiming_uniform_` with
 * a = √5 for the weight, and the bias): both uniform in ±1/√fan_in.
 */
function pytorchDefault(
  length: number,
  fanIn: number,
  rng: Rng,
): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = rng.uniform(-bound, bound);
  return data;
}

/** The logit bias that makes σ(bias) = `prior`. */
export function priorBias(prior: number): number {
  return -Math.log((1 - prior) / prior);
}

/**
 * Builds the head network on `engine`: conv 1³ `input.channels → hidden`,
 * ReLU (leaky with `hiddenSlope` > 0), conv 1³ `hidden → anchors · 5`.
 */
export function buildHeadNetwork(
  settings: Rpn3dSettings,
  engine: Engine,
  input: FeatureSpec,
  rng: Rng,
): HeadNetwork {
  checkFeatureSpec(settings, input);
  const tf = engine.tf;
  const inChannels = input.channels;
  const hidden = settings.hiddenChannels;
  const outChannels = settings.anchors.length * VALUES_PER_ANCHOR;
  const shapes: Record<string, number[]> = {
    "head.hidden.filter": [1, 1, 1, inChannels, hidden],
    "head.hidden.bias": [hidden],
    "head.output.filter": [1, 1, 1, hidden, outChannels],
    "head.output.bias": [outChannels],
  };
  const fanIns: Record<string, number> = {
    "head.hidden.filter": inChannels,
    "head.hidden.bias": inChannels,
    "head.output.filter": hidden,
    "head.output.bias": hidden,
  };
  const variables = new Map<string, tfTypes.Variable>();
  for (const name of HEAD_WEIGHT_NAMES) {
    const shape = shapes[name];
    const size = shape.reduce((p, n) => p * n, 1);
    const data = pytorchDefault(size, fanIns[name], rng);
    if (name === "head.output.bias" && settings.prior != null) {
      // Channel a·5 + 0 is anchor a's logit; the regression biases keep
      // their draws.
      const bias = priorBias(settings.prior);
      for (let c = 0; c < size; c += VALUES_PER_ANCHOR) data[c] = bias;
    }
    const initial = tf.tensor(data, shape);
    variables.set(name, tf.variable(initial, true));
    initial.dispose();
  }
  const hiddenConv: ConvParams = {
    filter: variables.get("head.hidden.filter") as tfTypes.Variable<
      tfTypes.Rank.R5
    >,
    bias: variables.get("head.hidden.bias") as tfTypes.Variable<
      tfTypes.Rank.R1
    >,
    strides: 1,
    padding: "same",
  };
  const slope = settings.hiddenSlope ?? 0;
  const outputConv: ConvParams = {
    filter: variables.get("head.output.filter") as tfTypes.Variable<
      tfTypes.Rank.R5
    >,
    bias: variables.get("head.output.bias") as tfTypes.Variable<
      tfTypes.Rank.R1
    >,
    strides: 1,
    padding: "same",
  };
  return {
    apply(features: tfTypes.Tensor5D, _training: boolean): tfTypes.Tensor5D {
      if (features.rank !== 5 || features.shape[4] !== inChannels) {
        throw new ShapeError(
          "head features",
          [null, null, null, null, inChannels],
          features.shape,
        );
      }
      return tf.tidy(() => {
        const pre = engine.ops.conv3d(features, hiddenConv);
        const hidden = slope > 0
          ? tf.leakyRelu(pre, slope) as tfTypes.Tensor5D
          : engine.ops.relu(pre);
        return engine.ops.conv3d(hidden, outputConv);
      });
    },
    trainable: [...variables.values()],
    getWeights(): NamedWeights {
      const weights: NamedWeights = new Map();
      for (const [name, variable] of variables) {
        // dataSync may return the backend's own buffer: copy it.
        const data = (variable.dataSync() as Float32Array).slice();
        weights.set(name, { shape: [...variable.shape], data });
      }
      return weights;
    },
    setWeights(weights: NamedWeights): void {
      // Check everything first so a bad map changes nothing.
      for (const name of HEAD_WEIGHT_NAMES) {
        const weight = weights.get(name);
        if (!weight) {
          throw new RangeError(
            `Cannot load anchor head weights: "${name}" is missing, expected ${
              HEAD_WEIGHT_NAMES.map((n) => `"${n}"`).join(", ")
            }`,
          );
        }
        const shape = shapes[name];
        const size = shape.reduce((p, n) => p * n, 1);
        if (
          weight.shape.length !== shape.length ||
          weight.shape.some((n, i) => n !== shape[i]) ||
          weight.data.length !== size
        ) {
          throw new ShapeError(
            `anchor head weight "${name}"`,
            shape,
            weight.shape.length === shape.length
              ? [...weight.shape]
              : [weight.data.length],
          );
        }
      }
      for (const name of HEAD_WEIGHT_NAMES) {
        const weight = weights.get(name)!;
        const value = tf.tensor(weight.data, shapes[name]);
        variables.get(name)!.assign(value);
        value.dispose();
      }
    },
    dispose(): void {
      for (const variable of variables.values()) variable.dispose();
    },
  };
}

/** Reorders a tfjs 1³ filter `[1, 1, 1, in, out]` to ONNX's `[out, in, 1, 1, 1]`. */
function onnxFilter(data: Float32Array, inC: number, outC: number) {
  const out = new Float32Array(inC * outC);
  for (let i = 0; i < inC; i++) {
    for (let o = 0; o < outC; o++) out[o * inC + i] = data[i * outC + o];
  }
  return out;
}

/**
 * Appends the head to an ONNX graph: Transpose (NDHWC → NCDHW), Conv 1³,
 * Relu (LeakyRelu with `slope` > 0), Conv 1³, Transpose back; returns the
 * channels-last output name.
 */
export function exportHeadOnnx(
  network: HeadNetwork,
  graph: OnnxGraphBuilder,
  features: string,
  slope = 0,
): string {
  const weights = network.getWeights();
  for (const name of HEAD_WEIGHT_NAMES) {
    if (!weights.has(name)) {
      throw new RangeError(
        `Cannot export anchor head "rpn3d": the network has no weight "${name}", expected a network built by this head`,
      );
    }
  }
  const conv = (input: string, prefix: "head.hidden" | "head.output") => {
    const filter = weights.get(`${prefix}.filter`)!;
    const bias = weights.get(`${prefix}.bias`)!;
    const [, , , inC, outC] = filter.shape;
    const w = graph.initializer(
      `${prefix}.weight`,
      [outC, inC, 1, 1, 1],
      onnxFilter(filter.data, inC, outC),
    );
    const b = graph.initializer(`${prefix}.bias`, [outC], bias.data);
    return graph.node("Conv", [input, w, b], {
      kernel_shape: [1, 1, 1],
      strides: [1, 1, 1],
      pads: [0, 0, 0, 0, 0, 0],
    })[0];
  };
  const [channelsFirst] = graph.node("Transpose", [features], {
    perm: [0, 4, 1, 2, 3],
  });
  const pre = conv(channelsFirst, "head.hidden");
  const [hidden] = slope > 0
    ? graph.node("LeakyRelu", [pre], { alpha: slope })
    : graph.node("Relu", [pre]);
  const output = conv(hidden, "head.output");
  return graph.node("Transpose", [output], { perm: [0, 2, 3, 4, 1] })[0];
}

/**
 * Creates the reference anchor head from its settings.
 *
 * @example
 * ```ts
 * import { createRpn3dHead } from "./head.ts";
 * const head = createRpn3dHead({ anchors: [10, 30, 60], stride: 4, hiddenChannels: 64, thPos: 0.5,
 *   thPosValidation: 1, thNeg: 0.02, numNeg: 800, nmsIou: 0.05, minLogit: -3 });
 * head.countParameters({ channels: 128, stride: 4 }); // 9231
 * ```
 */
export function createRpn3dHead(settings: Rpn3dSettings): Rpn3dHead {
  const anchors = [...settings.anchors];
  return {
    settings,
    anchors,
    stride: settings.stride,
    countParameters: (input) => countHeadParameters(settings, input),
    build: (engine, input, rng) =>
      buildHeadNetwork(settings, engine, input, rng),
    exportOnnx: (network, graph, features) =>
      exportHeadOnnx(network, graph, features, settings.hiddenSlope ?? 0),
    targets: (labels: CropLabels, training: boolean, rng: Rng) =>
      mapLabels(labels, settings, training, rng),
    decode: (output, grid, minLogit = settings.minLogit) =>
      decodeBoxes(output, grid, anchors, settings.stride, minLogit),
    nms: (boxes, iouThreshold = settings.nmsIou) =>
      nmsCubes(boxes, iouThreshold),
  };
}
