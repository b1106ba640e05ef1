/**
 * `pleura ablate GRID.yaml`: runs the base experiment and every variant of a
 * grid on the same scans (each a resumable run in the store), then prints a
 * table of CPM ± CI per variant and the paired ΔCPM of each against the
 * base (paired scan-level bootstrap on the held-out fold).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { type AblationGrid, loadGrid } from "../ablation.ts";
import { readCandidatesCsv } from "../dataset/luna16.ts";
import { evaluateFroc } from "../froc_report.ts";
import type { RunRecord, RunStore } from "../run_store.ts";
import { openRunStore } from "../run_store_sqlite.ts";
import { prepareRunData, testFoldFindings } from "../train/data.ts";
import { runExperiment } from "../train/run.ts";
import type { CliContext } from "./context.ts";
import { collect, DEFAULT_RUNS_DIR } from "./train.ts";

/** One row of the comparison table. */
export interface AblationRow {
  /** Variant label (`base` for the base experiment). */
  readonly label: string;
  /** The run. */
  readonly run: RunRecord;
  /** ΔCPM against the base, with its paired CI and p-value. */
  readonly delta?: { value: number; ci: [number, number]; pValue: number };
}

/** Builds the `ablate` command. */
export function ablateCommand(context: CliContext): Command {
  return new Command("ablate")
    .description(
      "Run every variant of an ablation grid and compare CPM against the base",
    )
    .argument("<grid>", "grid YAML (configs/ablations/miner.yaml, …)")
    .option(
      "--set <path=value>",
      "override a setting of the base and every variant (repeatable)",
      collect,
      [],
    )
    .option("--runs <dir>", "run store folder", DEFAULT_RUNS_DIR)
    .action(async (file: string, flags: { set: string[]; runs: string }) => {
      const grid = await loadGrid(file, context.registry, { set: flags.set });
      const store = openRunStore(flags.runs);
      try {
        const rows = await runGrid(grid, store, context);
        for (const line of formatAblationTable(rows)) context.print(line);
      } finally {
        store.close();
      }
    });
}

/**
 * Runs (or resumes, or reuses) the base and every variant, then compares
 * each variant with the base; returns the rows, base first.
 */
export async function runGrid(
  grid: AblationGrid,
  store: RunStore,
  context: CliContext,
): Promise<AblationRow[]> {
  const ablation =
    store.listAblations().find((a) =>
      a.name === grid.name && a.gridJson === grid.gridJson
    ) ?? store.createAblation({ name: grid.name, gridJson: grid.gridJson });
  const jobs = [
    { label: "base", experiment: grid.base, hash: grid.baseHash },
    ...grid.variants.filter((v) => v.hash !== grid.baseHash),
  ];
  const runs: { label: string; run: RunRecord }[] = [];
  for (const [i, job] of jobs.entries()) {
    context.logger.info(
      `Ablation ${grid.name}: ${i + 1}/${jobs.length} ${job.label}`,
    );
    const run = await runExperiment(job.experiment, {
      registry: context.registry,
      store,
      data: (pluginContext) =>
        prepareRunData(job.experiment, context.registry, pluginContext),
      logger: context.logger,
      progress: context.progress,
      ablationId: ablation.id,
      variant: job.label,
      reuseDone: true,
    });
    runs.push({ label: job.label, run });
    if (job.label === "base") store.setAblationBase(ablation.id, run.id);
  }
  // Paired comparison on the held-out fold of the base experiment.
  const base = runs[0];
  const findings = await testFoldFindings(grid.base);
  const baseMarks = await readCandidatesCsv(
    join(store.runDir(base.run.id), "candidates.csv"),
  );
  const rows: AblationRow[] = [{ label: base.label, run: base.run }];
  for (const { label, run } of runs.slice(1)) {
    const path = join(store.runDir(run.id), "candidates.csv");
    if (!existsSync(path)) {
      rows.push({ label, run });
      continue;
    }
    const evaluation = evaluateFroc({
      ...findings,
      marks: await readCandidatesCsv(path),
    }, {
      maxMarksPerScan: grid.base.eval.max_marks_per_scan || null,
      resamples: Math.max(grid.base.eval.bootstrap, 100),
      seed: grid.base.train.seed,
      baselineMarks: baseMarks,
    });
    const paired = evaluation.paired!;
    const delta = {
      value: evaluation.result.cpm - evaluation.baseline!.cpm,
      ci: [paired.delta.lower, paired.delta.upper] as [number, number],
      pValue: paired.pValue,
    };
    store.putArtifact(run.id, "ablation.comparison", {
      ablationId: ablation.id,
      baseRunId: base.run.id,
      deltaCpm: delta.value,
      ci: delta.ci,
      pValue: delta.pValue,
      resamples: paired.resamples,
    });
    rows.push({ label, run, delta });
  }
  return rows;
}

/** The comparison as aligned text lines. */
export function formatAblationTable(rows: readonly AblationRow[]): string[] {
  const f = (v: number | undefined) =>
    v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(3);
  const signed = (v: number) =>
    Number.isFinite(v) ? (v >= 0 ? "+" : "") + v.toFixed(3) : "—";
  const table = [
    ["variant", "run", "CPM", "95% CI", "ΔCPM vs base", "95% CI", "p"],
    ...rows.map((row) => [
      row.label,
      row.run.id,
      f(row.run.cpm),
      row.run.cpmCi ? `${f(row.run.cpmCi[0])}–${f(row.run.cpmCi[1])}` : "—",
      row.delta
        ? signed(row.delta.value)
        : row.label === "base"
        ? "(base)"
        : "—",
      row.delta ? `${signed(row.delta.ci[0])}…${signed(row.delta.ci[1])}` : "",
      row.delta ? row.delta.pValue.toPrecision(2) : "",
    ]),
  ];
  const widths = table[0].map((_, c) =>
    Math.max(...table.map((line) => line[c].length))
  );
  return table.map((line) =>
    line.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()
  );
}
