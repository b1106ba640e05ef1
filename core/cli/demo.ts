/**
 * `pleura demo`: the main job on built-in data. Generates a small synthetic
 * LUNA16-layout dataset when none exists, runs a two-variant ablation on the
 * CPU preset (`configs/ablations/demo.yaml`: top-k against random negatives,
 * a few minutes each), prints the comparison table and serves the dashboard.
 * Runs are resumable: a second `demo` reuses finished runs.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { loadGrid } from "../ablation.ts";
import { openRunStore } from "../run_store_sqlite.ts";
import { writeSyntheticDataset } from "../synth/dataset.ts";
import { formatAblationTable, runGrid } from "./ablate.ts";
import { type CliContext, UsageError } from "./context.ts";
import { serve, serveOptions } from "./serve.ts";
import { collect } from "./train.ts";

interface DemoFlags {
  data: string;
  runs: string;
  grid: string;
  scans: string;
  size: string;
  seed: string;
  set: string[];
  serve: boolean;
  host: string;
  port: string;
}

/** Builds the `demo` command. */
export function demoCommand(context: CliContext): Command {
  return new Command("demo")
    .description(
      "Synthesize a small dataset if needed, run a two-variant ablation on the CPU preset, serve the dashboard",
    )
    .option("--data <dir>", "dataset folder (created if missing)", "data/demo")
    .option("--runs <dir>", "run store folder", "runs")
    .option(
      "--grid <file>",
      "ablation grid to run",
      "configs/ablations/demo.yaml",
    )
    .option(
      "--scans <n>",
      "scans to synthesize when the dataset is missing",
      "25",
    )
    .option("--size <px>", "in-plane size of synthesized scans", "192")
    .option("--seed <n>", "dataset seed", "2017")
    .option(
      "--set <path=value>",
      "override a setting of every run (repeatable)",
      collect,
      [],
    )
    .option(
      "--no-serve",
      "stop after the ablation instead of serving the dashboard",
    )
    .option("--host <host>", "dashboard interface", "127.0.0.1")
    .option("--port <port>", "dashboard port (0 picks a free one)", "8000")
    .action(async (flags: DemoFlags) => {
      await runDemo(context, flags);
    });
}

async function runDemo(context: CliContext, flags: DemoFlags): Promise<void> {
  const scans = positiveInt("scans", flags.scans, 5);
  const size = positiveInt("size", flags.size, 64);
  const seed = positiveInt("seed", flags.seed, 0);
  if (!existsSync(join(flags.data, "seriesuids.csv"))) {
    context.logger.info(
      `No dataset in "${flags.data}": synthesizing ${scans} chest CT scans (${size}×${size} px)`,
    );
    await writeSyntheticDataset(flags.data, {
      scans,
      seed,
      shape: { size },
      subsets: 5,
      progress: context.progress,
      logger: context.logger,
    });
  } else {
    context.logger.info(`Using the dataset in "${flags.data}"`);
  }
  const grid = await loadGrid(flags.grid, context.registry, {
    // One dataset: its own subsets train and test.
    set: [`data.dataset=${flags.data}`, "data.test_dataset=null", ...flags.set],
  });
  context.logger.info(
    `Ablation "${grid.name}": base + ${
      grid.variants.filter((v) => v.hash !== grid.baseHash).length
    } variant(s) on ${flags.data}`,
  );
  const store = openRunStore(flags.runs);
  try {
    const rows = await runGrid(grid, store, context);
    for (const line of formatAblationTable(rows)) context.print(line);
  } finally {
    store.close();
  }
  if (!flags.serve) return;
  await serve(
    context,
    serveOptions({
      host: flags.host,
      port: flags.port,
      runs: flags.runs,
      data: [flags.data],
      configs: "configs",
    }),
    new Promise((resolve) => {
      const stop = () => resolve(undefined);
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
    }),
  );
}

function positiveInt(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `demo: option --${name} is "${value}", expected an integer >= ${min}`,
    );
  }
  return n;
}
