/**
 * `rpn3d`: the reference 3D region-proposal head (lfz/DSB2017, the Tianchi
 * write-up): anchors 10/30/60 at stride 4, a 1³ conv → ReLU → 1³ conv head,
 * the §3.3 label mapping, §3.4 decoding and §3.5 greedy cube NMS.
 *
 * @module
 */

import { z } from "zod";
import { defineAnchorHead } from "../../core/mod.ts";
import { createRpn3dHead } from "./head.ts";

export { createRpn3dHead, type Rpn3dHead, type Rpn3dSettings } from "./head.ts";

const options = z.object({
  anchors_mm: z.array(z.number().positive()).min(1).default([10, 30, 60])
    .describe("Anchor cube edges in mm (voxels of the 1 mm grid)"),
  stride: z.int().min(1).default(4).describe(
    "Feature stride the head expects; must equal the backbone's output stride",
  ),
  hidden_channels: z.int().min(1).default(64).describe(
    "Channels of the hidden 1³ convolution",
  ),
  th_pos: z.number().gt(0).max(1).default(0.5).describe(
    "Training: IoU with the target at or above which an anchor may be the positive",
  ),
  th_pos_val: z.number().gt(0).max(1).default(1).describe(
    "Validation: the same threshold (1: the nearest cell and best-sized anchor)",
  ),
  th_neg: z.number().gt(0).max(1).default(0.02).describe(
    "IoU with any nodule at or above which an anchor is ignored (neither positive nor negative)",
  ),
  fallback_radius: z.number().min(0).default(0).describe(
    "Training: a nodule no anchor matches at th_pos (under 7.9 mm with the 10 mm anchor) gets its positive drawn among the cells within this many voxels of its centre on every axis (e.g. the stride: the 2×2×2 nearest); 0 = the nearest cell (reference)",
  ),
  positives: z.enum(["one", "all"]).default("one").describe(
    "Training: 'one' = one positive per crop drawn among the entries matching the target at th_pos (else the fallback cells) (reference); 'all' = every one of them is a positive",
  ),
  num_neg: z.int().min(1).default(800).describe(
    "Random candidate negatives kept per training crop",
  ),
  nms_iou: z.number().gt(0).default(0.05).describe(
    "Default greedy NMS threshold on cube IoU (DSB2017's candidate generation uses 0.05)",
  ),
  min_logit: z.number().default(-3).describe(
    "Default decoding threshold: entries with logit at or below it are dropped",
  ),
  hidden_slope: z.number().min(0).lt(1).default(0).describe(
    "Negative slope of the hidden activation: 0 = ReLU (reference); > 0 = leaky ReLU, whose units cannot all die (reference-detector.md §10.8)",
  ),
  prior: z.number().gt(0).lt(1).nullable().default(null).describe(
    "Initial foreground probability of every anchor (logit biases start at −ln((1−p)/p), as in RetinaNet); null = PyTorch's default init",
  ),
});

/** The `rpn3d` anchor-head plugin. */
export const rpn3dAnchorHead = defineAnchorHead({
  id: "rpn3d",
  description:
    "Reference 3D RPN head: anchors 10/30/60 mm at stride 4, 1³ conv–ReLU–1³ conv, DSB2017 label mapping, decoding and cube NMS",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating anchor head "rpn3d"', { ...resolved });
    return createRpn3dHead({
      anchors: resolved.anchors_mm,
      stride: resolved.stride,
      hiddenChannels: resolved.hidden_channels,
      thPos: resolved.th_pos,
      thPosValidation: resolved.th_pos_val,
      thNeg: resolved.th_neg,
      numNeg: resolved.num_neg,
      fallbackRadius: resolved.fallback_radius,
      allPositives: resolved.positives === "all",
      nmsIou: resolved.nms_iou,
      minLogit: resolved.min_logit,
      hiddenSlope: resolved.hidden_slope,
      prior: resolved.prior,
    });
  },
});
