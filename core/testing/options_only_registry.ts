/**
 * A registry of option-only plugin definitions for tests of configs and
 * grids: their schemas and published shapes are real, their work is not
 * (calling it throws).
 *
 * @module
 */

import { z } from "zod";
import { defineAnchorHead } from "../anchor_head.ts";
import { defineBackbone } from "../backbone.ts";
import { defineLoss } from "../loss.ts";
import { defineMiner } from "../miner.ts";
import { createRegistry, type Registry } from "../registry.ts";
import { defineSegmenter } from "../segmenter.ts";

const unused = () => {
  throw new Error("not used in these tests");
};
/** Definitions named like the real plugins, with small option schemas. */
export const optionsOnlyRegistry: Registry = createRegistry([
  defineSegmenter({
    id: "lung_reference",
    description: "test segmenter",
    options: z.object({
      threshold_hu: z.number().default(-600).describe("Threshold"),
    }),
    create: () => ({ segment: unused }),
  }),
  defineBackbone({
    id: "resunet",
    description: "test backbone",
    options: z.object({
      preset: z.enum(["resunet150", "small"]).default("resunet150").describe(
        "Preset",
      ),
      stride: z.int().default(4).describe("Output stride"),
      input_channels: z.int().optional().describe(
        "Image input channels (1 when absent)",
      ),
    }),
    create: (options) => ({
      output: { channels: 128, stride: options.stride },
      inputChannels: options.input_channels ?? 1,
      maxStride: 16,
      counts: unused,
      build: unused,
      exportOnnx: unused,
    }),
  }),
  defineAnchorHead({
    id: "rpn3d",
    description: "test head",
    options: z.object({
      stride: z.int().default(4).describe("Stride"),
    }),
    create: (options) => ({
      anchors: [10, 30, 60],
      stride: options.stride,
      countParameters: unused,
      build: unused,
      exportOnnx: unused,
      targets: unused,
      decode: unused,
      nms: unused,
    }),
  }),
  defineMiner({
    id: "topk",
    description: "test miner",
    options: z.object({
      k: z.int().min(1).default(2).describe("Negatives per sample"),
      per_sample: z.boolean().default(true).describe("Per sample"),
    }),
    create: () => ({ select: unused }),
  }),
  defineMiner({
    id: "random",
    description: "test miner",
    options: z.object({ k: z.int().min(1).default(2).describe("Count") }),
    create: () => ({ select: unused }),
  }),
  defineLoss({
    id: "balanced",
    description: "test loss",
    options: z.object({}),
    create: () => ({ compute: unused }),
  }),
  defineLoss({
    id: "weighted",
    description: "test loss",
    options: z.object({ lambda: z.number().default(1).describe("λ") }),
    create: () => ({ compute: unused }),
  }),
]);
