/**
 * A whole run: one resolved experiment trained stage by stage (hierarchical
 * hard mining), exported to ONNX, used to predict the held-out scans, and
 * scored with the LUNA16 FROC — everything recorded in the run store.
 *
 * Runs are resumable: the same experiment (same config hash) started again
 * continues the unfinished run from its newest checkpoint. Completed stages
 * are not repeated; mined lists are stored as artefacts so the next stage
 * sees the same data after a restart.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AnchorHead, ScoredCube } from "../anchor_head.ts";
import type { Backbone, BackboneNetwork } from "../backbone.ts";
import type { Engine } from "../engine/engine.ts";
import { createEngine } from "../engine/mod.ts";
import {
  canonicalJson,
  EXPERIMENT_SCHEMA_VERSION,
  experimentHash,
  type ResolvedExperiment,
} from "../experiment.ts";
import { formatCandidatesCsv } from "../dataset/luna16.ts";
import type { FrocFinding } from "../froc.ts";
import { evaluateFroc, jsonSafe, writeFrocFiles } from "../froc_report.ts";
import {
  createLogger,
  createProgress,
  type Logger,
  type Progress,
} from "../logger.ts";
import type { Loss } from "../loss.ts";
import type { Miner } from "../miner.ts";
import { exportDetector } from "../onnx/export.ts";
import {
  fuseDetections,
  stageFuseOptions,
  weightedStages,
} from "../predict/fuse.ts";
import type { PluginContext } from "../plugin.ts";
import { createRng } from "../random.ts";
import type { Registry } from "../registry.ts";
import {
  RUN_MODEL_FILE,
  type RunRecord,
  type RunStore,
  stageModelFile,
  type StageRecord,
} from "../run_store.ts";
import type { Detection } from "../volume.ts";
import {
  type Checkpoint,
  decodeCheckpoint,
  writeCheckpoint,
  writeFileAtomic,
} from "./checkpoint.ts";
import {
  buildSampleList,
  type CropOptions,
  type PreparedScan,
  type SampleEntry,
} from "./crops.ts";
import { mineHardExamples } from "./mining.ts";
import {
  derivedSeed,
  loadWeights,
  type StageModel,
  type StageResult,
  type StageSettings,
  trainStage,
} from "./trainer.ts";

/** The data a run works on, prepared by the caller (see `data.ts`). */
export interface RunData {
  /** Preprocessed training scans with their nodules (1 mm frame). */
  readonly train: readonly PreparedScan[];
  /** The held-out scan list (defines N of the FROC). */
  readonly testSeriesuids: readonly string[];
  /** Included nodules of the held-out scans (world mm). */
  readonly testAnnotations: readonly FrocFinding[];
  /** Irrelevant findings of the held-out scans. */
  readonly testExcluded: readonly FrocFinding[];
  /**
   * Predicts the held-out scans with an exported model.
   *
   * @param model ONNX bytes of backbone + head
   * @returns detections in world mm, every held-out scan
   */
  predictTest(model: Uint8Array, progress: Progress): Promise<Detection[]>;
  /**
   * Predicts the training scans in their own 1 mm frames (for mining).
   *
   * @returns one list of boxes per training scan, in `train` order
   */
  predictTrain(model: Uint8Array, progress: Progress): Promise<ScoredCube[][]>;
}

/** Dependencies of {@linkcode runExperiment}. */
export interface RunOptions {
  /** The plugins. */
  readonly registry: Registry;
  /** Where the run is recorded. */
  readonly store: RunStore;
  /** Prepares the data (called once the run exists, so failures are recorded). */
  readonly data: (context: PluginContext) => Promise<RunData>;
  /** Terminal logger; run events are also written to the store. */
  readonly logger: Logger;
  /** Terminal progress; run progress is also written to the store. */
  readonly progress: Progress;
  /** Ablation membership. */
  readonly ablationId?: string;
  /** Variant label inside the ablation. */
  readonly variant?: string;
  /** Start a new run even when an unfinished one with the same config exists. */
  readonly fresh?: boolean;
  /** Reuse a finished run with the same config instead of training again. */
  readonly reuseDone?: boolean;
  /** Work in this existing run (e.g. queued by the dashboard). */
  readonly runId?: string;
}

/** Keeps this many newest checkpoint files per run. */
const KEEP_CHECKPOINTS = 2;

/**
 * Finds the run to continue (same config hash, not done, same ablation) or
 * creates a new one.
 */
export function openRun(
  experiment: ResolvedExperiment,
  store: RunStore,
  options: Pick<
    RunOptions,
    "ablationId" | "variant" | "fresh" | "reuseDone" | "runId"
  >,
): { run: RunRecord; resumed: boolean } {
  const hash = experimentHash(experiment);
  if (options.runId !== undefined) {
    const run = store.getRun(options.runId);
    if (!run) {
      throw new RangeError(
        `Cannot open run "${options.runId}": no such run in "${store.root}"`,
      );
    }
    if (run.configHash !== hash) {
      throw new RangeError(
        `Cannot continue run "${run.id}": its config hash is ${
          run.configHash.slice(0, 12)
        }…, expected ${hash.slice(0, 12)}… of the given experiment`,
      );
    }
    return { run, resumed: run.status !== "queued" };
  }
  if (!options.fresh) {
    const candidates = store.listRuns().filter((run) =>
      run.configHash === hash &&
      (options.ablationId === undefined ||
        run.ablationId === options.ablationId)
    );
    const done = candidates.find((run) => run.status === "done");
    if (done && options.reuseDone) return { run: done, resumed: true };
    const open = candidates.find((run) => run.status !== "done");
    if (open) return { run: open, resumed: true };
  }
  const run = store.createRun({
    name: experiment.name,
    configJson: canonicalJson(experiment),
    configHash: hash,
    schemaVersion: EXPERIMENT_SCHEMA_VERSION,
    slots: experiment.model,
    ablationId: options.ablationId,
    variant: options.variant,
  });
  return { run, resumed: false };
}

/**
 * Trains, predicts and scores one experiment; returns the final run record.
 *
 * @param experiment the resolved experiment
 * @param options registry, store, data preparation, logging
 * @returns the run, `done` with its CPM, or throws after recording `failed`
 */
export async function runExperiment(
  experiment: ResolvedExperiment,
  options: RunOptions,
): Promise<RunRecord> {
  const { store } = options;
  const { run, resumed } = openRun(experiment, store, options);
  if (run.status === "done") {
    options.logger.info(`Run ${run.id} already done (CPM ${run.cpm})`);
    return run;
  }
  const runDir = store.runDir(run.id);
  const { logger, progress } = teeToStore(store, run.id, options);
  store.updateRun(run.id, {
    status: "running",
    startedAt: run.startedAt ?? Date.now(),
    error: undefined,
  });
  logger.info(
    `${resumed ? "Resuming" : "Starting"} run ${run.id} (${experiment.name})`,
    { runDir },
  );
  let engine: Engine | undefined;
  try {
    const context: PluginContext = {
      logger,
      progress,
      rng: createRng(experiment.train.seed),
      paths: { cacheDir: experiment.data.cache_dir, runDir },
    };
    const registry = options.registry;
    const slot = experiment.model;
    const backbone = registry.create(
      "backbone",
      slot.backbone.plugin,
      slot.backbone.options,
      context,
    );
    const head = registry.create(
      "anchor_head",
      slot.anchor_head.plugin,
      slot.anchor_head.options,
      context,
    );
    const miner = registry.create(
      "miner",
      slot.miner.plugin,
      slot.miner.options,
      context,
    );
    const loss = registry.create(
      "loss",
      slot.loss.plugin,
      slot.loss.options,
      context,
    );
    const finalLossSlot = experiment.train.hard_mining.final_loss;
    const finalLoss = finalLossSlot
      ? registry.create(
        "loss",
        finalLossSlot.plugin,
        finalLossSlot.options,
        context,
      )
      : loss;

    const data = await options.data(context);
    if (data.train.length === 0) {
      throw new RangeError(
        `Cannot train: no training scans in subsets [${experiment.data.train_subsets}] of "${experiment.data.dataset}"`,
      );
    }
    engine = await createEngine(experiment.train.engine, {
      threads: experiment.train.threads || undefined,
      logger,
    });
    logger.info(`Engine ${engine.name}: ${engine.description}`);
    const networks = buildNetworks(
      engine,
      backbone,
      head,
      experiment.train.seed,
    );
    const stages = experiment.train.hard_mining.stages;
    let result: StageOutcome | undefined;
    const stageDetections: (Detection[] | undefined)[] = [];
    for (let stage = 0; stage < stages; stage++) {
      const final = stage === stages - 1;
      result = await runStage({
        stage,
        final,
        experiment,
        store,
        runId: run.id,
        runDir,
        data,
        engine,
        backbone,
        head,
        miner,
        loss: final ? finalLoss : loss,
        networks,
        logger,
        progress,
      });
      stageDetections.push(result.detections);
    }
    logTrainingTime(logger, store.stages(run.id), experiment.train);
    // The final model, then the held-out FROC (the last stage's held-out
    // predictions when it already made them; with eval.stage_weights, every
    // stage's predictions fused).
    const model = result!.model;
    writeFileAtomic(join(runDir, RUN_MODEL_FILE), model);
    const detections = experiment.eval.stage_weights.length > 0
      ? await fuseStages(experiment, data, stageDetections, runDir, {
        logger,
        progress,
      })
      : result!.detections ?? await data.predictTest(model, progress);
    const froc = await scoreDetections(
      experiment,
      data,
      detections,
      runDir,
      progress,
    );
    store.putArtifact(run.id, "froc", froc.report);
    store.putArtifact(run.id, "froc.input", froc.input);
    store.updateRun(run.id, {
      status: "done",
      endedAt: Date.now(),
      cpm: froc.cpm,
      cpmCi: froc.ci,
    });
    logger.info(
      `Run ${run.id} done: CPM ${froc.cpm.toFixed(4)}${
        froc.ci
          ? ` (95% CI ${froc.ci[0].toFixed(4)}–${froc.ci[1].toFixed(4)})`
          : ""
      }`,
    );
    networks.backbone.dispose();
    networks.head.dispose();
    return store.getRun(run.id)!;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    store.updateRun(run.id, {
      status: "failed",
      error: message,
      endedAt: Date.now(),
    });
    logger.error(`Run ${run.id} failed: ${message}`);
    throw error;
  } finally {
    engine?.dispose();
  }
}

// One line with the training time and its parts (the held-out scoring
// after each stage is evaluation and is not counted).
function logTrainingTime(
  logger: Logger,
  stages: readonly StageRecord[],
  settings: ResolvedExperiment["train"],
): void {
  const parts: string[] = [];
  for (const record of [...stages].sort((a, b) => a.index - b.index)) {
    const { train, mining } = recordedMinutes(record);
    if (mining !== undefined) parts.push(`mining ${mining.toFixed(1)}`);
    if (train !== undefined) {
      parts.push(`stage ${record.index} ${train.toFixed(1)}`);
    }
  }
  const total = trainingMinutes(stages, Infinity);
  logger.info(
    `Training took ${total.toFixed(1)} min (${parts.join(" + ")})${
      settings.total_minutes > 0
        ? ` of train.total_minutes ${settings.total_minutes}`
        : ""
    }`,
    { minutes: total },
  );
}

interface Networks {
  backbone: BackboneNetwork;
  head: ReturnType<AnchorHead["build"]>;
}

function buildNetworks(
  engine: Engine,
  backbone: Backbone,
  head: AnchorHead,
  seed: number,
): Networks {
  const backboneNetwork = backbone.build(
    engine,
    createRng(derivedSeed(seed, 5)),
  );
  const headNetwork = head.build(
    engine,
    backbone.output,
    createRng(derivedSeed(seed, 6)),
  );
  return { backbone: backboneNetwork, head: headNetwork };
}

/** Everything one stage needs. */
interface StageJob {
  stage: number;
  final: boolean;
  experiment: ResolvedExperiment;
  store: RunStore;
  runId: string;
  runDir: string;
  data: RunData;
  engine: Engine;
  backbone: Backbone;
  head: AnchorHead;
  miner: Miner;
  loss: Loss;
  networks: Networks;
  logger: Logger;
  progress: Progress;
}

/** A stage's exported model and, when it scored itself, its held-out detections. */
interface StageOutcome {
  model: Uint8Array;
  detections?: Detection[];
}

/** Trains (or restores) one stage; returns its exported model. */
async function runStage(job: StageJob): Promise<StageOutcome> {
  const { stage, experiment, store, runId, runDir, data, logger } = job;
  const train = experiment.train;
  const records = store.stages(runId);
  const stageRecord = records.find((s) => s.index === stage);
  const latest = latestCheckpoint(store, runId);
  const label = stage === 0
    ? "stage 0"
    : `stage ${stage} (hard examples mined by stage ${stage - 1})`;
  if (stageRecord?.status === "done") {
    // Completed before a restart. A later stage's checkpoint carries the
    // weights on; otherwise restore this stage's final weights.
    if (latest && latest.stage === stage) {
      loadWeights(latest.checkpoint, {
        backbone: job.networks.backbone,
        headNetwork: job.networks.head,
      });
    }
    logger.info(`Stage ${stage} already done`);
    return { model: exportModel(job) };
  }
  // The sample list: oversampled nodules, plus what the previous stage mined.
  let list: SampleEntry[] = buildSampleList(data.train, train.oversampling);
  let mining: Record<string, unknown> = {};
  if (stage > 0) {
    const stored = store.getArtifact(runId, `mining.stage${stage}`) as
      | { entries: SampleEntry[]; summary: Record<string, unknown> }
      | undefined;
    let mined = stored;
    if (!mined) {
      const started = performance.now();
      const previous = exportModel(job);
      const detections = await data.predictTrain(previous, job.progress);
      const result = mineHardExamples(data.train, detections, {
        fpPerScan: train.hard_mining.fp_crops_per_scan,
        minLogit: train.hard_mining.fp_min_logit,
        missedCopies: train.hard_mining.missed_copies,
      });
      // Its wall time counts against `train.total_minutes`.
      const minutes = (performance.now() - started) / 60000;
      mined = {
        entries: result.entries,
        summary: { ...result.summary, minutes },
      };
      store.putArtifact(runId, `mining.stage${stage}`, mined);
    }
    list = [...list, ...mined.entries];
    mining = mined.summary;
    if (!train.hard_mining.fine_tune && latest?.stage !== stage) {
      job.networks.backbone.dispose();
      job.networks.head.dispose();
      const fresh = buildNetworks(
        job.engine,
        job.backbone,
        job.head,
        derivedSeed(train.seed, stage),
      );
      job.networks.backbone = fresh.backbone;
      job.networks.head = fresh.head;
    }
  }
  store.putStage(runId, {
    index: stage,
    label,
    status: "running",
    summary: { listLength: list.length, mining },
  });
  const used = trainingMinutes(records, stage) +
    Number(mining.minutes ?? 0);
  const settings = stageSettings(experiment, stage, job.head.stride, used);
  const spent = train.total_minutes > 0 && used >= train.total_minutes;
  if (spent) {
    logger.warn(
      `Stage ${stage} starts with ${
        used.toFixed(1)
      } of train.total_minutes (${train.total_minutes}) used: it keeps stage ${
        stage - 1
      }'s weights without training`,
    );
  }
  const model: StageModel = {
    engine: job.engine,
    backbone: job.networks.backbone,
    headNetwork: job.networks.head,
    head: job.head,
    miner: job.miner,
    loss: job.loss,
  };
  const resumeFrom = latest?.stage === stage ? latest.checkpoint : undefined;
  if (resumeFrom) {
    store.truncateMetrics(runId, stage, Number(resumeFrom.meta.step));
  }
  const pending: {
    stage: number;
    step: number;
    name: string;
    value: number;
    time: number;
  }[] = [];
  const flush = () => {
    if (pending.length > 0) store.appendMetrics(runId, pending.splice(0));
  };
  const result: Omit<StageResult, "stoppedBy"> & { stoppedBy: string } = spent
    ? { steps: 0, stoppedBy: "total_minutes", finalLoss: NaN, minutes: 0 }
    : trainStage(model, data.train, list, settings, {
      logger,
      progress: job.progress,
      onStep: (step, metrics) => {
        const time = Date.now();
        for (const [name, value] of Object.entries(metrics)) {
          pending.push({ stage, step, name, value, time });
        }
        if (pending.length > 200) flush();
      },
      onCheckpoint: (step, checkpoint) => {
        flush();
        const path = join(
          runDir,
          `checkpoint-s${stage}-${String(step).padStart(7, "0")}.bin`,
        );
        writeCheckpoint(path, checkpoint);
        store.addCheckpoint(runId, { stage, step, path, time: Date.now() });
        pruneCheckpoints(runDir, stage);
      },
    }, resumeFrom);
  flush();
  const exported = exportModel(job);
  writeFileAtomic(join(runDir, stageModelFile(stage)), exported);
  let summary: Record<string, unknown> = {
    listLength: list.length,
    steps: result.steps,
    stoppedBy: result.stoppedBy,
    finalLoss: result.finalLoss,
    trainMinutes: result.minutes,
    mining,
  };
  let detections: Detection[] | undefined;
  if (experiment.train.hard_mining.stages > 1) {
    // Per-stage held-out FROC, as the write-up reports one per stage.
    detections = await data.predictTest(exported, job.progress);
    const froc = await scoreDetections(
      experiment,
      data,
      detections,
      join(runDir, `stage${stage}`),
      job.progress,
      0,
    );
    store.putArtifact(runId, `froc.stage${stage}`, froc.report);
    summary = { ...summary, cpm: froc.cpm, sensitivities: froc.sensitivities };
  }
  store.putStage(runId, { index: stage, label, status: "done", summary });
  return { model: exported, detections };
}

/**
 * The held-out detections of every stage with a weight in
 * `eval.stage_weights`, fused ({@linkcode fuseDetections}). A stage that
 * finished before a restart predicts again with its exported model.
 */
async function fuseStages(
  experiment: ResolvedExperiment,
  data: RunData,
  stageDetections: readonly (Detection[] | undefined)[],
  runDir: string,
  { logger, progress }: { logger: Logger; progress: Progress },
): Promise<Detection[]> {
  const { stage_weights: weights } = experiment.eval;
  logger.info(
    `Held-out candidates: stages ${
      weightedStages(weights).join(", ")
    } fused (eval.stage_weights [${weights.join(", ")}])`,
  );
  const lists: Detection[][] = [];
  for (let stage = 0; stage < weights.length; stage++) {
    lists.push(
      weights[stage] === 0 ? [] : stageDetections[stage] ??
        await data.predictTest(
          readFileSync(join(runDir, stageModelFile(stage))),
          progress,
        ),
    );
  }
  return fuseDetections(lists, stageFuseOptions(experiment.eval));
}

/**
 * Training minutes recorded before a stage trains: the earlier stages'
 * training (`trainMinutes` of their summaries) and the hard-mining
 * predictions that chose their data (`mining.minutes`). Summaries written
 * before these were recorded count 0.
 *
 * @param stages the run's stage records
 * @param stage the stage about to train
 * @returns minutes
 * @example
 * ```ts
 * import { trainingMinutes } from "./run.ts";
 * trainingMinutes([
 *   { index: 0, label: "stage 0", status: "done", summary: { trainMinutes: 26 } },
 *   { index: 1, label: "stage 1", status: "done", summary: { trainMinutes: 25, mining: { minutes: 8 } } },
 * ], 2); // 59
 * ```
 */
export function trainingMinutes(
  stages: readonly StageRecord[],
  stage: number,
): number {
  let minutes = 0;
  for (const record of stages) {
    if (record.index >= stage) continue;
    const { train, mining } = recordedMinutes(record);
    minutes += (train ?? 0) + (mining ?? 0);
  }
  return minutes;
}

// A stage summary's training and mining minutes, when recorded and finite.
function recordedMinutes(
  record: StageRecord,
): { train?: number; mining?: number } {
  const summary = record.summary as {
    trainMinutes?: unknown;
    mining?: { minutes?: unknown };
  };
  const finite = (v: unknown) =>
    typeof v === "number" && Number.isFinite(v) ? v : undefined;
  return {
    train: finite(summary.trainMinutes),
    mining: finite(summary.mining?.minutes),
  };
}

/**
 * The settings of one training stage: stage 0 uses `train` as written; a
 * later stage trains `epochs · stage_epochs_factor` epochs within
 * `hard_mining.stage_minutes` (or `max_minutes` when that is null) and, when
 * fine-tuning, at `lr · stage_lr_factor` without warm-up. With
 * `total_minutes`, a stage's limit is also at most what the budget has
 * left after `usedMinutes` (its learning-rate steps follow that limit); a
 * stage with nothing left stops before its first step.
 *
 * @param experiment the resolved experiment
 * @param stage the stage index (0 first)
 * @param stride the head's stride (crop labels live on its grid)
 * @param usedMinutes training minutes already spent ({@linkcode trainingMinutes} plus this stage's mining)
 * @returns the trainer's settings for that stage
 */
export function stageSettings(
  experiment: ResolvedExperiment,
  stage: number,
  stride: number,
  usedMinutes = 0,
): StageSettings {
  const train = experiment.train;
  const later = stage > 0;
  const ownLimit = later
    ? train.hard_mining.stage_minutes ?? train.max_minutes
    : train.max_minutes;
  // The trainer reads 0 as "no limit", so a spent budget becomes the
  // smallest positive limit, which stops the stage before its first step.
  const left = Math.max(train.total_minutes - usedMinutes, Number.MIN_VALUE);
  const maxMinutes = train.total_minutes > 0
    ? ownLimit > 0 ? Math.min(ownLimit, left) : left
    : ownLimit;
  const fineTuned = later && train.hard_mining.fine_tune;
  const crop: CropOptions = {
    cropSize: train.crop_size,
    stride,
    boundSize: train.bound_size,
    padValue: train.pad_value,
    randomFraction: train.random_crop_fraction,
    scaleRange: train.augmentation.scale,
    flip: train.augmentation.flip,
    swap: train.augmentation.swap,
    contrastRange: train.augmentation.contrast,
    noiseRange: train.augmentation.noise,
    pasteFraction: train.augmentation.paste,
    blobDropout: train.augmentation.blob_dropout,
  };
  return {
    stage,
    seed: train.seed,
    batchSize: train.batch_size,
    epochs: later
      ? train.epochs * train.hard_mining.stage_epochs_factor
      : train.epochs,
    maxSteps: train.max_steps,
    maxMinutes,
    lr: fineTuned ? train.lr * train.hard_mining.stage_lr_factor : train.lr,
    optimizer: train.optimizer,
    momentum: train.momentum,
    beta2: train.beta2,
    weightDecay: train.weight_decay,
    gradClip: train.grad_clip,
    warmupSteps: fineTuned ? 0 : train.warmup_steps,
    milestones: train.lr_milestones,
    factors: train.lr_factors,
    checkpointEvery: train.checkpoint_every,
    crop,
  };
}

function exportModel(job: StageJob): Uint8Array {
  return exportDetector(
    job.backbone,
    job.networks.backbone,
    job.head,
    job.networks.head,
  ).bytes;
}

function latestCheckpoint(
  store: RunStore,
  runId: string,
): { stage: number; checkpoint: Checkpoint } | undefined {
  const record = store.latestCheckpoint(runId);
  if (!record || !existsSync(record.path)) return undefined;
  return {
    stage: record.stage,
    checkpoint: decodeCheckpoint(Deno.readFileSync(record.path), record.path),
  };
}

/** Removes all but the newest checkpoint files of a stage. */
function pruneCheckpoints(runDir: string, stage: number): void {
  const prefix = `checkpoint-s${stage}-`;
  const files = readdirSync(runDir)
    .filter((name) => name.startsWith(prefix) && name.endsWith(".bin"))
    .sort();
  for (const name of files.slice(0, -KEEP_CHECKPOINTS)) {
    rmSync(join(runDir, name), { force: true });
  }
}

async function scoreDetections(
  experiment: ResolvedExperiment,
  data: RunData,
  detections: readonly Detection[],
  dir: string,
  progress: Progress,
  resamples = experiment.eval.bootstrap,
): Promise<{
  cpm: number;
  ci?: [number, number];
  sensitivities: readonly number[];
  report: Record<string, unknown>;
  input: Record<string, unknown>;
}> {
  const evaluation = evaluateFroc({
    seriesuids: data.testSeriesuids,
    annotations: data.testAnnotations,
    excluded: data.testExcluded,
    marks: detections,
  }, {
    maxMarksPerScan: experiment.eval.max_marks_per_scan || null,
    resamples,
    seed: experiment.train.seed,
    progress,
  });
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "candidates.csv"),
    formatCandidatesCsv(detections),
  );
  const report = await writeFrocFiles(dir, evaluation, {
    candidates: join(dir, "candidates.csv"),
  }, experiment.name);
  const ci = evaluation.bootstrap &&
      Number.isFinite(evaluation.bootstrap.cpm.lower)
    ? [evaluation.bootstrap.cpm.lower, evaluation.bootstrap.cpm.upper] as [
      number,
      number,
    ]
    : undefined;
  return {
    cpm: evaluation.result.cpm,
    ci,
    sensitivities: evaluation.result.sensitivities,
    report: jsonSafe(report),
    // What was evaluated, so the dashboard can recompute and compare.
    input: jsonSafe({
      seriesuids: data.testSeriesuids,
      annotations: data.testAnnotations.map(finding),
      excluded: data.testExcluded.map(finding),
      marks: detections.map((d) => ({
        seriesuid: d.seriesuid,
        worldMm: d.worldMm,
        score: d.score,
        diameterMm: d.diameterMm,
      })),
      maxMarksPerScan: experiment.eval.max_marks_per_scan || null,
    }),
  };
}

function finding(f: FrocFinding) {
  return {
    seriesuid: f.seriesuid,
    worldMm: f.worldMm,
    diameterMm: f.diameterMm,
  };
}

/**
 * Wraps the terminal logger and progress so that every record also lands in
 * the run's event log (progress steps at most once a second) and the run's
 * progress field.
 */
function teeToStore(
  store: RunStore,
  runId: string,
  options: Pick<RunOptions, "logger" | "progress">,
): { logger: Logger; progress: Progress } {
  const logger = createLogger((record) => {
    options.logger.log(record.level, record.message, record.data);
    store.appendEvent(runId, "log", { ...record });
  }, "debug");
  let last = 0;
  const progress = createProgress((event) => {
    if (event.kind === "start") {
      options.progress.start(event.task, event.total, event.unit);
    } else if (event.kind === "step") {
      options.progress.step(event.task, event.done, event.metrics);
    } else options.progress.end(event.task);
    const now = Date.now();
    if (event.kind !== "step" || now - last >= 1000) {
      last = now;
      store.appendEvent(runId, "progress", { ...event });
      if (event.kind === "step") {
        store.updateRun(runId, {
          progress: {
            task: event.task,
            done: event.done,
            total: event.total,
            at: now,
          },
        });
      }
    }
  });
  return { logger, progress };
}
