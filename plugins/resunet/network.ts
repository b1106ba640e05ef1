/**
 * Builds the ResNet-UNet on an engine: variables initialised the PyTorch way
 * from a seeded {@linkcode Rng}, the forward pass written with `engine.ops`
 * (so engines can fuse conv → BN → (+ residual) → ReLU), and weights saved
 * and loaded by stable names.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import {
  type BackboneApplyOptions,
  type BackboneNetwork,
  type BatchNormParams,
  type ConvParams,
  type Engine,
  type NamedWeights,
  type Rng,
  ShapeError,
} from "../../core/mod.ts";
import {
  type ConvUnit,
  COORD_CHANNELS,
  MAX_STRIDE,
  OUTPUT_STRIDE,
  type ResBlock,
  type ResUnetPlan,
} from "./architecture.ts";

/** Run-time settings that do not change the variables. */
export interface ResUnetRuntime {
  /** Running-statistics update weight (PyTorch momentum). */
  readonly bnMomentum: number;
  /** Added to the variance. */
  readonly bnEpsilon: number;
  /** Drop whole channels (Dropout3d) or single values. */
  readonly dropoutMode: "channel" | "element";
}

/** A conv unit's engine parameters. */
export interface UnitParams {
  /** The unit it realises. */
  readonly unit: ConvUnit;
  /** Convolution (or transposed convolution) parameters. */
  readonly conv: ConvParams;
  /** Its batch norm. */
  readonly bn: BatchNormParams;
}

/** A built ResNet-UNet: the backbone network plus its plan. */
export interface ResUnetNetwork extends BackboneNetwork {
  /** The plan the variables were made from. */
  readonly plan: ResUnetPlan;
}

/**
 * PyTorch's default init bound for a conv of this unit: `kaiming_uniform_(a=√5)`
 * gives U(±1/√fan_in) for the weight and the bias alike. PyTorch computes
 * fan_in from the weight's dimension 1 times the kernel volume: in·k³ for a
 * Conv3d (`[out, in, k, k, k]`), out·k³ for a ConvTranspose3d (`[in, out, k, k, k]`).
 */
export function initBound(unit: ConvUnit): number {
  const fanIn = (unit.kind === "conv" ? unit.inChannels : unit.outChannels) *
    unit.kernel ** 3;
  return 1 / Math.sqrt(fanIn);
}

/** The tfjs filter shape of a unit (`[k,k,k,in,out]`, or `[k,k,k,out,in]` for a deconv). */
export function filterShape(unit: ConvUnit): number[] {
  const k = unit.kernel;
  return unit.kind === "conv"
    ? [k, k, k, unit.inChannels, unit.outChannels]
    : [k, k, k, unit.outChannels, unit.inChannels];
}

/**
 * Creates the variables of `plan` on `engine`, drawing every initial value
 * from `rng` in unit order (filter, then bias), and returns the network.
 */
export function buildResUnet(
  engine: Engine,
  rng: Rng,
  plan: ResUnetPlan,
  runtime: ResUnetRuntime,
): ResUnetNetwork {
  const tf = engine.tf;
  const arch = plan.architecture;
  const named = new Map<string, tfTypes.Variable>();
  const trainable: tfTypes.Variable[] = [];
  const params = new Map<ConvUnit, UnitParams>();
  const variable = <R extends tfTypes.Rank>(
    name: string,
    shape: number[],
    data: Float32Array,
    isTrainable: boolean,
  ): tfTypes.Variable<R> => {
    const init = tf.tensor(data, shape, "float32");
    const v = tf.variable(init, isTrainable) as unknown as tfTypes.Variable<R>;
    init.dispose();
    named.set(name, v);
    if (isTrainable) trainable.push(v);
    return v;
  };
  const uniform = (size: number, bound: number): Float32Array => {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = rng.uniform(-bound, bound);
    return data;
  };
  const filled = (size: number, value: number) =>
    new Float32Array(size).fill(value);

  try {
    for (const unit of plan.units) {
      const shape = filterShape(unit);
      const size = shape.reduce((a, b) => a * b, 1);
      const bound = initBound(unit);
      const out = unit.outChannels;
      const filter = variable<tfTypes.Rank.R5>(
        `${unit.conv}.filter`,
        shape,
        uniform(size, bound),
        true,
      );
      const bias = arch.convBias
        ? variable<tfTypes.Rank.R1>(
          `${unit.conv}.bias`,
          [out],
          uniform(out, bound),
          true,
        )
        : null;
      const gamma = arch.bnAffine
        ? variable<tfTypes.Rank.R1>(
          `${unit.bn}.gamma`,
          [out],
          filled(out, 1),
          true,
        )
        : null;
      const beta = arch.bnAffine
        ? variable<tfTypes.Rank.R1>(
          `${unit.bn}.beta`,
          [out],
          filled(out, 0),
          true,
        )
        : null;
      const movingMean = variable<tfTypes.Rank.R1>(
        `${unit.bn}.movingMean`,
        [out],
        filled(out, 0),
        false,
      );
      const movingVariance = variable<tfTypes.Rank.R1>(
        `${unit.bn}.movingVariance`,
        [out],
        filled(out, 1),
        false,
      );
      params.set(unit, {
        unit,
        conv: unit.kind === "conv"
          ? { filter, bias, strides: 1, padding: "same" }
          : { filter, bias, strides: unit.kernel, padding: "valid" },
        bn: {
          gamma,
          beta,
          movingMean,
          movingVariance,
          momentum: runtime.bnMomentum,
          epsilon: runtime.bnEpsilon,
        },
      });
    }
  } catch (error) {
    for (const v of named.values()) v.dispose();
    throw error;
  }

  // Dropout masks: one seed per training call, derived from the build rng.
  let dropoutSeed = rng.int(2 ** 31);
  let disposed = false;
  const p = (unit: ConvUnit) => params.get(unit)!;

  const apply = (
    image: tfTypes.Tensor5D,
    coord: tfTypes.Tensor5D,
    training: boolean,
    options: BackboneApplyOptions = {},
  ): tfTypes.Tensor5D => {
    if (disposed) {
      throw new TypeError(
        "Cannot run resunet: the network was disposed, expected a live network",
      );
    }
    checkInputs(image, coord);
    const seed = dropoutSeed;
    if (training && arch.dropout > 0) dropoutSeed = (dropoutSeed + 1) % 2 ** 31;
    const ops = engine.ops;
    const unitOp = (
      x: tfTypes.Tensor5D,
      unit: ConvUnit,
      relu: boolean,
      residual?: tfTypes.Tensor5D,
    ) => {
      const { conv, bn } = p(unit);
      return ops.convBn(x, conv, bn, { training, relu, residual });
    };
    const block = (x: tfTypes.Tensor5D, b: ResBlock): tfTypes.Tensor5D =>
      tf.tidy(() => {
        const residual = b.shortcut ? unitOp(x, b.shortcut, false) : x;
        const h = unitOp(x, b.conv1, true);
        return unitOp(h, b.conv2, true, residual);
      });
    const blocks = (x: tfTypes.Tensor5D, list: readonly ResBlock[]) =>
      tf.tidy(() => list.reduce(block, x));
    const up = (x: tfTypes.Tensor5D, unit: ConvUnit): tfTypes.Tensor5D =>
      tf.tidy(() => {
        const { conv, bn } = p(unit);
        return ops.relu(
          ops.batchNorm(ops.conv3dTranspose(x, conv), bn, training),
        );
      });

    return tf.tidy(() => {
      let x = tf.tidy(() =>
        unitOp(
          // The only conv that sees the image: it alone can skip dx.
          ops.convBn(image, p(plan.pre[0]).conv, p(plan.pre[0]).bn, {
            training,
            relu: true,
            inputGradient: options.imageGradient ?? true,
          }),
          plan.pre[1],
          true,
        )
      );
      const skips: tfTypes.Tensor5D[] = [];
      for (const stage of plan.stages) {
        x = blocks(ops.maxPool3d(x, 2), stage);
        skips.push(x);
      }
      x = blocks(ops.concatChannels([up(x, plan.path1), skips[2]]), plan.back3);
      x = blocks(
        ops.concatChannels([up(x, plan.path2), skips[1], coord]),
        plan.back2,
      );
      if (arch.dropout > 0) {
        x = ops.dropout(x, arch.dropout, {
          training,
          channelwise: runtime.dropoutMode === "channel",
          seed,
        });
      }
      return x;
    });
  };

  const getWeights = (): NamedWeights => {
    const weights: NamedWeights = new Map();
    for (const [name, v] of named) {
      weights.set(name, {
        shape: [...v.shape],
        data: new Float32Array(v.dataSync() as Float32Array),
      });
    }
    return weights;
  };

  const setWeights = (weights: NamedWeights): void => {
    const missing = [...named.keys()].filter((name) => !weights.has(name));
    if (missing.length > 0) {
      throw new RangeError(
        `Cannot load resunet weights: ${missing.length} missing, expected every weight of the network (first: "${
          missing[0]
        }")`,
      );
    }
    const unknown = [...weights.keys()].filter((name) => !named.has(name));
    if (unknown.length > 0) {
      throw new RangeError(
        `Cannot load resunet weights: "${
          unknown[0]
        }" is not a weight of this network (${unknown.length} unknown), expected only names from getWeights()`,
      );
    }
    for (const [name, v] of named) {
      const w = weights.get(name)!;
      if (
        w.shape.length !== v.shape.length ||
        w.shape.some((n, i) => n !== v.shape[i])
      ) {
        throw new ShapeError(`resunet weight "${name}"`, v.shape, w.shape);
      }
      if (w.data.length !== v.size) {
        throw new RangeError(
          `Cannot load resunet weight "${name}": data has ${w.data.length} values, expected ${v.size}`,
        );
      }
    }
    for (const [name, v] of named) {
      const w = weights.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(w.data, v.shape, "float32")));
    }
  };

  return {
    plan,
    apply,
    trainable,
    getWeights,
    setWeights,
    reseed: (seed: number) => {
      dropoutSeed = (seed >>> 0) % 2 ** 31;
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const v of named.values()) v.dispose();
    },
  };

  function checkInputs(image: tfTypes.Tensor, coord: tfTypes.Tensor): void {
    const shape = image.shape;
    const channels = plan.architecture.inputChannels ?? 1;
    if (shape.length !== 5 || shape[4] !== channels) {
      throw new ShapeError(
        "resunet image",
        [null, null, null, null, channels],
        shape,
      );
    }
    const bad = [1, 2, 3].filter((axis) =>
      shape[axis] <= 0 || shape[axis] % MAX_STRIDE !== 0
    );
    if (bad.length > 0) {
      throw new ShapeError(
        `resunet image (d, h, w must be positive multiples of ${MAX_STRIDE})`,
        shape.map((n, axis) => bad.includes(axis) ? null : n),
        shape,
      );
    }
    const expected = [
      shape[0],
      shape[1] / OUTPUT_STRIDE,
      shape[2] / OUTPUT_STRIDE,
      shape[3] / OUTPUT_STRIDE,
      COORD_CHANNELS,
    ];
    if (
      coord.shape.length !== 5 || coord.shape.some((n, i) => n !== expected[i])
    ) {
      throw new ShapeError("resunet coord", expected, coord.shape);
    }
  }
}
