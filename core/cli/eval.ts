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
import {
  readAnnotationsCsv,
  readCandidatesCsv,
  readSeriesuidsCsv,
} from "../dataset/luna16.ts";
import type {
  FrocBootstrap,
  FrocInput,
  FrocPairedBootstrap,
  FrocResult,
} from "../froc.ts";
import { evaluateFroc, writeFrocFiles } from "../froc_report.ts";
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
  const input: FrocInput = { seriesuids, annotations, excluded, marks };
  const evaluation = evaluateFroc(input, {
    maxMarksPerScan: flags.cap ? 100 : null,
    resamples,
    seed,
    progress: context.progress,
    baselineMarks: flags.baseline
      ? await readCandidatesCsv(flags.baseline)
      : undefined,
  });
  await writeFrocFiles(out, evaluation, flags, basename(flags.candidates!));
  const { result, bootstrap, baseline, paired } = evaluation;
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
