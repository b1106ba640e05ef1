/**
 * `pleura preprocess CONFIG.yaml`: fills the preprocessed-scan cache of an
 * experiment's dataset with its segmenter (train, validation and test
 * subsets by default), so training and prediction skip the work.
 *
 * @module
 */

import { Command } from "commander";
import { type Luna16Scan, openLuna16Dataset } from "../dataset/luna16.ts";
import { loadExperiment } from "../experiment.ts";
import type { PluginContext } from "../plugin.ts";
import { INFERENCE_PREPROCESS, TRAINING_PREPROCESS } from "../preprocess.ts";
import {
  cachedBlobChannel,
  preprocessDataset,
  readPreprocessed,
} from "../preprocess_cache.ts";
import { createRng } from "../random.ts";
import { type CliContext, UsageError } from "./context.ts";

/** Flags of `pleura preprocess`, as commander hands them over. */
interface PreprocessFlags {
  set: string[];
  mode: string;
  subsets?: string;
}

/** Builds the `preprocess` command. */
export function preprocessCommand(context: CliContext): Command {
  return new Command("preprocess")
    .description(
      "Segment and preprocess an experiment's scans into the cache (data.cache_dir)",
    )
    .argument("<config>", "experiment YAML file")
    .option(
      "--set <path=value>",
      "override a setting, e.g. model.segmenter.options.threshold_hu=-150 (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--mode <mode>",
      '"train" (hull ratio 1.5) or "infer" (hull ratio 2)',
      "train",
    )
    .option(
      "--subsets <list>",
      "only these subsets, e.g. 0,1 (default: the experiment's train, val and test subsets)",
    )
    .action(async (config: string, flags: PreprocessFlags) => {
      await runPreprocess(context, config, flags);
    });
}

function parseSubsets(raw: string): number[] {
  const parts = raw.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d$/.test(p))) {
    throw new UsageError(
      `preprocess: --subsets is "${raw}", expected subset numbers 0-9 separated by commas`,
    );
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

async function runPreprocess(
  context: CliContext,
  config: string,
  flags: PreprocessFlags,
): Promise<void> {
  if (flags.mode !== "train" && flags.mode !== "infer") {
    throw new UsageError(
      `preprocess: --mode is "${flags.mode}", expected "train" or "infer"`,
    );
  }
  const chosen = flags.subsets !== undefined
    ? parseSubsets(flags.subsets)
    : null;
  const experiment = await loadExperiment(config, context.registry, {
    set: flags.set,
  });
  const data = experiment.data;
  // Held-out subsets come from test_dataset when the experiment names one.
  const separate = chosen === null ? data.test_dataset : null;
  const sorted = (subsets: number[]) =>
    [...new Set(subsets)].sort((a, b) => a - b);
  const folds = [{
    root: data.dataset,
    subsets: chosen ?? sorted([
      ...data.train_subsets,
      ...data.val_subsets,
      ...(separate === null ? data.test_subsets : []),
    ]),
  }];
  if (separate !== null) {
    folds.push({ root: separate, subsets: sorted([...data.test_subsets]) });
  }
  const scans: Luna16Scan[] = [];
  for (const fold of folds) {
    const dataset = await openLuna16Dataset(fold.root);
    scans.push(
      ...dataset.scans.filter((s) => fold.subsets.includes(s.subset)),
    );
    const absent = fold.subsets.filter((s) =>
      dataset.missingSubsets.includes(s)
    );
    if (absent.length > 0) {
      context.logger.warn(
        `Subsets ${
          absent.join(", ")
        } have no folder in "${dataset.root}": skipped`,
      );
    }
  }
  const slot = experiment.model.segmenter;
  const pluginContext: PluginContext = {
    logger: context.logger,
    progress: context.progress,
    rng: createRng(experiment.train.seed),
    paths: { cacheDir: experiment.data.cache_dir },
  };
  const segmenter = context.registry.create(
    "segmenter",
    slot.plugin,
    slot.options,
    pluginContext,
  );
  const started = performance.now();
  const result = await preprocessDataset(
    scans.map((s) => ({ seriesuid: s.seriesuid, imagePath: s.imagePath })),
    { id: slot.plugin, options: slot.options, segmenter },
    experiment.data.cache_dir,
    context.progress,
    {
      preprocess: flags.mode === "infer"
        ? INFERENCE_PREPROCESS
        : TRAINING_PREPROCESS,
      logger: context.logger,
    },
  );
  // The blob channel is part of what a run reads from the cache.
  let blobs = 0;
  if (experiment.data.blob_channel) {
    const ids = [...result.processed, ...result.cached];
    context.progress.start("blob channels", ids.length, "scans");
    for (const [i, seriesuid] of ids.entries()) {
      const scan = await readPreprocessed(
        result.dir,
        seriesuid,
        context.logger,
      );
      if (scan) {
        await cachedBlobChannel(result.dir, seriesuid, scan, context.logger);
        blobs++;
      }
      context.progress.step("blob channels", i + 1);
    }
    context.progress.end("blob channels");
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  context.print(
    `preprocessed ${result.processed.length}, already cached ${result.cached.length}, failed ${result.failed.length} of ${scans.length} scans (${
      folds.length === 1
        ? `subsets ${folds[0].subsets.join(",")}`
        : folds.map((f) => `subsets ${f.subsets.join(",")} of ${f.root}`)
          .join("; ")
    }, segmenter "${slot.plugin}", ${flags.mode})${
      experiment.data.blob_channel ? `, ${blobs} blob channels` : ""
    } → ${result.dir} [${seconds} s]`,
  );
  for (const f of result.failed) {
    context.print(`  failed ${f.seriesuid}: ${f.reason}`);
  }
  if (result.failed.length > 0) {
    throw new Error(
      `preprocess: ${result.failed.length} of ${scans.length} scans failed`,
    );
  }
}
