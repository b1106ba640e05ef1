/**
 * `lung_reference`: the DSB2017 lung segmentation (reference §1.2–1.5) —
 * per-slice blur and threshold, 2D region rules, 3D component selection with
 * the cut loop, hole filling and two-lung separation — plus automatic
 * handling of short scans, scans that extend into the neck, one-lung results
 * and nodules at the lung wall, each recorded in the report.
 *
 * @module
 */

import { z } from "zod";
import { defineSegmenter } from "../../core/mod.ts";
import { DEFAULT_SETTINGS, segmentLungs } from "./segment.ts";

const options = z.object({
  threshold_hu: z.number().min(-1100).max(500).default(
    DEFAULT_SETTINGS.thresholdHu,
  ).describe(
    "Air threshold of the per-slice binarization in HU (reference -600; the write-up's relaxed retry uses -150)",
  ),
  volume_l: z.tuple([z.number().positive(), z.number().positive()]).default([
    ...DEFAULT_SETTINGS.volumeL,
  ] as [number, number]).refine((v) => v[0] < v[1], {
    message: "volume_l[0] must be below volume_l[1]",
  }).describe(
    "Volume limits of a lung component in litres, [min, max] (function default and write-up 0.68-8.2; step1_python passes 7.5)",
  ),
  distance_mm: z.number().positive().default(DEFAULT_SETTINGS.distanceMm)
    .describe(
      "Distance rule: mean minimum distance to the slice centre over slices > 6000 mm², in mm (reference 62, write-up 92)",
    ),
  keep_two_largest: z.boolean().default(DEFAULT_SETTINGS.keepTwoLargest)
    .describe(
      "Keep only the two largest components that pass the 3D rules (the reference keeps all)",
    ),
  max_cut_tries: z.int().min(0).max(1000).default(DEFAULT_SETTINGS.maxCutTries)
    .describe("Cut-loop tries, 2 more slices cut at the head end each (Y: 30)"),
  full_height_mm: z.number().min(0).default(DEFAULT_SETTINGS.fullHeightMm)
    .describe(
      "A scan shorter than this in z gets its lower volume limit scaled by height / full_height_mm (0: off)",
    ),
  neck_trim: z.boolean().default(DEFAULT_SETTINGS.neckTrim).describe(
    "When nothing passes, cut the head end at the neck (found from the air-inside-body profile) before the cut loop",
  ),
  relaxed_retry: z.boolean().default(DEFAULT_SETTINGS.relaxedRetry).describe(
    "When nothing passes, retry with the relaxed distance (write-up)",
  ),
  relaxed_distance_mm: z.number().positive().default(
    DEFAULT_SETTINGS.relaxedDistanceMm,
  ).describe("Distance rule of the relaxed retry in mm (write-up 92)"),
  relaxed_area_mm2: z.number().positive().default(
    DEFAULT_SETTINGS.relaxedAreaMm2,
  ).describe(
    "Slices larger than this (mm²) enter the distance rule in the relaxed retry (reference 6000)",
  ),
  relaxed_min_volume_l: z.number().positive().default(
    DEFAULT_SETTINGS.relaxedMinVolumeL,
  ).describe("Lower volume limit of the relaxed retry in litres"),
  seed_closing_mm: z.number().min(0).max(30).default(
    DEFAULT_SETTINGS.seedClosingMm,
  ).describe(
    "Per-slice closing radius in mm of the mask the two-lung seeds are eroded from (0: the reference's raw mask)",
  ),
  rim_hu: z.number().min(-1000).max(0).default(DEFAULT_SETTINGS.rimHu)
    .describe(
      "Rim refinement: each lung grows into neighbouring voxels below this HU (partial-volume rim)",
    ),
  rim_steps: z.int().min(0).max(10).default(DEFAULT_SETTINGS.rimSteps)
    .describe(
      "Rim refinement: 6-connected growth steps (0: off, as the reference)",
    ),
  notch_max_mm2: z.number().min(0).default(DEFAULT_SETTINGS.notchMaxMm2)
    .describe(
      "Largest compact per-slice hull notch filled, in mm² (wall nodules the closing leaves out; 0: off)",
    ),
  wall_fill_mm: z.number().min(0).max(40).default(DEFAULT_SETTINGS.wallFillMm)
    .describe(
      "Radius in mm of the per-slice closing of each lung that takes juxtapleural nodules into the mask (0: off, as the reference)",
    ),
});

/** The `lung_reference` segmenter plugin. */
export const lungReferenceSegmenter = defineSegmenter({
  id: "lung_reference",
  description:
    "DSB2017 lung segmentation (blur, threshold, 2D/3D rules, cut loop, two-lung split) with automatic neck, short-scan, one-lung and wall-nodule handling",
  options,
  create: (resolved, context) => {
    context.logger.debug('Creating segmenter "lung_reference"', {
      ...resolved,
    });
    const settings = {
      thresholdHu: resolved.threshold_hu,
      volumeL: resolved.volume_l,
      distanceMm: resolved.distance_mm,
      keepTwoLargest: resolved.keep_two_largest,
      maxCutTries: resolved.max_cut_tries,
      fullHeightMm: resolved.full_height_mm,
      neckTrim: resolved.neck_trim,
      relaxedRetry: resolved.relaxed_retry,
      relaxedDistanceMm: resolved.relaxed_distance_mm,
      relaxedAreaMm2: resolved.relaxed_area_mm2,
      relaxedMinVolumeL: resolved.relaxed_min_volume_l,
      seedClosingMm: resolved.seed_closing_mm,
      rimHu: resolved.rim_hu,
      rimSteps: resolved.rim_steps,
      notchMaxMm2: resolved.notch_max_mm2,
      wallFillMm: resolved.wall_fill_mm,
    };
    return {
      // A throw inside the executor becomes a rejection, never a sync throw.
      segment: (volume) =>
        new Promise((resolve) =>
          resolve(segmentLungs(volume, settings, context.logger))
        ),
    };
  },
});
