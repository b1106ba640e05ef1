/**
 * ONNX export of the ResNet-UNet in inference mode. Batch norm is folded into
 * the preceding conv's weights and bias (running statistics), so the graph is
 * Conv / ConvTranspose / Add / Relu / MaxPool / Concat only; dropout is the
 * identity at inference and is left out. The graph works in NCDHW: the
 * channels-last inputs are transposed once at the start and the features
 * back once at the end.
 *
 * @module
 */

import {
  type NamedWeights,
  type OnnxGraphBuilder,
  ShapeError,
} from "../../core/mod.ts";
import type { ConvUnit, ResBlock, ResUnetPlan } from "./architecture.ts";
import { filterShape } from "./network.ts";

/** Folded conv weights in ONNX layout. */
export interface FoldedUnit {
  /** `[out, in, k, k, k]` for Conv, `[in, out, k, k, k]` for ConvTranspose. */
  readonly weight: Float32Array;
  /** Its ONNX shape. */
  readonly shape: number[];
  /** `[out]`: bias with the batch norm folded in. */
  readonly bias: Float32Array;
}

/**
 * Folds a unit's inference-mode batch norm into its conv:
 * `s = γ/√(var + ε)`, `W' = W·s` (per output channel), `b' = (b − mean)·s + β`,
 * and converts the tfjs filter (`[k,k,k,in,out]`, deconv `[k,k,k,out,in]`)
 * to the ONNX layout.
 */
export function foldUnit(
  unit: ConvUnit,
  weights: NamedWeights,
  epsilon: number,
): FoldedUnit {
  const get = (name: string) => weights.get(name)?.data;
  const filter = get(`${unit.conv}.filter`);
  const mean = get(`${unit.bn}.movingMean`);
  const variance = get(`${unit.bn}.movingVariance`);
  if (!filter || !mean || !variance) {
    throw new RangeError(
      `Cannot export resunet unit "${unit.conv}": its weights are missing, expected a network built by the resunet plugin`,
    );
  }
  const bias = get(`${unit.conv}.bias`);
  const gamma = get(`${unit.bn}.gamma`);
  const beta = get(`${unit.bn}.beta`);
  const out = unit.outChannels;
  const cin = unit.inChannels;
  const taps = unit.kernel ** 3;
  const expected = filterShape(unit);
  const actual = weights.get(`${unit.conv}.filter`)!.shape;
  if (
    filter.length !== taps * cin * out ||
    actual.some((n, i) => n !== expected[i])
  ) {
    throw new ShapeError(
      `resunet weight "${unit.conv}.filter"`,
      expected,
      actual,
    );
  }
  for (
    const [name, data] of [["movingMean", mean], ["movingVariance", variance], [
      "gamma",
      gamma,
    ], ["beta", beta]] as const
  ) {
    if (data && data.length !== out) {
      throw new ShapeError(`resunet weight "${unit.bn}.${name}"`, [out], [
        data.length,
      ]);
    }
  }
  if (bias && bias.length !== out) {
    throw new ShapeError(`resunet weight "${unit.conv}.bias"`, [out], [
      bias.length,
    ]);
  }
  const scale = new Float32Array(out);
  const folded = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const s = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + epsilon);
    scale[o] = s;
    folded[o] = ((bias ? bias[o] : 0) - mean[o]) * s + (beta ? beta[o] : 0);
  }
  const weight = new Float32Array(filter.length);
  if (unit.kind === "conv") {
    // tfjs [t, in, out] → ONNX [out, in, t]
    for (let t = 0; t < taps; t++) {
      for (let i = 0; i < cin; i++) {
        const src = (t * cin + i) * out;
        for (let o = 0; o < out; o++) {
          weight[(o * cin + i) * taps + t] = filter[src + o] * scale[o];
        }
      }
    }
  } else {
    // tfjs [t, out, in] → ONNX [in, out, t]
    for (let t = 0; t < taps; t++) {
      for (let o = 0; o < out; o++) {
        const src = (t * out + o) * cin;
        for (let i = 0; i < cin; i++) {
          weight[(i * out + o) * taps + t] = filter[src + i] * scale[o];
        }
      }
    }
  }
  const k = unit.kernel;
  const shape = unit.kind === "conv"
    ? [out, cin, k, k, k]
    : [cin, out, k, k, k];
  return { weight, shape, bias: folded };
}

/**
 * Appends the network (inference mode) to `graph`; returns the name of the
 * channels-last feature output `[batch, d/4, h/4, w/4, channels]`.
 *
 * @param inputs value names of the channels-last image and coord inputs
 */
export function exportResUnet(
  plan: ResUnetPlan,
  weights: NamedWeights,
  epsilon: number,
  graph: OnnxGraphBuilder,
  inputs: { image: string; coord: string },
): string {
  const toNcdhw = { perm: [0, 4, 1, 2, 3] };
  const unitNode = (
    x: string,
    unit: ConvUnit,
    relu: boolean,
    residual?: string,
  ): string => {
    const f = foldUnit(unit, weights, epsilon);
    const w = graph.initializer(`${unit.conv}.weight`, f.shape, f.weight);
    const b = graph.initializer(
      `${unit.conv}.bias`,
      [unit.outChannels],
      f.bias,
    );
    const k = unit.kernel;
    let y = unit.kind === "conv"
      ? graph.node("Conv", [x, w, b], {
        kernel_shape: [k, k, k],
        pads: Array(6).fill((k - 1) / 2),
        strides: [1, 1, 1],
      })[0]
      : graph.node("ConvTranspose", [x, w, b], {
        kernel_shape: [k, k, k],
        strides: [k, k, k],
      })[0];
    if (residual !== undefined) y = graph.node("Add", [y, residual])[0];
    return relu ? graph.node("Relu", [y])[0] : y;
  };
  const block = (x: string, b: ResBlock): string => {
    const residual = b.shortcut ? unitNode(x, b.shortcut, false) : x;
    return unitNode(unitNode(x, b.conv1, true), b.conv2, true, residual);
  };
  const pool = (x: string) =>
    graph.node("MaxPool", [x], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] })[
      0
    ];

  const image = graph.node("Transpose", [inputs.image], toNcdhw)[0];
  const coord = graph.node("Transpose", [inputs.coord], toNcdhw)[0];
  let x = unitNode(unitNode(image, plan.pre[0], true), plan.pre[1], true);
  const skips: string[] = [];
  for (const stage of plan.stages) {
    x = stage.reduce(block, pool(x));
    skips.push(x);
  }
  x = plan.back3.reduce(
    block,
    graph.node("Concat", [unitNode(x, plan.path1, true), skips[2]], {
      axis: 1,
    })[0],
  );
  x = plan.back2.reduce(
    block,
    graph.node("Concat", [unitNode(x, plan.path2, true), skips[1], coord], {
      axis: 1,
    })[0],
  );
  return graph.node("Transpose", [x], { perm: [0, 2, 3, 4, 1] })[0];
}
