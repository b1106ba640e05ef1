/**
 * LUNA16 FROC evaluation with the official script's semantics
 * (`noduleCADEvaluationLUNA16.py`; spec: `shared/docs/froc-protocol.md`),
 * plus seeded scan-level bootstrap confidence intervals, a paired bootstrap
 * for comparing two systems, and per-nodule / per-size diagnostics.
 *
 * Rules reproduced exactly:
 * - the scan list defines `N` (duplicates rejected); findings and marks of
 *   unlisted scans are ignored;
 * - at most 100 marks per scan (configurable): a scan with more keeps the
 *   marks whose score is strictly greater than its 101st highest score, so
 *   ties at that score are all dropped;
 * - a mark hits a finding iff its squared distance `dx² + dy² + dz²` (summed
 *   in x, y, z order) is strictly below `r²`, `r = diameter / 2`, or 5 mm for
 *   a negative diameter;
 * - included nodules first, in file order: a nodule is detected by every mark
 *   that hits it, scored by the maximum probability of those marks; all those
 *   marks leave the FP pool; extra hits count as double detections; a mark may
 *   detect two overlapping nodules; then excluded findings absorb the marks
 *   still in the pool ("ignored on excluded"); what is left is FP;
 * - the curve: one point per distinct score (ties accepted together), from
 *   the origin, with `fps = ((c_fp / F) · F) / N` and
 *   `sens = ((c_tp / D) · D) / L`, the floating-point expressions the script
 *   evaluates (so vertical jumps land on exactly the same abscissa), and
 *   collinear points dropped as scikit-learn's `roc_curve` does;
 * - sensitivities at 1/8 … 8 FP/scan with numpy `interp` semantics (at an
 *   abscissa shared by several points, the last one), CPM = their mean.
 *
 * Degenerate cases: with no FP at all every point has `fps = 0` and every rate
 * reads the ceiling `D / L`; with no detected nodule (or no nodule) the
 * sensitivities and the CPM are `NaN` (the script yields NaN too).
 *
 * @module
 */

import type { Progress } from "./logger.ts";
import { createRng } from "./random.ts";
import type { Detection, Nodule } from "./volume.ts";

/** The seven FP rates (false positives per scan) of the CPM. */
export const FROC_RATES: readonly number[] = [
  0.125,
  0.25,
  0.5,
  1,
  2,
  4,
  8,
];

/** The official cap on CAD marks per scan. */
export const DEFAULT_MAX_MARKS_PER_SCAN = 100;

/** Match diameter (mm) of findings whose diameter is negative (LUNA16's `-1`). */
export const UNSIZED_FINDING_DIAMETER_MM = 10;

/** A CAD mark: only its scan, position and score matter to the FROC. */
export type FrocMark = Pick<Detection, "seriesuid" | "worldMm" | "score">;

/** A finding (included nodule or excluded finding). */
export type FrocFinding = Pick<Nodule, "seriesuid" | "worldMm" | "diameterMm">;

/** What the FROC evaluates. */
export interface FrocInput {
  /** The scan list: defines `N`; IDs must be unique. */
  readonly seriesuids: readonly string[];
  /** Included nodules (`annotations.csv`). */
  readonly annotations: readonly FrocFinding[];
  /** Irrelevant findings (`annotations_excluded.csv`); none when absent. */
  readonly excluded?: readonly FrocFinding[];
  /** CAD marks (the results / candidates CSV), in file order. */
  readonly marks: readonly FrocMark[];
}

/** Options of {@linkcode computeFroc}. */
export interface FrocOptions {
  /**
   * Most marks kept per scan (default 100, as the official script); `null`
   * or `Infinity` disables the cap.
   */
  maxMarksPerScan?: number | null;
}

/** What happened to each mark, in {@linkcode FrocResult.markStatus}. */
export const MARK_STATUS = {
  /** Left in the FP pool. */
  falsePositive: 0,
  /** Hit at least one included nodule. */
  truePositive: 1,
  /** Absorbed by an excluded finding ("ignored on excluded"). */
  excluded: 2,
  /** Dropped by the per-scan cap. */
  capped: 3,
  /** Its scan is not in the scan list. */
  unlisted: 4,
} as const;

/** One operating point of the FROC curve. */
export interface FrocPoint {
  /** Average false positives per scan. */
  readonly fps: number;
  /** Fraction of included nodules detected. */
  readonly sensitivity: number;
  /** Marks with score >= threshold are accepted; `Infinity` at the origin. */
  readonly threshold: number;
}

/** The counts of the official `CADAnalysis.txt` and a few more. */
export interface FrocCounts {
  /** `N`: scans in the list. */
  readonly scans: number;
  /** `L`: included nodules of listed scans (the sensitivity denominator). */
  readonly nodules: number;
  /** `D`: detected included nodules. */
  readonly truePositives: number;
  /** `F`: marks left in the FP pool. */
  readonly falsePositives: number;
  /** Included nodules without a hit. */
  readonly falseNegatives: number;
  /** Always 0 (as the script). */
  readonly trueNegatives: number;
  /** Marks of listed scans after the cap. */
  readonly candidates: number;
  /** `candidates / N`. */
  readonly candidatesPerScan: number;
  /** Marks of listed scans dropped by the cap. */
  readonly cappedMarks: number;
  /** Marks whose scan is not listed (ignored). */
  readonly unlistedMarks: number;
  /** Marks absorbed by excluded findings. */
  readonly ignoredOnExcluded: number;
  /** Hits on an included nodule beyond its first (ignored). */
  readonly doubleDetections: number;
  /** Times a mark hit an included nodule after already detecting another. */
  readonly multiNoduleMarks: number;
  /** `D / L`; 0 when `L = 0` (as the script's report). */
  readonly sensitivity: number;
}

/** The outcome for one included nodule of a listed scan. */
export interface FrocNoduleResult {
  /** Index in {@linkcode FrocInput.annotations}. */
  readonly index: number;
  /** Index of its scan in {@linkcode FrocInput.seriesuids}. */
  readonly scan: number;
  /** The annotation itself. */
  readonly nodule: FrocFinding;
  /** Whether any mark hit it. */
  readonly detected: boolean;
  /** The highest score among its hits; `NaN` when missed. */
  readonly score: number;
  /** Index in {@linkcode FrocInput.marks} of that mark (first in file order among equals); -1 when missed. */
  readonly mark: number;
  /** Number of marks that hit it. */
  readonly hits: number;
}

/**
 * The pooled entries, per-scan totals and tie groups, precomputed once for
 * fast bootstrapping. Entries are sorted by descending score.
 */
export interface FrocPool {
  /** `N`. */
  readonly scanCount: number;
  /** Entry scores, descending. */
  readonly score: Float64Array;
  /** Entry's scan index. */
  readonly scan: Int32Array;
  /** 1 for a detected-nodule entry, 0 for an FP entry. */
  readonly isNodule: Uint8Array;
  /** 1 on the last entry of each run of equal scores. */
  readonly groupEnd: Uint8Array;
  /** Included nodules per scan (detected + missed). */
  readonly scanNodules: Int32Array;
  /** Detected nodules per scan. */
  readonly scanDetected: Int32Array;
  /** FP marks per scan. */
  readonly scanFalsePositives: Int32Array;
  /** One entry per distinct score, descending: the score and the cumulative FP / nodule counts. */
  readonly groups: {
    readonly score: Float64Array;
    readonly fp: Float64Array;
    readonly tp: Float64Array;
  };
}

/** The fork-style dense-grid CPM (a diagnostic, not the normative CPM). */
export interface FrocDenseGrid {
  /** Mean of the sampled sensitivities (sum / 7). */
  readonly cpm: number;
  /** The grid abscissae used, one per rate (0.125, 0.2502125, …, 8). */
  readonly rates: readonly number[];
  /** The curve's value at each of them. */
  readonly sensitivities: readonly number[];
}

/** Everything {@linkcode computeFroc} finds. */
export interface FrocResult {
  /** The scan list. */
  readonly seriesuids: readonly string[];
  /** The cap used (`null`: none). */
  readonly maxMarksPerScan: number | null;
  /** The report counts. */
  readonly counts: FrocCounts;
  /** Operating points from the origin, as the script's `froc_<name>.txt`. */
  readonly points: readonly FrocPoint[];
  /** The FP rates, {@linkcode FROC_RATES}. */
  readonly rates: readonly number[];
  /** Sensitivity at each rate (numpy `interp`); NaN when nothing was detected. */
  readonly sensitivities: readonly number[];
  /** Mean of {@linkcode FrocResult.sensitivities}. */
  readonly cpm: number;
  /**
   * The variant printed by wentaozhu/DeepLung and its forks: the curve sampled
   * on `linspace(0.125, 8, 10001)`, taking the first sample within 3e-4 of
   * each rate. Differs from {@linkcode FrocResult.cpm} when a vertical jump
   * sits at a rate; for cross-checking those numbers only.
   */
  readonly denseGrid: FrocDenseGrid;
  /** One result per included nodule of a listed scan, in annotation order. */
  readonly nodules: readonly FrocNoduleResult[];
  /** Per input mark, a {@linkcode MARK_STATUS} value. */
  readonly markStatus: Uint8Array;
  /** Precomputed entries for the bootstrap. */
  readonly pool: FrocPool;
}

/**
 * Computes the LUNA16 FROC curve, the sensitivities at the seven rates and
 * the CPM, with the official script's semantics (see the module doc).
 *
 * @param input scan list, included nodules, excluded findings, marks
 * @param options `maxMarksPerScan` (default 100; `null` for no cap)
 * @returns the curve, CPM, counts, per-nodule and per-mark outcomes
 * @throws {RangeError} on a duplicate scan ID, a bad cap, or a non-finite
 *   coordinate, diameter or score in a listed scan
 *
 * @example
 * ```ts
 * import { computeFroc } from "./froc.ts";
 * const result = computeFroc({
 *   seriesuids: ["A"],
 *   annotations: [{ seriesuid: "A", worldMm: [0, 0, 0], diameterMm: 6 }],
 *   marks: [{ seriesuid: "A", worldMm: [0, 0, 1], score: 0.9 }],
 * });
 * result.cpm; // 1 (detected, and no false positive)
 * ```
 */
export function computeFroc(
  input: FrocInput,
  options: FrocOptions = {},
): FrocResult {
  const { seriesuids, annotations, marks } = input;
  const excluded = input.excluded ?? [];
  const cap = resolveCap(options.maxMarksPerScan);
  const N = seriesuids.length;
  const scanOf = new Map<string, number>();
  seriesuids.forEach((id, i) => {
    const first = scanOf.get(id);
    if (first !== undefined) {
      throw new RangeError(
        `Cannot compute FROC: scan list has "${id}" at positions ${first} and ${i}, expected each scan ID once`,
      );
    }
    scanOf.set(id, i);
  });

  // Bucket marks, included nodules and excluded findings per listed scan.
  const markStatus = new Uint8Array(marks.length);
  const scanMarks: number[][] = Array.from({ length: N }, () => []);
  let unlistedMarks = 0;
  marks.forEach((mark, i) => {
    const s = scanOf.get(mark.seriesuid);
    if (s === undefined) {
      markStatus[i] = MARK_STATUS.unlisted;
      unlistedMarks++;
      return;
    }
    checkFinite(mark.worldMm, mark.score, "mark", i, "score");
    scanMarks[s].push(i);
  });
  const scanIncluded = bucketFindings(annotations, scanOf, N, "annotation");
  const scanExcluded = bucketFindings(excluded, scanOf, N, "excluded finding");

  // The cap: keep marks scoring strictly above the (cap+1)-th highest score.
  let cappedMarks = 0;
  if (cap !== null) {
    for (let s = 0; s < N; s++) {
      const list = scanMarks[s];
      if (list.length <= cap) continue;
      const scores = Float64Array.from(list, (i) => marks[i].score).sort();
      const threshold = scores[scores.length - 1 - cap];
      const kept = list.filter((i) => marks[i].score > threshold);
      for (const i of list) {
        if (!(marks[i].score > threshold)) markStatus[i] = MARK_STATUS.capped;
      }
      cappedMarks += list.length - kept.length;
      scanMarks[s] = kept;
    }
  }

  // Matching, scan by scan.
  const nodules: FrocNoduleResult[] = [];
  const scanNodules = new Int32Array(N);
  const scanDetected = new Int32Array(N);
  const scanFalsePositives = new Int32Array(N);
  const entryScore: number[] = [];
  const entryScan: number[] = [];
  const entryIsNodule: number[] = [];
  let candidates = 0;
  let ignoredOnExcluded = 0;
  let doubleDetections = 0;
  let multiNoduleMarks = 0;
  for (let s = 0; s < N; s++) {
    const list = scanMarks[s];
    candidates += list.length;
    const inPool = new Uint8Array(list.length).fill(1);
    for (const a of scanIncluded[s]) {
      const finding = annotations[a];
      const r2 = matchRadiusSquared(finding.diameterMm);
      let hits = 0;
      let best = -1;
      for (let k = 0; k < list.length; k++) {
        const mark = marks[list[k]];
        if (distanceSquared(finding, mark) < r2) {
          hits++;
          if (best < 0 || mark.score > marks[best].score) best = list[k];
          if (inPool[k]) {
            inPool[k] = 0;
            markStatus[list[k]] = MARK_STATUS.truePositive;
          } else if (markStatus[list[k]] === MARK_STATUS.truePositive) {
            multiNoduleMarks++;
          }
        }
      }
      scanNodules[s]++;
      if (hits > 1) doubleDetections += hits - 1;
      if (hits > 0) {
        scanDetected[s]++;
        entryScore.push(marks[best].score);
        entryScan.push(s);
        entryIsNodule.push(1);
      }
      nodules.push({
        index: a,
        scan: s,
        nodule: finding,
        detected: hits > 0,
        score: hits > 0 ? marks[best].score : NaN,
        mark: best,
        hits,
      });
    }
    for (const e of scanExcluded[s]) {
      const finding = excluded[e];
      const r2 = matchRadiusSquared(finding.diameterMm);
      for (let k = 0; k < list.length; k++) {
        if (inPool[k] && distanceSquared(finding, marks[list[k]]) < r2) {
          inPool[k] = 0;
          markStatus[list[k]] = MARK_STATUS.excluded;
          ignoredOnExcluded++;
        }
      }
    }
    for (let k = 0; k < list.length; k++) {
      if (!inPool[k]) continue;
      scanFalsePositives[s]++;
      entryScore.push(marks[list[k]].score);
      entryScan.push(s);
      entryIsNodule.push(0);
    }
  }
  nodules.sort((p, q) => p.index - q.index);

  const pool = buildPool(
    N,
    entryScore,
    entryScan,
    entryIsNodule,
    scanNodules,
    scanDetected,
    scanFalsePositives,
  );
  const L = sum(scanNodules);
  const D = sum(scanDetected);
  const F = sum(scanFalsePositives);
  const points = curvePoints(pool.groups, N, L, D, F);
  const xp = Float64Array.from(points, (p) => p.fps);
  const yp = Float64Array.from(points, (p) => p.sensitivity);
  const sensitivities = FROC_RATES.map((x) => interpNumpy(x, xp, yp));
  return {
    seriesuids,
    maxMarksPerScan: cap,
    counts: {
      scans: N,
      nodules: L,
      truePositives: D,
      falsePositives: F,
      falseNegatives: L - D,
      trueNegatives: 0,
      candidates,
      candidatesPerScan: N > 0 ? candidates / N : NaN,
      cappedMarks,
      unlistedMarks,
      ignoredOnExcluded,
      doubleDetections,
      multiNoduleMarks,
      sensitivity: L > 0 ? D / L : 0,
    },
    points,
    rates: FROC_RATES,
    sensitivities,
    cpm: meanOf7(sensitivities),
    denseGrid: denseGridCpm(xp, yp),
    nodules,
    markStatus,
    pool,
  };
}

function resolveCap(cap: number | null | undefined): number | null {
  if (cap === undefined) return DEFAULT_MAX_MARKS_PER_SCAN;
  if (cap === null || cap === Infinity) return null;
  if (!Number.isInteger(cap) || cap < 1) {
    throw new RangeError(
      `Cannot compute FROC: maxMarksPerScan is ${cap}, expected an integer >= 1, null or Infinity`,
    );
  }
  return cap;
}

function checkFinite(
  worldMm: readonly number[],
  value: number,
  what: string,
  index: number,
  valueName: string,
): void {
  if (
    !Number.isFinite(worldMm[0]) || !Number.isFinite(worldMm[1]) ||
    !Number.isFinite(worldMm[2])
  ) {
    throw new RangeError(
      `Cannot compute FROC: ${what} ${index} has worldMm [${
        worldMm.join(", ")
      }], expected finite coordinates`,
    );
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(
      `Cannot compute FROC: ${what} ${index} has ${valueName} ${value}, expected a finite number`,
    );
  }
}

function bucketFindings(
  findings: readonly FrocFinding[],
  scanOf: ReadonlyMap<string, number>,
  N: number,
  what: string,
): number[][] {
  const buckets: number[][] = Array.from({ length: N }, () => []);
  findings.forEach((finding, i) => {
    const s = scanOf.get(finding.seriesuid);
    if (s === undefined) return;
    checkFinite(finding.worldMm, finding.diameterMm, what, i, "diameterMm");
    buckets[s].push(i);
  });
  return buckets;
}

/** `r²` of a finding: `(d / 2)²`, with d = 10 mm for a negative diameter. */
function matchRadiusSquared(diameterMm: number): number {
  const d = diameterMm < 0 ? UNSIZED_FINDING_DIAMETER_MM : diameterMm;
  const r = d / 2;
  return r * r;
}

/** Squared distance summed in x, y, z order, as the script (`(dx² + dy²) + dz²`). */
function distanceSquared(a: FrocFinding, b: FrocMark): number {
  const dx = a.worldMm[2] - b.worldMm[2];
  const dy = a.worldMm[1] - b.worldMm[1];
  const dz = a.worldMm[0] - b.worldMm[0];
  return dx * dx + dy * dy + dz * dz;
}

function sum(values: Int32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

function meanOf7(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

function buildPool(
  N: number,
  entryScore: number[],
  entryScan: number[],
  entryIsNodule: number[],
  scanNodules: Int32Array,
  scanDetected: Int32Array,
  scanFalsePositives: Int32Array,
): FrocPool {
  const E = entryScore.length;
  const order = new Uint32Array(E);
  for (let i = 0; i < E; i++) order[i] = i;
  order.sort((a, b) => entryScore[b] - entryScore[a]);
  const score = new Float64Array(E);
  const scan = new Int32Array(E);
  const isNodule = new Uint8Array(E);
  for (let i = 0; i < E; i++) {
    score[i] = entryScore[order[i]];
    scan[i] = entryScan[order[i]];
    isNodule[i] = entryIsNodule[order[i]];
  }
  const groupEnd = new Uint8Array(E);
  const groupScore: number[] = [];
  const groupFp: number[] = [];
  const groupTp: number[] = [];
  let fp = 0, tp = 0;
  for (let i = 0; i < E; i++) {
    if (isNodule[i]) tp++;
    else fp++;
    if (i === E - 1 || score[i + 1] !== score[i]) {
      groupEnd[i] = 1;
      groupScore.push(score[i]);
      groupFp.push(fp);
      groupTp.push(tp);
    }
  }
  return {
    scanCount: N,
    score,
    scan,
    isNodule,
    groupEnd,
    scanNodules,
    scanDetected,
    scanFalsePositives,
    groups: {
      score: Float64Array.from(groupScore),
      fp: Float64Array.from(groupFp),
      tp: Float64Array.from(groupTp),
    },
  };
}

/**
 * The script's operating points: scikit-learn `roc_curve` on the pooled
 * entries (collinear points dropped, origin prepended), scaled by
 * `F / N` and `D / L` with the same floating-point expressions.
 */
function curvePoints(
  groups: FrocPool["groups"],
  N: number,
  L: number,
  D: number,
  F: number,
): FrocPoint[] {
  const G = groups.score.length;
  let keep: number[] = Array.from({ length: G }, (_, g) => g);
  if (G > 2) {
    keep = [0];
    for (let g = 1; g < G - 1; g++) {
      const d2fp = (groups.fp[g + 1] - groups.fp[g]) -
        (groups.fp[g] - groups.fp[g - 1]);
      const d2tp = (groups.tp[g + 1] - groups.tp[g]) -
        (groups.tp[g] - groups.tp[g - 1]);
      if (d2fp !== 0 || d2tp !== 0) keep.push(g);
    }
    keep.push(G - 1);
  }
  const fpsOf = (count: number) => F > 0 ? ((count / F) * F) / N : 0;
  const sensOf = (count: number) =>
    D > 0 && L > 0 ? ((count / D) * D) / L : NaN;
  const points: FrocPoint[] = [{
    fps: fpsOf(0),
    sensitivity: sensOf(0),
    threshold: Infinity,
  }];
  for (const g of keep) {
    points.push({
      fps: fpsOf(groups.fp[g]),
      sensitivity: sensOf(groups.tp[g]),
      threshold: groups.score[g],
    });
  }
  return points;
}

/**
 * Linear interpolation with numpy `interp` semantics: `x` at or beyond the
 * last abscissa gives the last ordinate; `x` equal to an abscissa shared by
 * several points gives the ordinate of the last of them; below the first,
 * the first ordinate.
 *
 * @param x where to evaluate
 * @param xp abscissae, non-decreasing
 * @param fp ordinates
 * @returns the interpolated value
 *
 * @example
 * ```ts
 * import { interpNumpy } from "./froc.ts";
 * interpNumpy(1, [0, 1, 1, 2], [0, 0.2, 0.6, 0.8]); // 0.6 (vertical jump: the last point)
 * interpNumpy(1.5, [0, 1, 1, 2], [0, 0.2, 0.6, 0.8]); // 0.7
 * ```
 */
export function interpNumpy(
  x: number,
  xp: ArrayLike<number>,
  fp: ArrayLike<number>,
): number {
  const n = xp.length;
  if (n === 0) return NaN;
  if (x > xp[n - 1]) return fp[n - 1];
  if (x < xp[0]) return fp[0];
  // The last j with xp[j] <= x.
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x >= xp[mid]) lo = mid + 1;
    else hi = mid;
  }
  const j = lo - 1;
  if (j === n - 1 || xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let value = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(value)) {
    value = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(value) && fp[j] === fp[j + 1]) value = fp[j];
  }
  return value;
}

/** `numpy.linspace(0.125, 8, 10001)[k]`: `k · step + start`, the last exactly 8. */
function denseGridRate(k: number): number {
  const step = (8 - 0.125) / 10000;
  return k === 10000 ? 8 : k * step + 0.125;
}

function denseGridCpm(xp: Float64Array, yp: Float64Array): FrocDenseGrid {
  const rates: number[] = [];
  const sensitivities: number[] = [];
  let next = 0.125;
  let total = 0;
  for (let k = 0; k <= 10000; k++) {
    const x = denseGridRate(k);
    if (Math.abs(x - next) < 3e-4) {
      const value = interpNumpy(x, xp, yp);
      rates.push(x);
      sensitivities.push(value);
      total += value;
      next *= 2;
    }
    if (Math.abs(next - 16) < 1e-5) break;
  }
  return { cpm: total / 7, rates, sensitivities };
}

/** Percentile bounds and mean of one bootstrapped quantity. */
export interface BootstrapInterval {
  /** Mean over the resamples that are not NaN. */
  readonly mean: number;
  /** Lower bound: sorted value at index `floor(((1 − c) / 2) · V)`. */
  readonly lower: number;
  /** Upper bound: sorted value at index `floor((1 − (1 − c) / 2) · V)`. */
  readonly upper: number;
}

/** Options of {@linkcode bootstrapFroc} and {@linkcode pairedBootstrapFroc}. */
export interface FrocBootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Seed of the generator (default 0): same seed, same intervals. */
  seed?: number;
  /** Confidence level (default 0.95). */
  confidence?: number;
  /**
   * Rates of the pointwise band, ascending, within [1/8, 8]. Default: 61
   * log-spaced rates `2^(−3 + k/10)`, k = 0…60 (the official script uses
   * 10000 linear rates; 61 per-octave-spaced rates draw the same band on a
   * log axis at a fraction of the cost). The seven CPM rates are always added.
   */
  bandRates?: readonly number[];
  /** Receives one step per 100 resamples (task `"bootstrap"`). */
  progress?: Progress;
}

/** The band of a bootstrap: pointwise mean and percentile bounds. */
export interface FrocBand {
  /** Rates, ascending (the band rates plus the seven CPM rates). */
  readonly rates: readonly number[];
  /** Mean sensitivity at each rate. */
  readonly mean: readonly number[];
  /** Lower bound at each rate. */
  readonly lower: readonly number[];
  /** Upper bound at each rate. */
  readonly upper: readonly number[];
}

/**
 * Bootstrap confidence intervals of a FROC result.
 *
 * Intervals are percentile intervals: sort the values of the resamples that
 * are not NaN (V of them) and take the elements at 0-based indices
 * `floor(0.025·V)` and `floor(0.975·V)` (for 95 %), as the official script
 * does pointwise. The CPM interval uses the per-resample CPM (mean of that
 * resample's seven interpolated sensitivities), not the mean of the bands.
 */
export interface FrocBootstrap {
  /** Resamples drawn. */
  readonly resamples: number;
  /** Resamples with no detected nodule: their sensitivities and CPM are NaN; excluded from every statistic. */
  readonly nanResamples: number;
  /** The seed. */
  readonly seed: number;
  /** The confidence level. */
  readonly confidence: number;
  /** Per-resample CPM (NaN entries included), in draw order. */
  readonly cpmSamples: Float64Array;
  /** Interval of the CPM. */
  readonly cpm: BootstrapInterval;
  /** Interval at each of the seven rates. */
  readonly sensitivities: readonly BootstrapInterval[];
  /** The pointwise band. */
  readonly band: FrocBand;
}

/**
 * Scan-level bootstrap of a FROC result.
 *
 * Each resample draws `N` scan indices uniformly with replacement (seeded
 * {@linkcode createRng}); a scan drawn `m` times contributes its detected,
 * missed and FP entries `m` times; `L` and `D` are recomputed, the FP divisor
 * stays `N`. Each resample's curve is interpolated (numpy `interp` rules) at
 * the seven rates and at the band rates. A resample with no detected nodule
 * is NaN (the official script gives NaN, or crashes when no drawn scan has
 * any entry) and is counted in `nanResamples` and left out of every mean and
 * percentile. The cap, matching and tie handling are those of the original
 * result (they are per scan, so resampling scans does not change them).
 *
 * Cost: one pass over the score-sorted entries per resample, stopping once
 * the FP rate passes the largest rate; no per-resample sorting.
 *
 * @param result from {@linkcode computeFroc}
 * @param options resamples (1000), seed (0), confidence (0.95), band rates, progress
 * @returns intervals for the seven sensitivities, the CPM and the band
 * @throws {RangeError} on bad options
 *
 * @example
 * ```ts
 * import { bootstrapFroc, computeFroc } from "./froc.ts";
 * const result = computeFroc({
 *   seriesuids: ["A", "B"],
 *   annotations: [{ seriesuid: "A", worldMm: [0, 0, 0], diameterMm: 6 }],
 *   marks: [{ seriesuid: "A", worldMm: [0, 0, 0], score: 0.9 }],
 * });
 * const boot = bootstrapFroc(result, { resamples: 200, seed: 1 });
 * boot.nanResamples + (boot.resamples - boot.nanResamples); // 200
 * ```
 */
export function bootstrapFroc(
  result: FrocResult,
  options: FrocBootstrapOptions = {},
): FrocBootstrap {
  const settings = bootstrapSettings(options);
  const [values] = resampleCurves([result.pool], settings, options.progress);
  return summarize(values, settings);
}

/** A paired bootstrap comparison of two systems on the same scans. */
export interface FrocPairedBootstrap {
  /** Resamples drawn. */
  readonly resamples: number;
  /** The seed. */
  readonly seed: number;
  /** The confidence level. */
  readonly confidence: number;
  /** The bootstrap of system A (the baseline). */
  readonly a: FrocBootstrap;
  /** The bootstrap of system B. */
  readonly b: FrocBootstrap;
  /** `CPM_B − CPM_A` on the full data. */
  readonly deltaCpm: number;
  /** Per-resample `CPM_B − CPM_A` (NaN when either is NaN), in draw order. */
  readonly deltaSamples: Float64Array;
  /** Resamples where either CPM is NaN (left out of the interval and p-value). */
  readonly nanResamples: number;
  /** Percentile interval of the per-resample ΔCPM. */
  readonly delta: BootstrapInterval;
  /**
   * Two-sided bootstrap p-value of "no difference":
   * `min(1, 2 · min((1 + #{Δ ≤ 0}) / (V + 1), (1 + #{Δ ≥ 0}) / (V + 1)))`
   * over the V resamples where both CPMs are finite.
   */
  readonly pValue: number;
}

/**
 * Paired bootstrap of two FROC results on the same scan list: every resample
 * uses the same drawn scans for both systems, so the per-resample difference
 * `ΔCPM = CPM_B − CPM_A` keeps the pairing. With the same seed, the per-system
 * intervals equal those of {@linkcode bootstrapFroc}.
 *
 * @param a the baseline result
 * @param b the result compared with it
 * @param options as {@linkcode bootstrapFroc}
 * @returns both bootstraps, the ΔCPM interval and a two-sided p-value
 * @throws {RangeError} when the scan lists differ, or on bad options
 *
 * @example
 * ```ts
 * import { computeFroc, pairedBootstrapFroc } from "./froc.ts";
 * const input = {
 *   seriesuids: ["A", "B"],
 *   annotations: [{ seriesuid: "A", worldMm: [0, 0, 0] as const, diameterMm: 6 }],
 *   marks: [{ seriesuid: "A", worldMm: [0, 0, 0] as const, score: 0.9 }],
 * };
 * const r = computeFroc(input);
 * pairedBootstrapFroc(r, r, { resamples: 100 }).delta.upper; // 0
 * ```
 */
export function pairedBootstrapFroc(
  a: FrocResult,
  b: FrocResult,
  options: FrocBootstrapOptions = {},
): FrocPairedBootstrap {
  if (
    a.seriesuids.length !== b.seriesuids.length ||
    a.seriesuids.some((id, i) => id !== b.seriesuids[i])
  ) {
    throw new RangeError(
      `Cannot compare FROC results: scan lists differ (${a.seriesuids.length} and ${b.seriesuids.length} scans), expected the same scans in the same order`,
    );
  }
  const settings = bootstrapSettings(options);
  const [va, vb] = resampleCurves([a.pool, b.pool], settings, options.progress);
  const bootA = summarize(va, settings);
  const bootB = summarize(vb, settings);
  const B = settings.resamples;
  const deltaSamples = new Float64Array(B);
  let below = 0, above = 0, valid = 0;
  for (let i = 0; i < B; i++) {
    const d = bootB.cpmSamples[i] - bootA.cpmSamples[i];
    deltaSamples[i] = d;
    if (Number.isNaN(d)) continue;
    valid++;
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  const pValue = valid === 0 ? NaN : Math.min(
    1,
    2 * Math.min((1 + below) / (valid + 1), (1 + above) / (valid + 1)),
  );
  return {
    resamples: B,
    seed: settings.seed,
    confidence: settings.confidence,
    a: bootA,
    b: bootB,
    deltaCpm: b.cpm - a.cpm,
    deltaSamples,
    nanResamples: B - valid,
    delta: interval(Float64Array.from(deltaSamples), settings.confidence),
    pValue,
  };
}

interface BootstrapSettings {
  resamples: number;
  seed: number;
  confidence: number;
  /** Every evaluated rate, ascending. */
  rates: Float64Array;
  /** Where each of the seven CPM rates sits in `rates`. */
  cpmIndex: Int32Array;
}

/** The default band: `2^(−3 + k/10)`, k = 0…60. */
export const DEFAULT_BAND_RATES: readonly number[] = Array.from(
  { length: 61 },
  (_, k) => 2 ** (-3 + k / 10),
);

function bootstrapSettings(options: FrocBootstrapOptions): BootstrapSettings {
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 0;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(
      `Cannot bootstrap FROC: resamples is ${resamples}, expected an integer >= 1`,
    );
  }
  if (!Number.isInteger(seed)) {
    throw new RangeError(
      `Cannot bootstrap FROC: seed is ${seed}, expected an integer`,
    );
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(
      `Cannot bootstrap FROC: confidence is ${confidence}, expected a number in (0, 1)`,
    );
  }
  const band = options.bandRates ?? DEFAULT_BAND_RATES;
  for (const r of band) {
    if (!(r >= 0.125 && r <= 8)) {
      throw new RangeError(
        `Cannot bootstrap FROC: band rate is ${r}, expected rates within [0.125, 8]`,
      );
    }
  }
  const rates = Float64Array.from(new Set([...band, ...FROC_RATES])).sort();
  const cpmIndex = Int32Array.from(FROC_RATES, (r) => rates.indexOf(r));
  return { resamples, seed, confidence, rates, cpmIndex };
}

/**
 * Draws the resamples once and evaluates every pool on each: returns, per
 * pool, a `resamples × rates` row-major matrix (NaN rows for resamples
 * without a detected nodule).
 */
function resampleCurves(
  pools: readonly FrocPool[],
  settings: BootstrapSettings,
  progress?: Progress,
): Float64Array[] {
  const N = pools[0].scanCount;
  const { resamples: B, rates } = settings;
  const R = rates.length;
  const rng = createRng(settings.seed);
  const mult = new Int32Array(N);
  const out = pools.map(() => new Float64Array(B * R));
  progress?.start("bootstrap", B, "resamples");
  for (let b = 0; b < B; b++) {
    mult.fill(0);
    for (let i = 0; i < N; i++) mult[rng.int(N)]++;
    for (let p = 0; p < pools.length; p++) {
      sweepResample(pools[p], mult, rates, out[p], b * R);
    }
    if ((b + 1) % 100 === 0 || b + 1 === B) progress?.step("bootstrap", b + 1);
  }
  progress?.end("bootstrap");
  return out;
}

/** One resample's curve, interpolated at `rates` while sweeping the entries once. */
function sweepResample(
  pool: FrocPool,
  mult: Int32Array,
  rates: Float64Array,
  out: Float64Array,
  base: number,
): void {
  const N = pool.scanCount;
  const R = rates.length;
  let L = 0, D = 0;
  for (let s = 0; s < N; s++) {
    const m = mult[s];
    if (m !== 0) {
      L += m * pool.scanNodules[s];
      D += m * pool.scanDetected[s];
    }
  }
  if (D === 0) {
    out.fill(NaN, base, base + R);
    return;
  }
  const { scan, isNodule, groupEnd } = pool;
  const E = scan.length;
  let tp = 0, fp = 0, x0 = 0, y0 = 0, k = 0;
  let moved = false;
  for (let e = 0; e < E; e++) {
    const m = mult[scan[e]];
    if (m !== 0) {
      if (isNodule[e] === 1) tp += m;
      else fp += m;
      moved = true;
    }
    if (groupEnd[e] === 1 && moved) {
      moved = false;
      const x1 = fp / N;
      const y1 = tp / L;
      // Rates below x1 lie between the previous point and this one (a rate
      // equal to x0 reads the last point at x0: numpy's vertical-jump rule).
      while (k < R && rates[k] < x1) {
        const r = rates[k];
        out[base + k] = r === x0 ? y0 : ((y1 - y0) / (x1 - x0)) * (r - x0) + y0;
        k++;
      }
      if (k === R) return;
      x0 = x1;
      y0 = y1;
    }
  }
  // Rates at or beyond the last point read the ceiling.
  for (; k < R; k++) out[base + k] = y0;
}

function summarize(
  values: Float64Array,
  settings: BootstrapSettings,
): FrocBootstrap {
  const { resamples: B, rates, cpmIndex, confidence } = settings;
  const R = rates.length;
  const cpmSamples = new Float64Array(B);
  let nanResamples = 0;
  for (let b = 0; b < B; b++) {
    let total = 0;
    for (let i = 0; i < cpmIndex.length; i++) {
      total += values[b * R + cpmIndex[i]];
    }
    cpmSamples[b] = total / cpmIndex.length;
    if (Number.isNaN(cpmSamples[b])) nanResamples++;
  }
  const column = new Float64Array(B);
  const band = {
    mean: [] as number[],
    lower: [] as number[],
    upper: [] as number[],
  };
  const perRate: BootstrapInterval[] = [];
  for (let r = 0; r < R; r++) {
    for (let b = 0; b < B; b++) column[b] = values[b * R + r];
    const stats = interval(column, confidence);
    perRate.push(stats);
    band.mean.push(stats.mean);
    band.lower.push(stats.lower);
    band.upper.push(stats.upper);
  }
  return {
    resamples: B,
    nanResamples,
    seed: settings.seed,
    confidence,
    cpmSamples,
    cpm: interval(Float64Array.from(cpmSamples), confidence),
    sensitivities: Array.from(cpmIndex, (i) => perRate[i]),
    band: { rates: Array.from(rates), ...band },
  };
}

/** Mean and percentile bounds of the non-NaN values (sorts `values` in place). */
function interval(values: Float64Array, confidence: number): BootstrapInterval {
  values.sort(); // NaN sorts last in a typed-array sort
  let V = values.length;
  while (V > 0 && Number.isNaN(values[V - 1])) V--;
  if (V === 0) return { mean: NaN, lower: NaN, upper: NaN };
  let total = 0;
  for (let i = 0; i < V; i++) total += values[i];
  const pz = (1 - confidence) / 2;
  return {
    mean: total / V,
    lower: values[Math.floor(pz * V)],
    upper: values[Math.min(V - 1, Math.floor((1 - pz) * V))],
  };
}

/**
 * The operating threshold at an FP rate: the lowest distinct score whose
 * operating point has at most `fpRate` false positives per scan (ties
 * accepted together). `Infinity` when even the highest score exceeds it.
 *
 * @param result from {@linkcode computeFroc}
 * @param fpRate false positives per scan
 * @returns the threshold and the exact FP rate and sensitivity of that point
 *
 * @example
 * ```ts
 * import { computeFroc, thresholdAtRate } from "./froc.ts";
 * const r = computeFroc({
 *   seriesuids: ["A"],
 *   annotations: [],
 *   marks: [{ seriesuid: "A", worldMm: [0, 0, 0], score: 0.5 }],
 * });
 * thresholdAtRate(r, 1).threshold; // 0.5
 * ```
 */
export function thresholdAtRate(
  result: FrocResult,
  fpRate: number,
): { threshold: number; fps: number; sensitivity: number } {
  const { groups } = result.pool;
  const { falsePositives: F, scans: N, nodules: L } = result.counts;
  let best = -1;
  for (let g = 0; g < groups.score.length; g++) {
    const fps = F > 0 ? ((groups.fp[g] / F) * F) / N : 0;
    if (fps <= fpRate) best = g;
    else break;
  }
  if (best < 0) return { threshold: Infinity, fps: 0, sensitivity: 0 };
  return {
    threshold: groups.score[best],
    fps: F > 0 ? ((groups.fp[best] / F) * F) / N : 0,
    sensitivity: L > 0 ? groups.tp[best] / L : NaN,
  };
}

/** A nodule size band for {@linkcode sensitivityBySize}. */
export interface SizeBand {
  /** Label, e.g. `"<10 mm"`. */
  readonly label: string;
  /** Whether a diameter (mm) belongs to the band. */
  readonly contains: (diameterMm: number) => boolean;
}

/** The default bands: `< 10 mm`, `10–30 mm` (both ends included), `> 30 mm`. */
export const SIZE_BANDS: readonly SizeBand[] = [
  { label: "<10 mm", contains: (d) => d < 10 },
  { label: "10-30 mm", contains: (d) => d >= 10 && d <= 30 },
  { label: ">30 mm", contains: (d) => d > 30 },
];

/** Sensitivity of one size band. */
export interface SizeBandSensitivity {
  /** The band's label (`"all"` for every nodule). */
  readonly label: string;
  /** Included nodules in the band. */
  readonly nodules: number;
  /** Of those, detected at any score. */
  readonly detected: number;
  /** `detected / nodules` (the band's ceiling); NaN for an empty band. */
  readonly sensitivity: number;
  /** At each requested FP rate: the band's nodules detected with score >= {@linkcode thresholdAtRate}, over `nodules`. */
  readonly atRates: readonly { fps: number; sensitivity: number }[];
}

/**
 * Sensitivity by nodule size band, overall and at FP rates. At a rate, the
 * threshold is the operating point at or below that rate
 * ({@linkcode thresholdAtRate}), so these are step values, not the
 * interpolated curve. The last row, `"all"`, covers every nodule.
 *
 * @param result from {@linkcode computeFroc}
 * @param rates FP rates (default the seven CPM rates)
 * @param bands size bands (default {@linkcode SIZE_BANDS})
 * @returns one row per band, then `"all"`
 *
 * @example
 * ```ts
 * import { computeFroc, sensitivityBySize } from "./froc.ts";
 * const r = computeFroc({
 *   seriesuids: ["A"],
 *   annotations: [{ seriesuid: "A", worldMm: [0, 0, 0], diameterMm: 12 }],
 *   marks: [{ seriesuid: "A", worldMm: [0, 0, 0], score: 1 }],
 * });
 * sensitivityBySize(r)[1].sensitivity; // 1 (the 10-30 mm band)
 * ```
 */
export function sensitivityBySize(
  result: FrocResult,
  rates: readonly number[] = FROC_RATES,
  bands: readonly SizeBand[] = SIZE_BANDS,
): SizeBandSensitivity[] {
  const thresholds = rates.map((r) => thresholdAtRate(result, r).threshold);
  const rows = [...bands, { label: "all", contains: () => true }];
  return rows.map((band) => {
    const members = result.nodules.filter((n) =>
      band.contains(n.nodule.diameterMm)
    );
    const detected = members.filter((n) => n.detected).length;
    const count = members.length;
    return {
      label: band.label,
      nodules: count,
      detected,
      sensitivity: count > 0 ? detected / count : NaN,
      atRates: rates.map((fps, i) => ({
        fps,
        sensitivity: count > 0
          ? members.filter((n) => n.detected && n.score >= thresholds[i])
            .length / count
          : NaN,
      })),
    };
  });
}

/**
 * Indices of the false-positive marks, highest score first (file order
 * among equal scores).
 *
 * @param result from {@linkcode computeFroc}
 * @param marks the marks given to it
 * @param limit how many to return (default all)
 * @returns indices into `marks`
 *
 * @example
 * ```ts
 * import { computeFroc, falsePositiveMarks } from "./froc.ts";
 * const marks = [
 *   { seriesuid: "A", worldMm: [0, 0, 0] as const, score: 0.2 },
 *   { seriesuid: "A", worldMm: [50, 0, 0] as const, score: 0.7 },
 * ];
 * falsePositiveMarks(computeFroc({ seriesuids: ["A"], annotations: [], marks }), marks); // [1, 0]
 * ```
 */
export function falsePositiveMarks(
  result: FrocResult,
  marks: readonly FrocMark[],
  limit = Infinity,
): number[] {
  const indices: number[] = [];
  result.markStatus.forEach((status, i) => {
    if (status === MARK_STATUS.falsePositive) indices.push(i);
  });
  indices.sort((p, q) => marks[q].score - marks[p].score || p - q);
  return indices.slice(0, limit);
}
