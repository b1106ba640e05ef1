/**
 * The Segmenter interface: CT volume in HU → lung masks on the scan's own grid
 * plus a report of the decisions taken. Knows nothing of nodules or tensors.
 *
 * @module
 */

import { definer } from "./plugin.ts";
import type { Volume } from "./volume.ts";

/** One decision a segmenter took (a fallback, a retry, a cut), for the report. */
export interface SegmentationDecision {
  /** Short machine-readable name, e.g. `"cut"`, `"retry_threshold"`, `"neck_start"`. */
  readonly step: string;
  /** One sentence for people. */
  readonly detail: string;
  /** Numbers behind the decision. */
  readonly values?: Record<string, number | string | boolean>;
}

/** What the segmenter decided, for logs, the run store and tests. */
export interface SegmentationReport {
  /** The plugin that produced the masks. */
  readonly segmenter: string;
  /** Every decision, in order. */
  readonly decisions: readonly SegmentationDecision[];
  /** Number of lungs found (0, 1 or 2). */
  readonly lungCount: number;
  /** Volume of each lung in litres. */
  readonly lungVolumesL: readonly number[];
  /** When no lung could be found: why (the masks are then empty). */
  readonly emptyReason?: string;
}

/** Lung masks on the scan's own grid (uint8: 1 inside, 0 outside). */
export interface LungMasks {
  /** The two lungs (the second may be empty when only one was found). */
  readonly lungs: readonly [Volume<Uint8Array>, Volume<Uint8Array>];
  /** Union of both lungs. */
  readonly union: Volume<Uint8Array>;
  /** Decisions taken. */
  readonly report: SegmentationReport;
}

/** Segments the lungs of a CT scan. */
export interface Segmenter {
  /**
   * Segments `volume` (Hounsfield units, any spacing).
   *
   * @param volume CT volume, values in HU (NaN not allowed)
   * @returns masks on the volume's grid and the report; an explicit empty
   *   result with `report.emptyReason` when no lung is present
   */
  segment(volume: Volume): Promise<LungMasks>;
}

/** Defines a segmenter plugin. */
export const defineSegmenter = definer<"segmenter", Segmenter>("segmenter");
