/**
 * `pleura eval`: LUNA16 FROC evaluation of a candidates CSV, with the
 * official script's semantics, seeded bootstrap intervals and an optional
 * paired comparison against a baseline.
 *
 * Writes `DIR/froc.json` (CPM, the seven sensitivities, operating points,
 * intervals, counts, size bands, missed nodules, top false positives, the
 * comparison), `DIR/froc.csv` (the curve) and `DIR/froc.svg` (the plot).
 *
 * @module
 */

import { basename, join } from "node:path";
import { Command } from "commander";
import { formatCsv } from "../dataset/csv.ts";
import {
  readAnnotationsCsv,
  readCandidatesCsv,
  readSeriesuidsCsv,
} from "../dataset/luna16.ts";
import {
  bootstrapFroc,
  computeFroc,
  falsePositiveMarks,
  FROC_RATES,
  type FrocBootstrap,
  type FrocInput,
  type FrocPairedBootstrap,
  type FrocResult,
  pairedBootstrapFroc,
  sensitivityBySize,
} from "../froc.ts";
import { renderFrocSvg } from "../froc_svg.ts";
import { xyzFromZyx } from "../volume.ts";
import { type CliContext, UsageError } from "./context.ts";

/** Flags of `pleura eval`, as commander hands them over. */
interface EvalFlags {
  annotations?: string;
  excluded?: string;
  seriesuids?: string;
  candidates?: string;
  out?: string;
  baseline?: string;
  bootstrap: string;
  seed: string;
  cap: boolean;
}

/** How many of the highest-scoring false positives `froc.json` lists. */
const TOP_FALSE_POSITIVES = 50;

/** Builds the `eval` command. */
export function evalCommand(context: CliContext): Command {
  return new Command("eval")
    .description(
      "FROC / CPM of a LUNA16 candidates CSV (official semantics) with bootstrap intervals",
    )
    .option("--annotations <file>", "annotations.csv (included nodules)")
    .option(
      "--excluded <file>",
      "annotations_excluded.csv (irrelevant findings)",
    )
    .option("--seriesuids <file>", "seriesuids.csv (the scan list, no header)")
    .option(
      "--candidates <file>",
      "results CSV: seriesuid,coordX,coordY,coordZ,probability",
    )
    .option("--out <dir>", "output folder (created if missing)")
    .option(
      "--baseline <file>",
      "a second candidates CSV: paired bootstrap of the difference",
    )
    .option("--bootstrap <n>", "bootstrap resamples (0: none)", "1000")
    .option("--seed <n>", "bootstrap seed", "0")
    .option("--no-cap", "keep every mark (default: at most 100 per scan)")
    .action(async (flags: EvalFlags) => {
      await runEval(context, flags);
    });
}

async function runEval(context: CliContext, flags: EvalFlags): Promise<void> {
  const required = [
    "annotations",
    "excluded",
    "seriesuids",
    "candidates",
    "out",
  ] as const;
  for (const name of required) {
    if (!flags[name]) {
      throw new UsageError(
        `eval: missing option --${name} (needs --annotations, --excluded, --seriesuids, --candidates and --out)`,
      );
    }
  }
  const resamples = integerFlag("bootstrap", flags.bootstrap, 0);
  const seed = integerFlag("seed", flags.seed, -(2 ** 31));
  const out = flags.out!;

  // Read one after the other so that the first bad file is the one reported.
  const annotations = await readAnnotationsCsv(flags.annotations!);
  const excluded = await readAnnotationsCsv(flags.excluded!, "excluded");
  const seriesuids = await readSeriesuidsCsv(flags.seriesuids!);
  const marks = await readCandidatesCsv(flags.candidates!);
  const options = { maxMarksPerScan: flags.cap ? 100 : null };
  const input: FrocInput = { seriesuids, annotations, excluded, marks };
  const result = computeFroc(input, options);
  let baseline: FrocResult | undefined;
  if (flags.baseline) {
    const baselineMarks = await readCandidatesCsv(flags.baseline);
    baseline = computeFroc({ ...input, marks: baselineMarks }, options);
  }

  let bootstrap: FrocBootstrap | undefined;
  let paired: FrocPairedBootstrap | undefined;
  if (resamples > 0) {
    const settings = { resamples, seed, progress: context.progress };
    if (baseline) {
      paired = pairedBootstrapFroc(baseline, result, settings);
      bootstrap = paired.b;
    } else {
      bootstrap = bootstrapFroc(result, settings);
    }
  }

  await Deno.mkdir(out, { recursive: true });
  const report = buildReport(flags, input, result, bootstrap, baseline, paired);
  await Deno.writeTextFile(
    join(out, "froc.json"),
    JSON.stringify(report, finiteOrNull, 2) + "\n",
  );
  await Deno.writeTextFile(
    join(out, "froc.csv"),
    formatCsv([
      ["fps", "sensitivity", "threshold"],
      ...result.points.map((p) => [
        csvNumber(p.fps),
        csvNumber(p.sensitivity),
        csvNumber(p.threshold),
      ]),
    ]),
  );
  await Deno.writeTextFile(
    join(out, "froc.svg"),
    renderFrocSvg(result, {
      name: basename(flags.candidates!),
      bootstrap,
    }),
  );
  printSummary(context, flags, result, bootstrap, baseline, paired, out);
}

function integerFlag(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `eval: option --${name} is "${value}", expected an integer >= ${min}`,
    );
  }
  return n;
}

function buildReport(
  flags: EvalFlags,
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

function printSummary(
  context: CliContext,
  flags: EvalFlags,
  result: FrocResult,
  bootstrap: FrocBootstrap | undefined,
  baseline: FrocResult | undefined,
  paired: FrocPairedBootstrap | undefined,
  out: string,
): void {
  const c = result.counts;
  context.print(
    `${
      basename(flags.candidates!)
    }: ${c.scans} scans, ${c.nodules} nodules, ${c.candidates} candidates (TP ${c.truePositives}, FP ${c.falsePositives}, FN ${c.falseNegatives}, ${c.ignoredOnExcluded} on excluded findings)`,
  );
  const ci = bootstrap && Number.isFinite(bootstrap.cpm.lower)
    ? ` (95% CI ${fixed(bootstrap.cpm.lower)}–${
      fixed(bootstrap.cpm.upper)
    }, ${bootstrap.resamples} resamples${
      bootstrap.nanResamples > 0 ? `, ${bootstrap.nanResamples} NaN` : ""
    })`
    : "";
  context.print(`CPM ${fixed(result.cpm)}${ci}`);
  context.print(
    `sensitivity at 1/8 1/4 1/2 1 2 4 8 FP/scan: ${
      result.sensitivities.map(fixed).join(" ")
    }`,
  );
  if (baseline) {
    const p = paired
      ? ` (95% CI ${fixed(paired.delta.lower)}–${
        fixed(paired.delta.upper)
      }, p = ${paired.pValue.toPrecision(3)})`
      : "";
    context.print(
      `baseline ${basename(flags.baseline!)}: CPM ${
        fixed(baseline.cpm)
      }, ΔCPM ${signed(result.cpm - baseline.cpm)}${p}`,
    );
  }
  context.print(`wrote ${join(out, "froc.json")}, froc.csv, froc.svg`);
}

function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : "NaN";
}

function signed(value: number): string {
  return Number.isFinite(value)
    ? (value >= 0 ? "+" : "") + value.toFixed(4)
    : "NaN";
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
