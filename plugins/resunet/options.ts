/**
 * The `resunet` plugin's options and their resolution into an architecture.
 *
 * @module
 */

import { z } from "zod";
import {
  PRESET_NAMES,
  PRESETS,
  type ResUnetArchitecture,
} from "./architecture.ts";

const width = z.int().min(1).max(4096);
const depth = z.int().min(1).max(64);

/** Options of the `resunet` backbone (snake_case, as in experiment YAML). */
export const resunetOptions = z.object({
  preset: z.enum(PRESET_NAMES).default("resunet150").describe(
    "Widths and depths: resunet150 = the reference (preBlock 24, stages 32/64/64/64 with 2/2/3/3 blocks, back3 3×64, back2 3×128); small = every width halved (12, 16/32/32/32, 32, 64)",
  ),
  pre_channels: width.nullable().default(null).describe(
    "Overrides the preset's preBlock width (null keeps it)",
  ),
  stage_channels: z.array(width).length(4).nullable().default(null).describe(
    "Overrides the output widths of forw1..forw4 (null keeps the preset's)",
  ),
  stage_blocks: z.array(depth).length(4).nullable().default(null).describe(
    "Overrides the residual-block counts of forw1..forw4 (null keeps the preset's)",
  ),
  back_channels: z.array(width).length(2).nullable().default(null).describe(
    "Overrides the output widths of back3 and back2; back2's is the feature width (null keeps the preset's)",
  ),
  back_blocks: z.array(depth).length(2).nullable().default(null).describe(
    "Overrides the residual-block counts of back3 and back2 (null keeps the preset's)",
  ),
  dropout: z.number().min(0).lt(1).default(0.5).describe(
    "Dropout rate on the back2 output in training (res18.py: 0.5; 0 disables)",
  ),
  dropout_mode: z.enum(["channel", "element"]).default("channel").describe(
    "channel: drop whole channels per sample (PyTorch Dropout3d, as in res18.py); element: drop single values (Caffe Dropout, variant Y)",
  ),
  bn_affine: z.boolean().default(true).describe(
    "Batch norm with learnable scale and shift (PyTorch); false = Caffe BatchNorm without Scale (variant Y)",
  ),
  bn_momentum: z.number().gt(0).max(1).default(0.1).describe(
    "Running-statistics update weight of the current batch (PyTorch 0.1; Caffe's 0.9 moving-average fraction = 0.1)",
  ),
  bn_epsilon: z.number().gt(0).default(1e-5).describe(
    "Added to the variance in batch norm (PyTorch 1e-5)",
  ),
  input_channels: z.int().min(1).max(8).default(1).describe(
    "Channels of the image input: 1 = intensity (the reference); 2 with the experiment's data.blob_channel",
  ),
  conv_bias: z.boolean().default(true).describe(
    "Convolutions carry a bias (PyTorch default)",
  ),
});

/** Resolved `resunet` options. */
export type ResUnetOptions = z.output<typeof resunetOptions>;

/** The architecture fixed by resolved options: preset, then overrides. */
export function architectureFromOptions(
  options: ResUnetOptions,
): ResUnetArchitecture {
  const preset = PRESETS[options.preset];
  return {
    preChannels: options.pre_channels ?? preset.preChannels,
    stageChannels: tuple4(options.stage_channels ?? preset.stageChannels),
    stageBlocks: tuple4(options.stage_blocks ?? preset.stageBlocks),
    backChannels: tuple2(options.back_channels ?? preset.backChannels),
    backBlocks: tuple2(options.back_blocks ?? preset.backBlocks),
    bnAffine: options.bn_affine,
    convBias: options.conv_bias,
    dropout: options.dropout,
    inputChannels: options.input_channels,
  };
}

function tuple4(
  values: readonly number[],
): readonly [number, number, number, number] {
  return [values[0], values[1], values[2], values[3]];
}

function tuple2(values: readonly number[]): readonly [number, number] {
  return [values[0], values[1]];
}
