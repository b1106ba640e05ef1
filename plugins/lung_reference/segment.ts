/**
 * The reference lung segmentation (reference §1.2–1.5, DSB2017 `step1`),
 * with the three bad cases handled automatically and every decision
 * recorded: partial z coverage, scans that extend into the neck, a failed
 * selection (orientation-aware cut loop, neck trim, relaxed retry), one lung
 * only, and nodules at the lung wall (per-slice closing).
 *
 * @module
 */

import {
  checkSegmenterInput,
  emptyLungMasks,
  type LabelledRuns,
  labelMask,
  type Logger,
  type LungMasks,
  lungMasksFrom,
  nullLogger,
  paintLabels,
  type SegmentationDecision,
  type Volume,
  type Zyx,
} from "../../core/mod.ts";
import { binarizePerSlice, REFERENCE_BINARIZE } from "./binarize.ts";
import { closeSlices, fillNotches } from "./edge_fill.ts";
import { growIntoRim } from "./refine.ts";
import { type CutEnd, selectComponents, type Selection } from "./select.ts";
import { fillHoles3d, REFERENCE_SEPARATE, separateLungs } from "./separate.ts";

/** Every setting of the segmentation (the plugin's options, resolved). */
export interface ReferenceSettings {
  /** Air threshold (HU) of the per-slice binarization. */
  readonly thresholdHu: number;
  /** Component volume limits (L). */
  readonly volumeL: readonly [number, number];
  /** Distance rule threshold (mm). */
  readonly distanceMm: number;
  /** Keep only the two largest components passing the 3D rules. */
  readonly keepTwoLargest: boolean;
  /** Cut-loop tries (2 slices more each). */
  readonly maxCutTries: number;
  /** Lung height (mm) below which the lower volume limit is scaled by coverage; 0 turns it off. */
  readonly fullHeightMm: number;
  /** Look for a neck at the head end when the plain selection fails. */
  readonly neckTrim: boolean;
  /** Retry with the write-up's 92 mm distance when everything else fails. */
  readonly relaxedRetry: boolean;
  /** Distance (mm) of the relaxed retry. */
  readonly relaxedDistanceMm: number;
  /** Slice-area threshold (mm²) of the distance rule in the relaxed retry (reference 6000). */
  readonly relaxedAreaMm2: number;
  /** Lower volume limit (L) of the relaxed retry (before coverage scaling). */
  readonly relaxedMinVolumeL: number;
  /** Radius (mm) of the per-slice closing of each lung (0: off). */
  readonly wallFillMm: number;
  /** Largest per-slice hull notch filled (mm², 0: off). */
  readonly notchMaxMm2: number;
  /** Per-slice closing (mm) of the mask the two-lung seeds are eroded from (0: none). */
  readonly seedClosingMm: number;
  /** Rim refinement: grow into voxels below this HU… */
  readonly rimHu: number;
  /** …for this many 6-connected steps (0: off). */
  readonly rimSteps: number;
}

/** The plugin's defaults. */
export const DEFAULT_SETTINGS: ReferenceSettings = {
  thresholdHu: -600,
  volumeL: [0.68, 8.2],
  distanceMm: 62,
  keepTwoLargest: false,
  maxCutTries: 30,
  fullHeightMm: 250,
  neckTrim: true,
  relaxedRetry: true,
  relaxedDistanceMm: 92,
  relaxedAreaMm2: 3000,
  relaxedMinVolumeL: 0.17,
  wallFillMm: 15,
  notchMaxMm2: 1000,
  seedClosingMm: 8,
  rimHu: -500,
  rimSteps: 3,
};

const ID = "lung_reference";

/**
 * Which end of the z axis is the head: the world z (LPS, + towards the head)
 * component of voxel axis 0 is `direction[0]`.
 */
export function headEnd(volume: Volume): CutEnd {
  return volume.direction[0] < 0 ? "low" : "high";
}

/**
 * Where the neck starts, as a number of slices to cut at the head end: from
 * the slice with the most air inside the body, walk towards the head until a
 * slice has less than `fraction` of that area (only the airway is left), go
 * `marginSlices` further, and cut everything beyond. Null when the walk
 * reaches the end of the scan (no neck in view).
 *
 * @param insideAirMm2 per-slice air area inside the body (mm²)
 * @param end the head end
 * @param fraction of the largest slice's area (0.03)
 * @param marginSlices slices kept beyond the first neck slice
 * @returns slices to cut, or null
 */
export function neckCut(
  insideAirMm2: Float64Array,
  end: CutEnd,
  fraction: number,
  marginSlices: number,
): number | null {
  const nz = insideAirMm2.length;
  let peak = 0;
  for (let z = 1; z < nz; z++) {
    if (insideAirMm2[z] > insideAirMm2[peak]) peak = z;
  }
  const limit = fraction * insideAirMm2[peak];
  if (!(limit > 0)) return null;
  const step = end === "high" ? 1 : -1;
  for (let z = peak; z >= 0 && z < nz; z += step) {
    if (insideAirMm2[z] < limit) {
      const keepTo = z + step * marginSlices;
      const cut = end === "high" ? nz - 1 - keepTo : keepTo;
      return cut > 0 ? cut : null;
    }
  }
  return null;
}

function describe(sel: Selection, settings: string): string {
  const c = sel.counts;
  return `${c.components} air component${
    c.components === 1 ? "" : "s"
  }: ${c.probe} touched a corner/edge probe, ${c.volume} outside the volume limits, ${c.distance} failed the distance rule (${settings})`;
}

/**
 * Segments both lungs of a CT volume.
 *
 * @param volume CT volume in HU
 * @param settings the resolved options
 * @param logger where decisions are logged (debug)
 * @returns masks on the volume's grid with the report
 */
export function segmentLungs(
  volume: Volume,
  settings: ReferenceSettings = DEFAULT_SETTINGS,
  logger: Logger = nullLogger,
): LungMasks {
  const reason = checkSegmenterInput(volume, ID);
  if (reason) return emptyLungMasks(volume, ID, reason);
  const decisions: SegmentationDecision[] = [];
  const decide = (d: SegmentationDecision) => {
    decisions.push(d);
    logger.debug(`${ID}: ${d.detail}`, d.values);
  };
  const shape: Zyx = volume.shape;
  const spacing: Zyx = volume.spacingMm;
  const [nz] = shape;

  // Wall-clock time of each stage (ms), logged at debug level.
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + now - mark;
    mark = now;
  };
  const bw = binarizePerSlice(volume, {
    ...REFERENCE_BINARIZE,
    thresholdHu: settings.thresholdHu,
  });
  if (bw.circularSlices > 0) {
    decide({
      step: "circular_fov",
      detail:
        `${bw.circularSlices} of ${nz} slices have a constant corner patch: pixels outside the inscribed circle were ignored`,
      values: { slices: bw.circularSlices },
    });
  }

  // Short scans (slabs, partial coverage): scale the lower volume limit.
  let volumeL: [number, number] = [settings.volumeL[0], settings.volumeL[1]];
  const heightMm = nz * spacing[0];
  if (settings.fullHeightMm > 0 && heightMm < settings.fullHeightMm) {
    const coverage = heightMm / settings.fullHeightMm;
    volumeL = [settings.volumeL[0] * coverage, settings.volumeL[1]];
    decide({
      step: "partial_coverage",
      detail: `the scan covers ${
        heightMm.toFixed(1)
      } mm in z, less than a lung (${settings.fullHeightMm} mm): the lower volume limit becomes ${
        volumeL[0].toFixed(3)
      } L`,
      values: { heightMm, minVolumeL: volumeL[0] },
    });
  }

  const end = headEnd(volume);
  interface Limits {
    readonly volumeL: readonly [number, number];
    readonly areaMm2: number;
    readonly distanceMm: number;
    readonly dropFovEdge: boolean;
  }
  const reference: Limits = {
    volumeL,
    areaMm2: 6000,
    distanceMm: settings.distanceMm,
    dropFovEdge: false,
  };
  const scale = volumeL[0] / settings.volumeL[0];
  const relaxedLimits: Limits = {
    volumeL: [
      Math.min(volumeL[0], settings.relaxedMinVolumeL * scale),
      volumeL[1],
    ],
    areaMm2: settings.relaxedAreaMm2,
    distanceMm: settings.relaxedDistanceMm,
    // The looser limits would let through pieces of the air around the
    // body; those touch the edge of the field of view.
    dropFovEdge: true,
  };
  const text = (l: Limits) =>
    `volume ${l.volumeL[0].toFixed(3)}–${
      l.volumeL[1]
    } L, slices > ${l.areaMm2} mm², distance ${l.distanceMm} mm`;
  const select = (cut: number, limits: Limits, restoreMax = Infinity) =>
    selectComponents(bw.mask, shape, spacing, cut, end, {
      volumeL: limits.volumeL,
      areaMm2: limits.areaMm2,
      distanceMm: limits.distanceMm,
      keepTwoLargest: settings.keepTwoLargest,
      restoreMax,
      dropFovEdge: limits.dropFovEdge,
      fov: bw.fov,
    });

  const run = (limits: Limits): { sel: Selection; cut: number } => {
    const limitsText = text(limits);
    let sel = select(0, limits);
    if (sel.mask) return { sel, cut: 0 };
    const first = sel;
    let cut = 0;
    // (b) A scan that goes on into the neck: cut at the neck in one step.
    if (settings.neckTrim) {
      const margin = Math.max(1, Math.ceil(10 / spacing[0]));
      const neck = neckCut(bw.insideAirMm2, end, 0.03, margin);
      if (neck !== null && neck < nz) {
        sel = select(neck, limits, margin);
        decide({
          step: "neck_start",
          detail: `no component passed with the whole scan (${
            describe(first, limitsText)
          }); the air inside the body shrinks to the airway ${neck} slices from the head end (${end} z), so those slices were cut${
            sel.mask ? "" : ", which did not help"
          }`,
          values: { cut: neck, kept: sel.counts.kept, end },
        });
        if (sel.mask) return { sel, cut: neck };
        cut = neck;
      }
    }
    // The reference cut loop, from the head end, 2 slices more per try.
    let tries = 0;
    while (!sel.mask && tries < settings.maxCutTries && cut + 2 < nz) {
      cut += 2;
      tries++;
      sel = select(cut, limits);
    }
    if (tries > 0) {
      decide({
        step: "cut",
        detail: sel.mask
          ? `the cut loop removed ${cut} slices at the head end (${end} z) before a component passed, then restored them`
          : `the cut loop gave up after ${tries} tries (${cut} slices cut): ${
            describe(sel, limitsText)
          }`,
        values: { cut, tries, kept: sel.counts.kept, end },
      });
    }
    return { sel: sel.mask ? sel : first, cut: sel.mask ? cut : 0 };
  };

  lap("binarize");
  let { sel, cut: cutUsed } = run(reference);
  if (!sel.mask && settings.relaxedRetry) {
    const relaxed = run(relaxedLimits);
    decide({
      step: "retry_relaxed",
      detail: `nothing passed (${text(reference)}); retried with ${
        text(relaxedLimits)
      } (write-up's 92 mm; smaller lungs): ${
        relaxed.sel.mask ? "a component passed" : "still nothing"
      }`,
      values: {
        distanceMm: relaxedLimits.distanceMm,
        areaMm2: relaxedLimits.areaMm2,
        minVolumeL: relaxedLimits.volumeL[0],
        kept: relaxed.sel.counts.kept,
      },
    });
    if (relaxed.sel.mask) {
      sel = relaxed.sel;
      cutUsed = relaxed.cut;
    }
  }
  if (!sel.mask) {
    return emptyLungMasks(
      volume,
      ID,
      `no lung-like air region: ${describe(sel, text(reference))}`,
      decisions,
    );
  }
  // One component only: both lungs joined by the airway, or one lung that
  // failed a rule (small lungs have no slice over 6000 mm²). Add components
  // that pass the relaxed limits at the same cut and hold at least a quarter
  // of the kept volume (a lung, not bowel gas).
  if (sel.counts.kept === 1 && settings.relaxedRetry) {
    const kept = sel.mask!;
    const loose = select(cutUsed, relaxedLimits);
    if (loose.mask && loose.counts.kept > 1) {
      const runs = labelMask(loose.mask, shape, 6);
      let keptVoxels = 0;
      for (const v of kept) keptVoxels += v;
      const add = new Uint8Array(runs.components + 1);
      let added = 0;
      for (let l = 1; l <= runs.components; l++) {
        const i = runs.firstRun[l];
        if (runs.sizes[l] < 0.25 * keptVoxels) continue;
        // Skip the kept component itself (its first run lies in `kept`).
        const row = runRowOf(runs, i);
        if (kept[row * shape[2] + runs.x0[i]]) continue;
        add[l] = 1;
        added++;
      }
      if (added > 0) {
        paintLabels(runs, add, kept);
        decide({
          step: "second_lung_relaxed",
          detail: `only one component passed (${
            text(reference)
          }); ${added} more of at least a quarter of its volume passed with ${
            text(relaxedLimits)
          } and were added`,
          values: { added },
        });
      }
    }
  }
  if (sel.counts.kept > 2) {
    decide({
      step: "extra_components",
      detail:
        `${sel.counts.kept} components passed the 3D rules; all are kept (keep_two_largest is off)`,
      values: { kept: sel.counts.kept },
    });
  }

  const mask = sel.mask;
  lap("select");
  const holes = fillHoles3d(mask, shape);
  lap("fill_holes");
  if (holes > 0) {
    decisions.push({
      step: "fill_holes",
      detail: `${holes} voxels enclosed by the mask in 3D were filled`,
      values: { voxels: holes },
    });
  }
  const sep = separateLungs(mask, shape, spacing, {
    ...REFERENCE_SEPARATE,
    seedClosingMm: settings.seedClosingMm,
  });
  lap("separate");
  if (sep.erosions < 0) {
    decide({
      step: "one_lung",
      detail:
        `no two seeds of comparable size (ratio < ${REFERENCE_SEPARATE.maxRatio}) appeared in ${REFERENCE_SEPARATE.maxErosions} erosions: the mask is one lung and lungs[1] is empty`,
      values: { erosions: REFERENCE_SEPARATE.maxErosions },
    });
  } else {
    decisions.push({
      step: "separate",
      detail: `two seeds (${sep.seedVoxels[0]} and ${
        sep.seedVoxels[1]
      } voxels) after ${sep.erosions} erosions; ${sep.ties} equidistant voxels dropped`,
      values: {
        erosions: sep.erosions,
        seed1: sep.seedVoxels[0],
        seed2: sep.seedVoxels[1],
        ties: sep.ties,
      },
    });
  }
  // The partial-volume rim the blurred threshold leaves out.
  if (settings.rimSteps > 0) {
    const a1 = growIntoRim(
      volume,
      sep.lung1,
      sep.lung2,
      settings.rimHu,
      settings.rimSteps,
    );
    const a2 = growIntoRim(
      volume,
      sep.lung2,
      sep.lung1,
      settings.rimHu,
      settings.rimSteps,
    );
    decisions.push({
      step: "rim",
      detail:
        `grew each lung ${settings.rimSteps} voxels into neighbours below ${settings.rimHu} HU: ${a1} + ${a2} voxels`,
      values: {
        thresholdHu: settings.rimHu,
        steps: settings.rimSteps,
        lung1: a1,
        lung2: a2,
      },
    });
  }
  lap("rim");
  // (a) Nodules at the lung wall: fill compact hull notches (what a large
  // wall nodule leaves), then close each lung per slice (smaller ones).
  if (settings.notchMaxMm2 > 0) {
    const a1 = fillNotches(
      sep.lung1,
      sep.lung2,
      shape,
      spacing,
      settings.notchMaxMm2,
    );
    const a2 = fillNotches(
      sep.lung2,
      sep.lung1,
      shape,
      spacing,
      settings.notchMaxMm2,
    );
    decisions.push({
      step: "notch_fill",
      detail:
        `per-slice hull notches up to ${settings.notchMaxMm2} mm² filled: ${a1} + ${a2} voxels`,
      values: { maxAreaMm2: settings.notchMaxMm2, lung1: a1, lung2: a2 },
    });
  }
  lap("notch_fill");
  if (settings.wallFillMm > 0) {
    const a1 = closeSlices(
      sep.lung1,
      sep.lung2,
      shape,
      spacing,
      settings.wallFillMm,
    );
    const a2 = closeSlices(
      sep.lung2,
      sep.lung1,
      shape,
      spacing,
      settings.wallFillMm,
    );
    decisions.push({
      step: "wall_fill",
      detail:
        `per-slice closing with a ${settings.wallFillMm} mm disc added ${a1} + ${a2} voxels at the lung walls (juxtapleural nodules)`,
      values: { radiusMm: settings.wallFillMm, lung1: a1, lung2: a2 },
    });
  }
  lap("wall_fill");
  const masks = lungMasksFrom(volume, sep.lung1, sep.lung2, ID, decisions);
  lap("assemble");
  logger.debug(`${ID}: stage times (ms)`, timings);
  return masks;
}

// The row (z · ny + y) of run i: the last row whose first run is ≤ i.
function runRowOf(runs: LabelledRuns, i: number): number {
  let lo = 0, hi = runs.rowStart.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs.rowStart[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
