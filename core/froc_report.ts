/**
 * FROC reports: the evaluation a candidates file gets (FROC, bootstrap
 * intervals, an optional paired comparison) and the files it is written to:
 * `froc.json` (the run store's `froc` artefact has the same shape),
 * `froc.csv` (the curve) and `froc.svg` (the plot). Used by `pleura eval`
 * and by the training pipeline's final evaluation.
 *
 * @module
 */

import { join } from "node:path";
import { formatCsv } from "./dataset/csv.ts";
import {
  bootstrapFroc,
  computeFroc,
  falsePositiveMarks,
  FROC_RATES,
  type FrocBootstrap,
  type FrocInput,
  type FrocMark,
  type FrocPairedBootstrap,
  type FrocResult,
  pairedBootstrapFroc,
  sensitivityBySize,
} from "./froc.ts";
import { renderFrocSvg } from "./froc_svg.ts";
import type { Progress } from "./logger.ts";
import { xyzFromZyx } from "./volume.ts";

/** How many of the highest-scoring false positives a report lists. */
export const TOP_FALSE_POSITIVES = 50;

/** A FROC with its intervals and an optional comparison. */
export interface FrocEvaluation {
  /** What was evaluated. */
  readonly input: FrocInput;
  /** The FROC of `input.marks`. */
  readonly result: FrocResult;
  /** Bootstrap intervals (absent with 0 resamples). */
  readonly bootstrap?: FrocBootstrap;
  /** The FROC of the baseline marks, when given. */
  readonly baseline?: FrocResult;
  /** The paired bootstrap against the baseline. */
  readonly paired?: FrocPairedBootstrap;
}

/**
 * Computes the FROC of `input`, its bootstrap intervals and, with
 * `baselineMarks`, the paired comparison (ΔCPM = input − baseline).
 */
export function evaluateFroc(
  input: FrocInput,
  options: {
    maxMarksPerScan: number | null;
    resamples: number;
    seed: number;
    progress?: Progress;
    baselineMarks?: readonly FrocMark[];
  },
): FrocEvaluation {
  const frocOptions = { maxMarksPerScan: options.maxMarksPerScan };
  const result = computeFroc(input, frocOptions);
  const baseline = options.baselineMarks
    ? computeFroc({ ...input, marks: options.baselineMarks }, frocOptions)
    : undefined;
  let bootstrap: FrocBootstrap | undefined;
  let paired: FrocPairedBootstrap | undefined;
  if (options.resamples > 0) {
    const settings = {
      resamples: options.resamples,
      seed: options.seed,
      progress: options.progress,
    };
    if (baseline) {
      paired = pairedBootstrapFroc(baseline, result, settings);
      bootstrap = paired.b;
    } else {
      bootstrap = bootstrapFroc(result, settings);
    }
  }
  return { input, result, bootstrap, baseline, paired };
}

/** Where the evaluated files came from (recorded in the report). */
export interface FrocSources {
  /** The candidates file or a label. */
  readonly candidates?: string;
  /** The annotations file. */
  readonly annotations?: string;
  /** The excluded-findings file. */
  readonly excluded?: string;
  /** The scan list. */
  readonly seriesuids?: string;
  /** The baseline candidates file or label. */
  readonly baseline?: string;
}

/**
 * The report written to `froc.json`: at least `cpm`, `sensitivities` (7),
 * `points`, `ci`, plus counts, size bands, missed nodules, top false
 * positives and the comparison.
 */
export function buildFrocReport(
  evaluation: FrocEvaluation,
  sources: FrocSources = {},
): Record<string, unknown> {
  return buildReport(
    sources,
    evaluation.input,
    evaluation.result,
    evaluation.bootstrap,
    evaluation.baseline,
    evaluation.paired,
  );
}

/**
 * Writes `froc.json`, `froc.csv` and `froc.svg` into `dir` (created if
 * missing); returns the report.
 */
export async function writeFrocFiles(
  dir: string,
  evaluation: FrocEvaluation,
  sources: FrocSources,
  name: string,
): Promise<Record<string, unknown>> {
  const report = buildFrocReport(evaluation, sources);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "froc.json"),
    JSON.stringify(report, finiteOrNull, 2) + "\n",
  );
  await Deno.writeTextFile(
    join(dir, "froc.csv"),
    formatCsv([
      ["fps", "sensitivity", "threshold"],
      ...evaluation.result.points.map((p) => [
        csvNumber(p.fps),
        csvNumber(p.sensitivity),
        csvNumber(p.threshold),
      ]),
    ]),
  );
  await Deno.writeTextFile(
    join(dir, "froc.svg"),
    renderFrocSvg(evaluation.result, {
      name,
      bootstrap: evaluation.bootstrap,
    }),
  );
  return report;
}

/** A JSON-safe copy of a report (NaN and ±Infinity become null). */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, finiteOrNull));
}

function buildReport(
  flags: FrocSources,
  input: FrocInput,
  result: FrocResult,
  bootstrap: FrocBootstrap | undefined,
  baseline: FrocResult | undefined,
  paired: FrocPairedBootstrap | undefined,
): Record<string, unknown> {
  const ci = bootstrap
    ? {
      confidence: bootstrap.confidence,
      method:
        "scan-level percentile bootstrap: sorted values at indices floor(0.025·V) and floor(0.975·V) of the V resamples that are not NaN; the CPM interval uses the per-resample CPM",
      resamples: bootstrap.resamples,
      nanResamples: bootstrap.nanResamples,
      seed: bootstrap.seed,
      cpm: [bootstrap.cpm.lower, bootstrap.cpm.upper],
      sensitivities: bootstrap.sensitivities.map((s) => [s.lower, s.upper]),
      cpmMean: bootstrap.cpm.mean,
      band: bootstrap.band,
    }
    : null;
  const bySize = sensitivityBySize(result).map((band) => ({
    label: band.label,
    nodules: band.nodules,
    detected: band.detected,
    sensitivity: band.sensitivity,
    atRates: band.atRates.map((a) => a.sensitivity),
  }));
  const missed = result.nodules.filter((n) => !n.detected).map((n) => {
    const [x, y, z] = xyzFromZyx(n.nodule.worldMm);
    return {
      seriesuid: n.nodule.seriesuid,
      coordX: x,
      coordY: y,
      coordZ: z,
      diameter_mm: n.nodule.diameterMm,
    };
  });
  const topFalsePositives = falsePositiveMarks(
    result,
    input.marks,
    TOP_FALSE_POSITIVES,
  ).map((i) => {
    const mark = input.marks[i];
    const [x, y, z] = xyzFromZyx(mark.worldMm);
    return {
      row: i + 2,
      seriesuid: mark.seriesuid,
      coordX: x,
      coordY: y,
      coordZ: z,
      probability: mark.score,
    };
  });
  const report: Record<string, unknown> = {
    candidates: flags.candidates,
    annotations: flags.annotations,
    excluded: flags.excluded,
    seriesuids: flags.seriesuids,
    maxMarksPerScan: result.maxMarksPerScan,
    cpm: result.cpm,
    fpRates: FROC_RATES,
    sensitivities: result.sensitivities,
    points: result.points.map((p) => ({
      fps: p.fps,
      sensitivity: p.sensitivity,
      threshold: p.threshold,
    })),
    ci,
    counts: result.counts,
    denseGrid: {
      note:
        "fork-style CPM (curve sampled on linspace(0.125, 8, 10001)); for cross-checking only",
      ...result.denseGrid,
    },
    bySize: {
      note:
        "at each rate, nodules detected with a score >= the threshold of the operating point at or below that rate",
      bands: bySize,
    },
    missed,
    topFalsePositives,
  };
  if (baseline) {
    report.comparison = {
      baseline: flags.baseline,
      baselineCpm: baseline.cpm,
      baselineSensitivities: baseline.sensitivities,
      deltaCpm: result.cpm - baseline.cpm,
      ...(paired
        ? {
          method:
            "paired scan-level bootstrap (same drawn scans for both); p = min(1, 2·min((1 + #{Δ ≤ 0}) / (V + 1), (1 + #{Δ ≥ 0}) / (V + 1)))",
          ci: [paired.delta.lower, paired.delta.upper],
          pValue: paired.pValue,
          resamples: paired.resamples,
          nanResamples: paired.nanResamples,
          baselineCi: [paired.a.cpm.lower, paired.a.cpm.upper],
        }
        : {}),
    };
  }
  return report;
}

/** CSV cell for a number: `inf` / `nan` as the official script writes them. */
function csvNumber(value: number): string | number {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

/** JSON replacer: NaN and ±Infinity become null. */
function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}
