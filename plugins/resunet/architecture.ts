/**
 * The ResNet-UNet's shape as data: presets, option overrides, the list of
 * conv + batch-norm units in build order, and the counts (parameters,
 * weighted layers, Caffe layer objects, multiply-adds) derived from that
 * list. Building, counting and exporting all walk the same list, so the
 * published counts cannot drift from the variables that exist.
 *
 * Topology: reference-detector.md §2.1 (lfz/DSB2017 `training/detector/res18.py`,
 * the 150-"layer" Caffe variant of §2.2 has the same topology).
 *
 * @module
 */

/** Preset names. */
export const PRESET_NAMES = ["resunet150", "small"] as const;

/** One of {@linkcode PRESET_NAMES}. */
export type PresetName = typeof PRESET_NAMES[number];

/** The widths and depths of a ResNet-UNet. */
export interface ResUnetShape {
  /** Width of the two preBlock convs (24 in the reference). */
  readonly preChannels: number;
  /** Output width of forw1..forw4 (32, 64, 64, 64). */
  readonly stageChannels: readonly [number, number, number, number];
  /** Residual blocks in forw1..forw4 (2, 2, 3, 3). */
  readonly stageBlocks: readonly [number, number, number, number];
  /** Output width of back3 and back2 (64, 128); back2's is the feature width. */
  readonly backChannels: readonly [number, number];
  /** Residual blocks in back3 and back2 (3, 3). */
  readonly backBlocks: readonly [number, number];
}

/** The presets: `resunet150` is the reference, `small` halves every width. */
export const PRESETS: Readonly<Record<PresetName, ResUnetShape>> = {
  resunet150: {
    preChannels: 24,
    stageChannels: [32, 64, 64, 64],
    stageBlocks: [2, 2, 3, 3],
    backChannels: [64, 128],
    backBlocks: [3, 3],
  },
  small: {
    preChannels: 12,
    stageChannels: [16, 32, 32, 32],
    stageBlocks: [2, 2, 3, 3],
    backChannels: [32, 64],
    backBlocks: [3, 3],
  },
};

/** Channels of the coordinate grid concatenated at back2. */
export const COORD_CHANNELS = 3;
/** Output stride of the feature map. */
export const OUTPUT_STRIDE = 4;
/** Input sizes must be multiples of this (four 2× poolings). */
export const MAX_STRIDE = 16;

/** Everything that fixes the network's variables. */
export interface ResUnetArchitecture extends ResUnetShape {
  /** Batch norm with learnable scale and shift (PyTorch `affine=True`). */
  readonly bnAffine: boolean;
  /** Convolutions carry a bias (PyTorch default). */
  readonly convBias: boolean;
  /** Dropout rate on the back2 output in training (0 = none). */
  readonly dropout: number;
  /** Channels of the image input (1: intensity; more with extra input channels). Default 1. */
  readonly inputChannels?: number;
}

/** One convolution (or transposed convolution) followed by its batch norm. */
export interface ConvUnit {
  /** Weight-name prefix of the conv, e.g. `forw2.0.conv1`. */
  readonly conv: string;
  /** Weight-name prefix of its batch norm, e.g. `forw2.0.bn1`. */
  readonly bn: string;
  /** `conv`: 3³ or 1³ "same" convolution; `deconv`: 2³ stride-2 transposed convolution. */
  readonly kind: "conv" | "deconv";
  /** Kernel edge (3, 1 or 2). */
  readonly kernel: number;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Output resolution level: the output grid is the input grid / 2^level. */
  readonly level: number;
}

/** A PostRes block: conv1 → BN → ReLU → conv2 → BN, + shortcut, ReLU. */
export interface ResBlock {
  /** Name prefix, e.g. `forw2.0`. */
  readonly name: string;
  /** 3³ conv in → out. */
  readonly conv1: ConvUnit;
  /** 3³ conv out → out. */
  readonly conv2: ConvUnit;
  /** 1³ conv in → out when the widths differ, else null (identity). */
  readonly shortcut: ConvUnit | null;
}

/** The network as a list of parts in forward order. */
export interface ResUnetPlan {
  /** The architecture the plan was made from. */
  readonly architecture: ResUnetArchitecture;
  /** preBlock's two conv units. */
  readonly pre: readonly [ConvUnit, ConvUnit];
  /** forw1..forw4 residual blocks. */
  readonly stages: readonly (readonly ResBlock[])[];
  /** path1 transposed conv (forw4 → level 3). */
  readonly path1: ConvUnit;
  /** back3 residual blocks. */
  readonly back3: readonly ResBlock[];
  /** path2 transposed conv (back3 → level 2). */
  readonly path2: ConvUnit;
  /** back2 residual blocks. */
  readonly back2: readonly ResBlock[];
  /** Every conv unit in forward order (the order weights are initialised in). */
  readonly units: readonly ConvUnit[];
}

/** Makes the plan (unit list) of an architecture. */
export function planResUnet(architecture: ResUnetArchitecture): ResUnetPlan {
  const units: ConvUnit[] = [];
  const unit = (
    conv: string,
    bn: string,
    kind: ConvUnit["kind"],
    kernel: number,
    inChannels: number,
    outChannels: number,
    level: number,
  ): ConvUnit => {
    const made = { conv, bn, kind, kernel, inChannels, outChannels, level };
    units.push(made);
    return made;
  };
  const block = (
    name: string,
    inChannels: number,
    outChannels: number,
    level: number,
  ): ResBlock => ({
    name,
    conv1: unit(
      `${name}.conv1`,
      `${name}.bn1`,
      "conv",
      3,
      inChannels,
      outChannels,
      level,
    ),
    conv2: unit(
      `${name}.conv2`,
      `${name}.bn2`,
      "conv",
      3,
      outChannels,
      outChannels,
      level,
    ),
    shortcut: inChannels === outChannels ? null : unit(
      `${name}.shortcut.conv`,
      `${name}.shortcut.bn`,
      "conv",
      1,
      inChannels,
      outChannels,
      level,
    ),
  });
  const blocks = (
    name: string,
    count: number,
    inChannels: number,
    outChannels: number,
    level: number,
  ): ResBlock[] =>
    Array.from(
      { length: count },
      (_, i) =>
        block(
          `${name}.${i}`,
          i === 0 ? inChannels : outChannels,
          outChannels,
          level,
        ),
    );

  const a = architecture;
  const pre: [ConvUnit, ConvUnit] = [
    unit(
      "preBlock.conv1",
      "preBlock.bn1",
      "conv",
      3,
      a.inputChannels ?? 1,
      a.preChannels,
      0,
    ),
    unit(
      "preBlock.conv2",
      "preBlock.bn2",
      "conv",
      3,
      a.preChannels,
      a.preChannels,
      0,
    ),
  ];
  const stages: ResBlock[][] = [];
  let width = a.preChannels;
  for (let s = 0; s < 4; s++) {
    stages.push(
      blocks(
        `forw${s + 1}`,
        a.stageBlocks[s],
        width,
        a.stageChannels[s],
        s + 1,
      ),
    );
    width = a.stageChannels[s];
  }
  const deep = a.stageChannels[3];
  const path1 = unit("path1.conv", "path1.bn", "deconv", 2, deep, deep, 3);
  const back3 = blocks(
    "back3",
    a.backBlocks[0],
    deep + a.stageChannels[2],
    a.backChannels[0],
    3,
  );
  const mid = a.backChannels[0];
  const path2 = unit("path2.conv", "path2.bn", "deconv", 2, mid, mid, 2);
  const back2 = blocks(
    "back2",
    a.backBlocks[1],
    mid + a.stageChannels[1] + COORD_CHANNELS,
    a.backChannels[1],
    2,
  );
  return { architecture, pre, stages, path1, back3, path2, back2, units };
}

/** Parameter count of one unit's conv (filter + bias) and batch norm (γ, β). */
export function unitParameters(
  unit: ConvUnit,
  architecture: Pick<ResUnetArchitecture, "bnAffine" | "convBias">,
): number {
  const filter = unit.kernel ** 3 * unit.inChannels * unit.outChannels;
  const bias = architecture.convBias ? unit.outChannels : 0;
  const bn = architecture.bnAffine ? 2 * unit.outChannels : 0;
  return filter + bias + bn;
}

/** Counts of a plan; see the plugin README for what each counts. */
export interface PlanCounts {
  /** Trainable parameters (convs, biases, BN γ/β; running statistics excluded). */
  readonly parameters: number;
  /** Convolutions and transposed convolutions. */
  readonly weightedLayers: number;
  /** Caffe layer objects of the backbone part (reference §2.2). */
  readonly caffeLayers: number;
  /** The Caffe objects by type, summing to `caffeLayers`. */
  readonly caffeByType: Readonly<Record<string, number>>;
}

/**
 * Counts parameters and layers. Caffe objects (reference §2.2, Y's
 * `generate_prototxt.py`): one Convolution per 3³/1³ conv, one BatchNorm per
 * conv and deconv, ReLUs (2 in preBlock, 2 per block, 1 per up path), one
 * Eltwise per block, 4 Pooling, 2 Deconvolution, 3 Concat (back3's, and
 * back2's two-step concat: up path + skip, then + coord), 1 Dropout when the
 * rate is above 0.
 */
export function countPlan(plan: ResUnetPlan): PlanCounts {
  const a = plan.architecture;
  const parameters = plan.units.reduce(
    (sum, unit) => sum + unitParameters(unit, a),
    0,
  );
  const convs = plan.units.filter((u) => u.kind === "conv").length;
  const deconvs = plan.units.length - convs;
  const blocks = plan.stages.reduce((n, s) => n + s.length, 0) +
    plan.back3.length + plan.back2.length;
  const caffeByType = {
    Convolution: convs,
    BatchNorm: plan.units.length,
    ReLU: 2 + 2 * blocks + 2,
    Eltwise: blocks,
    Pooling: 4,
    Deconvolution: deconvs,
    Concat: 3,
    Dropout: a.dropout > 0 ? 1 : 0,
  };
  const caffeLayers = Object.values(caffeByType).reduce((s, n) => s + n, 0);
  return {
    parameters,
    weightedLayers: plan.units.length,
    caffeLayers,
    caffeByType,
  };
}

/**
 * Multiply-adds of one forward pass for a `[1, d, h, w, input channels]` input: k³·in·out
 * per output voxel for a conv, in·out per output voxel for the 2³ stride-2
 * transposed conv (each output voxel sees one tap). Batch norm, ReLU, pooling
 * and adds are not counted.
 *
 * @param size input sizes `[d, h, w]`, multiples of {@linkcode MAX_STRIDE}
 */
export function planMultiplyAdds(
  plan: ResUnetPlan,
  size: readonly [number, number, number],
): number {
  let total = 0;
  for (const unit of plan.units) {
    const f = 2 ** unit.level;
    const voxels = (size[0] / f) * (size[1] / f) * (size[2] / f);
    const taps = unit.kind === "conv" ? unit.kernel ** 3 : 1;
    total += taps * unit.inChannels * unit.outChannels * voxels;
  }
  return total;
}
