/**
 * The registry the dashboard's tests use: every plugin of `plugins/mod.ts`
 * plus a small threshold lung segmenter, so that every slot has a choice
 * whatever segmenters are registered.
 *
 * @module
 */

import { z } from "zod";
import {
  createRegistry,
  defineSegmenter,
  type Registry,
  type Volume,
  volumeLike,
} from "../../core/mod.ts";
import { plugins } from "../../plugins/mod.ts";

/**
 * A test segmenter: voxels below a Hounsfield threshold that are not
 * connected to the volume's border along their row (outside air) form the
 * lungs; both lungs share one mask.
 */
export const thresholdSegmenter = defineSegmenter({
  id: "test_threshold",
  description:
    "Test segmenter: air-like voxels enclosed by tissue along each row form the lung mask",
  options: z.object({
    threshold_hu: z.number().max(0).default(-400).describe(
      "Voxels below this value (HU) are air",
    ),
  }),
  create: (options) => ({
    segment(volume: Volume) {
      const [nz, ny, nx] = volume.shape;
      const mask = new Uint8Array(nz * ny * nx);
      for (let row = 0; row < nz * ny; row++) {
        const base = row * nx;
        let first = -1, last = -1;
        for (let x = 0; x < nx; x++) {
          if (volume.data[base + x] >= options.threshold_hu) {
            if (first < 0) first = x;
            last = x;
          }
        }
        for (let x = first + 1; x < last; x++) {
          if (volume.data[base + x] < options.threshold_hu) mask[base + x] = 1;
        }
      }
      const union = volumeLike(volume, mask);
      const empty = volumeLike(volume, new Uint8Array(mask.length));
      return Promise.resolve({
        lungs: [union, empty] as const,
        union,
        report: {
          segmenter: "test_threshold",
          decisions: [],
          lungCount: 1,
          lungVolumesL: [
            mask.reduce((a, b) => a + b, 0) *
            volume.spacingMm[0] * volume.spacingMm[1] * volume.spacingMm[2] /
            1e6,
          ],
        },
      });
    },
  }),
});

/** Every shipped plugin plus {@linkcode thresholdSegmenter}. */
export function testRegistry(): Registry {
  return createRegistry([thresholdSegmenter, ...plugins]);
}
