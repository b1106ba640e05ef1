/**
 * `pleura predict`: full-scan prediction with a trained run's exported
 * model. Reads the run's resolved experiment from the run store, recreates
 * its segmenter and anchor head, loads `<run folder>/model.onnx` (written by
 * the trainer at the end of training) into ONNX Runtime, predicts one scan
 * (`.mhd`, `.mha`, `.nii`, `.nii.gz` or a DICOM folder) or every scan of a
 * LUNA16-layout dataset, and writes a LUNA16 candidates CSV
 * (`seriesuid,coordX,coordY,coordZ,probability`, the probability column
 * holding the head's logit).
 *
 * Scans already preprocessed with the run's segmenter and the inference
 * settings (the held-out fold of `pleura train`, `pleura preprocess --mode
 * infer`) are read from the run's `data.cache_dir` instead of being
 * segmented again, and the others are written there; `--no-cache` does
 * neither.
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { openLuna16Dataset } from "../dataset/luna16.ts";
import { writeCandidatesCsv } from "../dataset/luna16.ts";
import {
  mergeExperiment,
  parseSets,
  type ResolvedExperiment,
  resolveExperiment,
  storedExperimentInput,
} from "../experiment.ts";
import { seriesUidFromPath } from "../io/mod.ts";
import { createOnnxModel } from "../onnx/inference.ts";
import { INFERENCE_PREPROCESS } from "../preprocess.ts";
import { preprocessCacheFolder } from "../preprocess_cache.ts";
import type { PluginContext } from "../plugin.ts";
import {
  fuseDetections,
  stageFuseOptions,
  weightedStages,
} from "../predict/fuse.ts";
import {
  type DatasetPrediction,
  type DatasetScan,
  predictDataset,
} from "../predict/predict.ts";
import { createRng } from "../random.ts";
import {
  RUN_MODEL_FILE,
  type RunRecord,
  stageModelFile,
} from "../run_store.ts";
import { openRunStore, RUN_STORE_DB_FILE } from "../run_store_sqlite.ts";
import { type CliContext, UsageError } from "./context.ts";

/** How many recent run ids an "unknown run" error suggests. */
const HINT_RUNS = 5;

/** Setting prefixes `--set` may change at prediction time. */
const SETTABLE = ["eval.", "model.segmenter."];

/** Flags of `pleura predict`, as commander hands them over. */
interface PredictFlags {
  run?: string;
  runs: string;
  input?: string;
  out?: string;
  set: string[];
  subsets?: string;
  diameter?: boolean;
  cache: boolean;
  stage?: string;
}

/** Builds the `predict` command. */
export function predictCommand(context: CliContext): Command {
  return new Command("predict")
    .description(
      "Predict nodules in a scan or a LUNA16 dataset with a trained run's model; writes a candidates CSV",
    )
    .option("--run <id>", "the run whose model predicts")
    .option("--runs <dir>", "the run store folder", "runs")
    .option(
      "--input <path>",
      "a scan (.mhd, .mha, .nii, .nii.gz, DICOM folder) or a LUNA16 dataset folder",
    )
    .option("--out <csv>", "candidates CSV to write")
    .option(
      "--set <path=value>",
      "override an eval.* or model.segmenter.* setting (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--subsets <list>",
      "with a dataset: only these subsets, e.g. 9 or 8,9 (default: every scan)",
    )
    .option("--diameter", "add a diameter_mm column")
    .option(
      "--stage <n>",
      "predict with the model of hard-mining stage n (default: the run's final model)",
    )
    .option(
      "--no-cache",
      "segment and preprocess every scan again instead of reading (and filling) the run's preprocessing cache (data.cache_dir)",
    )
    .action(async (flags: PredictFlags) => {
      await runPredict(context, flags);
    });
}

async function runPredict(
  context: CliContext,
  flags: PredictFlags,
): Promise<void> {
  for (const name of ["run", "input", "out"] as const) {
    if (!flags[name]) {
      throw new UsageError(
        `predict: missing option --${name} (needs --run, --input and --out)`,
      );
    }
  }
  for (const set of flags.set) {
    if (!SETTABLE.some((prefix) => set.startsWith(prefix))) {
      throw new UsageError(
        `predict: cannot override "${set}": only eval.* and model.segmenter.* settings can change at prediction time (the network was trained with the rest)`,
      );
    }
  }
  const stage = parseStage(flags.stage);
  const scans = await listInput(flags.input!, flags.subsets);
  const { run, experiment, models, fuse, runDir } = loadRun(
    context,
    flags.runs,
    flags.run!,
    flags.set,
    stage,
  );
  context.logger.info(`Predicting with run "${run.id}" (${run.name})`, {
    scans: scans.length,
    eval: experiment.eval,
  });

  const pluginContext: PluginContext = {
    logger: context.logger,
    progress: context.progress,
    rng: createRng(experiment.train.seed),
    paths: { cacheDir: experiment.data.cache_dir, runDir },
  };
  const { registry } = context;
  const slot = experiment.model;
  const segmenter = registry.create(
    "segmenter",
    slot.segmenter.plugin,
    slot.segmenter.options,
    pluginContext,
  );
  const backbone = registry.create(
    "backbone",
    slot.backbone.plugin,
    slot.backbone.options,
    pluginContext,
  );
  const head = registry.create(
    "anchor_head",
    slot.anchor_head.plugin,
    slot.anchor_head.options,
    pluginContext,
  );
  const threads = experiment.eval.threads > 0
    ? experiment.eval.threads
    : navigator.hardwareConcurrency ?? 1;
  const cacheDir = flags.cache
    ? preprocessCacheFolder(experiment.data.cache_dir, {
      segmenterId: slot.segmenter.plugin,
      segmenterOptions: slot.segmenter.options,
      preprocess: INFERENCE_PREPROCESS,
    }).dir
    : undefined;
  // One pass per model; the first fills the preprocessing cache the others
  // read (when it is on).
  const passes: DatasetPrediction[] = [];
  for (const { stage: modelStage, bytes } of models) {
    if (fuse) {
      context.logger.info(`Predicting with stage ${modelStage}'s model`);
    }
    const model = await createOnnxModel(bytes, { threads });
    try {
      passes.push(
        await predictDataset(scans, {
          segmenter,
          head,
          model,
          eval: experiment.eval,
          maxStride: backbone.maxStride,
          blobChannel: experiment.data.blob_channel,
          logger: context.logger,
          progress: context.progress,
          // The held-out scans' entries of `pleura train` and `pleura
          // preprocess --mode infer`: this segmenter, inference settings.
          cacheDir,
        }),
      );
    } finally {
      await model.dispose();
    }
  }
  // Fused: one list per stage, empty for the stages of weight 0.
  const detections = fuse
    ? fuseDetections(
      experiment.eval.stage_weights.map((_, s) =>
        passes[models.findIndex((m) => m.stage === s)]?.detections ?? []
      ),
      stageFuseOptions(experiment.eval),
    )
    : passes[0].detections;
  await writeCandidatesCsv(flags.out!, detections, {
    diameter: flags.diameter,
  });
  const first = passes[0];
  const empty = first.scans.filter((s) => s.emptyReason !== undefined);
  const cached = first.scans.filter((s) => s.cached).length;
  const notes = [
    ...(fuse ? [`stages ${models.map((m) => m.stage).join(", ")} fused`] : []),
    ...(cached > 0 ? [`${cached} read from the preprocessing cache`] : []),
    ...(empty.length > 0 ? [`${empty.length} with no lung found`] : []),
  ];
  context.print(
    `${detections.length} candidates from ${scans.length} scan${
      scans.length === 1 ? "" : "s"
    } written to ${flags.out}${
      notes.length > 0 ? ` (${notes.join("; ")})` : ""
    }`,
  );
}

/**
 * Reads the run, its resolved experiment (with overrides) and the models to
 * predict with: stage `stage`'s, each weighted stage's (`fuse`, with
 * `eval.stage_weights`), or the final one.
 */
function loadRun(
  context: CliContext,
  runsDir: string,
  id: string,
  sets: readonly string[],
  stage?: number,
): {
  run: RunRecord;
  experiment: ResolvedExperiment;
  models: { stage: number | undefined; bytes: Uint8Array }[];
  fuse: boolean;
  runDir: string;
} {
  if (!existsSync(join(runsDir, RUN_STORE_DB_FILE))) {
    throw new Error(
      `Cannot predict with run "${id}": "${
        resolve(runsDir)
      }" holds no run store (${RUN_STORE_DB_FILE}), expected the folder given to \`pleura train --runs\``,
    );
  }
  const store = openRunStore(runsDir);
  try {
    let run: RunRecord | undefined;
    try {
      run = store.getRun(id);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
    if (!run) {
      const latest = store.listRuns().slice(0, HINT_RUNS).map((r) =>
        `"${r.id}"`
      );
      throw new Error(
        `Cannot predict: no run "${id}" in "${resolve(runsDir)}", expected ${
          latest.length > 0
            ? `one of the latest runs: ${latest.join(", ")}`
            : "a run id, but the store has no runs yet"
        }`,
      );
    }
    const runDir = store.runDir(run.id);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(run.configJson);
    } catch (error) {
      throw new Error(
        `Cannot predict with run "${run.id}": its stored experiment is not valid JSON, expected the resolved experiment`,
        { cause: error },
      );
    }
    // The stored form is the resolved experiment; resolving it again needs
    // the input form.
    raw = storedExperimentInput(raw);
    const merged = sets.length > 0
      ? mergeExperiment(raw, parseSets(sets, `run ${run.id}`))
      : raw;
    const experiment = resolveExperiment(merged, context.registry, {
      file: `run ${run.id}`,
    });
    // --stage picks one stage's model; eval.stage_weights fuses the stages'
    // models; else the final model.
    const weights = experiment.eval.stage_weights;
    const wanted = stage !== undefined ? [stage] : weightedStages(weights);
    const models = wanted.map((s) => {
      const path = join(runDir, stageModelFile(s));
      if (!existsSync(path)) {
        const done = store.stages(run.id).filter((r) => r.status === "done")
          .map((r) => r.index);
        throw new UsageError(
          `predict: ${
            stage !== undefined ? `--stage ${s}` : "eval.stage_weights"
          }: run "${run.id}" has no model "${path}", expected ${
            done.length > 0
              ? `one of its finished stages: ${done.join(", ")}`
              : "a stage the run finished, but it has none"
          }`,
        );
      }
      return { stage: s as number | undefined, bytes: Deno.readFileSync(path) };
    });
    if (models.length === 0) {
      // The final model: only a run whose training finished has one (a
      // running run's finished stages predict with --stage).
      const finalPath = join(runDir, RUN_MODEL_FILE);
      if (!existsSync(finalPath)) {
        throw new Error(
          `Cannot predict with run "${run.id}": it has no exported model "${finalPath}" (status "${run.status}"), expected a run whose training finished (the trainer writes ${RUN_MODEL_FILE} at the end)`,
        );
      }
      models.push({ stage: undefined, bytes: Deno.readFileSync(finalPath) });
    }
    return {
      run,
      experiment,
      models,
      fuse: stage === undefined && weights.length > 0,
      runDir,
    };
  } finally {
    store.close();
  }
}

/** The scans of `input`: one scan file or DICOM folder, or a LUNA16 dataset's scans. */
async function listInput(
  input: string,
  subsets: string | undefined,
): Promise<DatasetScan[]> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(input).isDirectory();
  } catch {
    throw new Error(
      `Cannot predict: input "${input}" does not exist, expected a scan file (.mhd, .mha, .nii, .nii.gz), a DICOM folder or a LUNA16 dataset folder`,
    );
  }
  const wanted = subsets === undefined ? undefined : parseSubsets(subsets);
  if (isDirectory && isLuna16Root(input)) {
    const dataset = await openLuna16Dataset(input);
    const scans = wanted ? dataset.folds(wanted).scans : dataset.scans;
    return scans.map((scan) => ({
      seriesuid: scan.seriesuid,
      imagePath: scan.imagePath,
    }));
  }
  if (wanted) {
    throw new UsageError(
      `predict: --subsets needs a LUNA16 dataset folder, but "${input}" is a single scan`,
    );
  }
  return [{ seriesuid: seriesUidFromPath(input), imagePath: input }];
}

function isLuna16Root(dir: string): boolean {
  for (let subset = 0; subset < 10; subset++) {
    if (existsSync(join(dir, `subset${subset}`))) return true;
  }
  return false;
}

function parseStage(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < 0) {
    throw new UsageError(
      `predict: --stage is "${text}", expected a stage number (0 for the first stage)`,
    );
  }
  return value;
}

function parseSubsets(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const values = parts.map(Number);
  if (
    parts.some((p) => p === "") ||
    values.some((v) => !Number.isInteger(v) || v < 0 || v > 9)
  ) {
    throw new UsageError(
      `predict: --subsets is "${text}", expected subset numbers 0-9 separated by commas`,
    );
  }
  return values;
}
