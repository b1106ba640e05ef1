/**
 * The data of a run: the experiment's dataset split into folds by subset,
 * each scan segmented and preprocessed once into the cache (training
 * settings for training scans, inference settings for held-out scans), the
 * training scans held in memory with their nodules in the 1 mm frame, and
 * prediction of either fold with an exported model.
 *
 * @module
 */

import type { ScoredCube } from "../anchor_head.ts";
import {
  type Luna16Fold,
  openLuna16Dataset,
  readAnnotationsCsv,
  readSeriesuidsCsv,
} from "../dataset/luna16.ts";
import type { ResolvedExperiment } from "../experiment.ts";
import type { FrocFinding } from "../froc.ts";
import type { Logger, Progress } from "../logger.ts";
import { createOnnxModel } from "../onnx/inference.ts";
import type { PluginContext } from "../plugin.ts";
import { predictPreprocessed } from "../predict/predict.ts";
import {
  INFERENCE_PREPROCESS,
  type PreprocessedScan,
  type PreprocessOptions,
  TRAINING_PREPROCESS,
} from "../preprocess.ts";
import {
  cachedBlobChannel,
  type CacheSegmenter,
  preprocessDataset,
  readPreprocessed,
} from "../preprocess_cache.ts";
import type { Registry } from "../registry.ts";
import {
  type Detection,
  type Nodule,
  preprocessedToWorld,
  worldToPreprocessed,
} from "../volume.ts";
import type { PreparedScan } from "./crops.ts";
import type { RunData } from "./run.ts";

/**
 * The included nodules, excluded findings and scan list of the experiment's
 * held-out fold (the FROC's input, without marks).
 */
export async function testFoldFindings(
  experiment: ResolvedExperiment,
): Promise<{
  seriesuids: string[];
  annotations: FrocFinding[];
  excluded: FrocFinding[];
}> {
  const fold = await openFold(experiment, "test");
  return {
    seriesuids: [...fold.seriesuids],
    annotations: [...fold.annotations],
    excluded: [...fold.excluded],
  };
}

/**
 * A fold of the experiment's data: training subsets from `data.dataset`,
 * held-out ones from `data.test_dataset` when set (whose own tables then
 * apply; the explicit table paths belong to `data.dataset`).
 */
async function openFold(
  experiment: ResolvedExperiment,
  which: "train" | "test",
): Promise<Luna16Fold> {
  const data = experiment.data;
  const subsets = which === "train" ? data.train_subsets : data.test_subsets;
  const separate = which === "test" ? data.test_dataset : null;
  const dataset = await openLuna16Dataset(separate ?? data.dataset);
  const fold = dataset.folds(subsets);
  if (separate !== null) return fold;
  if (!data.annotations && !data.excluded && !data.seriesuids) return fold;
  // Tables given explicitly replace the dataset's own, restricted to the fold.
  const ids = new Set(fold.scans.map((s) => s.seriesuid));
  const listed = data.seriesuids
    ? (await readSeriesuidsCsv(data.seriesuids)).filter((id) => ids.has(id))
    : fold.seriesuids;
  const inFold = (n: Nodule) => ids.has(n.seriesuid);
  return {
    ...fold,
    seriesuids: listed,
    annotations: data.annotations
      ? (await readAnnotationsCsv(data.annotations)).filter(inFold)
      : fold.annotations,
    excluded: data.excluded
      ? (await readAnnotationsCsv(data.excluded, "excluded")).filter(inFold)
      : fold.excluded,
  };
}

/**
 * Prepares everything a run needs; preprocessing fills the cache and is
 * skipped for scans already there.
 *
 * @param experiment the resolved experiment
 * @param registry the plugins (segmenter, backbone, head are created here)
 * @param context logger, progress and cache folder
 * @returns the training scans and the prediction functions
 */
export async function prepareRunData(
  experiment: ResolvedExperiment,
  registry: Registry,
  context: PluginContext,
): Promise<RunData> {
  const { logger, progress } = context;
  const slot = experiment.model;
  const segmenter: CacheSegmenter = {
    id: slot.segmenter.plugin,
    options: slot.segmenter.options,
    segmenter: registry.create(
      "segmenter",
      slot.segmenter.plugin,
      slot.segmenter.options,
      context,
    ),
  };
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
  const trainFold = await openFold(experiment, "train");
  const testFold = await openFold(experiment, "test");

  const cacheRoot = experiment.data.cache_dir;
  const trainCache = await fill(
    trainFold,
    segmenter,
    cacheRoot,
    TRAINING_PREPROCESS,
    "training",
    progress,
    logger,
  );
  const testCache = await fill(
    testFold,
    segmenter,
    cacheRoot,
    INFERENCE_PREPROCESS,
    "held-out",
    progress,
    logger,
  );

  // Training scans in memory, nodules mapped into each preprocessed frame;
  // with data.blob_channel, each with its blob channel (computed into the
  // cache the first time, ~3 s per scan).
  const blobChannel = experiment.data.blob_channel;
  const pad = experiment.train.pad_value;
  const train: PreparedScan[] = [];
  if (blobChannel) {
    logger.info(
      "Reading the training scans with their blob channels (computed once per scan, then cached)",
    );
  }
  progress.start("load training scans", trainFold.scans.length, "scans");
  for (const [i, scan] of trainFold.scans.entries()) {
    const pre = await readPreprocessed(trainCache, scan.seriesuid, logger);
    if (pre) {
      const nodules = trainFold.annotations
        .filter((n) => n.seriesuid === scan.seriesuid)
        .map((n) => ({
          voxel: worldToPreprocessed(pre.grid, n.worldMm),
          diameter: n.diameterMm / pre.grid.resolutionMm,
        }));
      train.push({
        seriesuid: scan.seriesuid,
        image: pre.image,
        shape: pre.shape,
        nodules,
        ...(blobChannel
          ? {
            blob: await cachedBlobChannel(
              trainCache,
              scan.seriesuid,
              pre,
              logger,
              pad,
            ),
          }
          : {}),
      });
    }
    progress.step("load training scans", i + 1);
  }
  progress.end("load training scans");
  const noduleCount = train.reduce((n, s) => n + s.nodules.length, 0);
  logger.info(
    `Training on ${train.length} scans with ${noduleCount} nodules; ${testFold.seriesuids.length} held-out scans`,
  );

  const predictSettings = {
    head,
    eval: experiment.eval,
    maxStride: backbone.maxStride,
    pad,
    logger,
  };
  const threads = experiment.eval.threads || undefined;

  return {
    train,
    testSeriesuids: testFold.seriesuids,
    testAnnotations: testFold.annotations,
    testExcluded: testFold.excluded,
    async predictTest(bytes: Uint8Array, progress: Progress) {
      const model = await createOnnxModel(bytes, { threads });
      try {
        const detections: Detection[] = [];
        progress.start(
          "predict held-out scans",
          testFold.scans.length,
          "scans",
        );
        for (const [i, scan] of testFold.scans.entries()) {
          const pre = await readPreprocessed(testCache, scan.seriesuid, logger);
          if (pre) {
            const blob = blobChannel
              ? await cachedBlobChannel(
                testCache,
                scan.seriesuid,
                pre,
                logger,
                pad,
              )
              : null;
            const { boxes } = await predictPreprocessed(pre.image, pre.shape, {
              ...predictSettings,
              model,
              lung: pre.mask,
              blob,
            });
            detections.push(...toWorld(scan.seriesuid, pre, boxes));
          }
          progress.step("predict held-out scans", i + 1);
        }
        progress.end("predict held-out scans");
        return detections;
      } finally {
        await model.dispose();
      }
    },
    async predictTrain(bytes: Uint8Array, progress: Progress) {
      const model = await createOnnxModel(bytes, { threads });
      try {
        const out: ScoredCube[][] = [];
        progress.start("predict training scans", train.length, "scans");
        for (const [i, scan] of train.entries()) {
          // Mining needs the top false positives and whether each nodule is
          // hit among the marks the FROC would count: the evaluation's cap
          // (exact top-k NMS) is enough, and an uncapped NMS over ~50k boxes
          // per scan took most of the ~15 s per training scan.
          const { boxes } = await predictPreprocessed(scan.image, scan.shape, {
            ...predictSettings,
            model,
            blob: scan.blob ?? null,
            // Mining counts as training time: one pass per patch.
            eval: { ...experiment.eval, flip_tta: false },
          });
          out.push(boxes);
          progress.step("predict training scans", i + 1);
        }
        progress.end("predict training scans");
        return out;
      } finally {
        await model.dispose();
      }
    },
  };
}

async function fill(
  fold: Luna16Fold,
  segmenter: CacheSegmenter,
  cacheRoot: string,
  preprocess: PreprocessOptions,
  what: string,
  progress: Progress,
  logger: Logger,
): Promise<string> {
  const result = await preprocessDataset(
    fold.scans.map((s) => ({ seriesuid: s.seriesuid, imagePath: s.imagePath })),
    segmenter,
    cacheRoot,
    progress,
    { preprocess, logger },
  );
  logger.info(
    `Preprocessed ${what} scans: ${result.processed.length} new, ${result.cached.length} cached, ${result.failed.length} failed`,
    { cache: result.dir },
  );
  for (const failure of result.failed) {
    logger.warn(
      `Scan "${failure.seriesuid}" is left out (${what}): ${failure.reason}`,
    );
  }
  return result.dir;
}

/** Boxes of a preprocessed scan as world-mm detections. */
export function toWorld(
  seriesuid: string,
  scan: Pick<PreprocessedScan, "grid">,
  boxes: readonly ScoredCube[],
): Detection[] {
  return boxes.map((box) => ({
    seriesuid,
    worldMm: preprocessedToWorld(scan.grid, box.voxel),
    diameterMm: box.diameter * scan.grid.resolutionMm,
    score: box.score,
  }));
}
