/**
 * `pleura train EXPERIMENT.yaml`: trains the experiment (every hard-mining
 * stage), predicts the held-out fold and scores it with FROC; the run lands
 * in the run store. Started again after a crash or `kill -9`, the same
 * command resumes the unfinished run from its newest checkpoint.
 *
 * @module
 */

import { Command } from "commander";
import { loadExperiment } from "../experiment.ts";
import { openRunStore } from "../run_store_sqlite.ts";
import { prepareRunData } from "../train/data.ts";
import { runExperiment } from "../train/run.ts";
import type { CliContext } from "./context.ts";

/** Default run-store folder. */
export const DEFAULT_RUNS_DIR = "runs";

/** Collects repeated `--set` values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Builds the `train` command. */
export function trainCommand(context: CliContext): Command {
  return new Command("train")
    .description(
      "Train an experiment, predict its held-out fold and score it (resumes an unfinished run of the same config)",
    )
    .argument("<experiment>", "experiment YAML (configs/base/cpu.yaml, …)")
    .option(
      "--set <path=value>",
      "override a setting, e.g. model.miner.options.k=3 (repeatable)",
      collect,
      [],
    )
    .option("--runs <dir>", "run store folder", DEFAULT_RUNS_DIR)
    .option("--fresh", "start a new run even if an unfinished one exists")
    .option("--run-id <id>", "work in this existing (e.g. queued) run")
    .action(async (
      file: string,
      flags: { set: string[]; runs: string; fresh?: boolean; runId?: string },
    ) => {
      const experiment = await loadExperiment(file, context.registry, {
        set: flags.set,
      });
      const store = openRunStore(flags.runs);
      try {
        const run = await runExperiment(experiment, {
          registry: context.registry,
          store,
          data: (pluginContext) =>
            prepareRunData(experiment, context.registry, pluginContext),
          logger: context.logger,
          progress: context.progress,
          fresh: flags.fresh,
          runId: flags.runId,
        });
        const ci = run.cpmCi
          ? ` (95% CI ${run.cpmCi[0].toFixed(4)}–${run.cpmCi[1].toFixed(4)})`
          : "";
        context.print(`run ${run.id}: CPM ${run.cpm?.toFixed(4)}${ci}`);
        context.print(`run folder: ${store.runDir(run.id)}`);
      } finally {
        store.close();
      }
    });
}
