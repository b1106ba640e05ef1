/**
 * Full-scan prediction, the PREDICT path of the architecture: scan → Segmenter
 * → preprocess (inference settings) → split into patches → exported network
 * (ONNX Runtime) → combine → AnchorHead.decode → drop boxes outside the scan
 * → NMS → back to world mm → candidates CSV.
 *
 * Scores: a {@linkcode Detection}'s `score` is the head's **logit** (not a
 * probability): FROC uses only the order, and logits keep that order where a
 * sigmoid would round large values to the same 1.0. The LUNA16 CSV's
 * `probability` column therefore holds logits.
 *
 * Speed: the network dominates. Patches are planned per axis
 * (`planTiling`), run one at a time (bounded memory, ONNX Runtime uses every
 * thread inside each patch), and patches whose core holds no voxel of the
 * dilated lungs are not run at all: their cells keep −1e6, so nothing is
 * detected there. Preprocessing already sets everything outside the dilated
 * lungs to the pad value, so such a patch could only look at padding.
 * With `eval.max_marks_per_scan` > 0 (the LUNA16 evaluation's cap of 100
 * marks per scan), only the best kept boxes are computed
 * ({@linkcode nmsTopKept}): the same boxes as full NMS, without its cost on
 * the hundreds of thousands of boxes an untrained network puts above the
 * decoding threshold.
 *
 * @module
 */

import type { AnchorHead, ScoredCube } from "../anchor_head.ts";
import { writeCandidatesCsv } from "../dataset/luna16.ts";
import type { EvalSection } from "../experiment.ts";
import { readVolume } from "../io/mod.ts";
import {
  type Logger,
  nullLogger,
  nullProgress,
  type Progress,
} from "../logger.ts";
import type { OnnxModel } from "../onnx/inference.ts";
import { BLOB_CHANNEL_OPTIONS, blobResponse } from "../blob_filter.ts";
import {
  cachedBlobChannel,
  lookupCached,
  writeBlobChannel,
  writePreprocessed,
} from "../preprocess_cache.ts";
import {
  INFERENCE_PREPROCESS,
  type PreprocessedScan,
  type PreprocessOptions,
  preprocessScan,
} from "../preprocess.ts";
import type { SegmentationReport, Segmenter } from "../segmenter.ts";
import {
  type Detection,
  preprocessedToWorld,
  type Volume,
  type Zyx,
} from "../volume.ts";
import {
  flipAveragedRunner,
  headChannels,
  onnxPatchRunner,
  type PatchRunner,
  runSplitCombine,
} from "./network.ts";

/**
 * The `eval` settings prediction uses: patch side and margin, the decoding
 * threshold, the NMS threshold and the per-scan cap (`max_marks_per_scan`,
 * 0 = no cap; the LUNA16 evaluation keeps only the top 100 marks per scan)
 * and, optionally, `flip_tta` (average each patch over its y/x flips).
 */
export type PredictSettings =
  & Pick<
    EvalSection,
    "side" | "margin" | "min_logit" | "nms_iou" | "max_marks_per_scan"
  >
  & Partial<Pick<EvalSection, "flip_tta">>;

/** The network part of prediction: head, model and settings. */
export interface NetworkOptions {
  /** The anchor head the model was exported with (anchors, stride, decode, NMS). */
  readonly head: AnchorHead;
  /**
   * The exported detector (backbone + head, `exportDetector`), run through
   * ONNX Runtime. Used unless `runPatch` is given.
   */
  readonly model?: OnnxModel;
  /** Replaces the model: any function from a patch to its head output (tests inject one). */
  readonly runPatch?: PatchRunner;
  /** Patch side and margin, decoding threshold, NMS threshold. */
  readonly eval: PredictSettings;
  /** Patch sizes are multiples of this: the backbone's max stride (default 16). */
  readonly maxStride?: number;
  /** Value past the scan's far end (default 170, the preprocessing pad). */
  readonly pad?: number;
  /** Run every patch, even those with no lung in their core (default false). */
  readonly runEmptyPatches?: boolean;
  /** Receives per-stage timings (info) and details (debug). */
  readonly logger?: Logger;
  /** Receives a `patches` task with one step per patch. */
  readonly progress?: Progress;
  /**
   * The model takes the blob response as a second input channel
   * (`data.blob_channel`): it is computed after preprocessing
   * ({@linkcode blobResponse}), or read from the cache (default false).
   */
  readonly blobChannel?: boolean;
}

/** The result of {@linkcode predictPreprocessed}. */
export interface PreprocessedPrediction {
  /**
   * Kept boxes after NMS, highest score first, at most
   * `eval.max_marks_per_scan` of them (when > 0); preprocessed voxels (1 mm),
   * score = logit.
   */
  readonly boxes: ScoredCube[];
  /** Boxes decoded above `min_logit` inside the scan, before NMS. */
  readonly candidates: number;
  /** Patches run through the network. */
  readonly patchesRun: number;
  /** Patches skipped (no lung in their core). */
  readonly patchesSkipped: number;
  /** Input voxels fed to the network (margins included). */
  readonly inputVoxels: number;
  /** Milliseconds of the network stage (patch inputs, runs, combining). */
  readonly networkMs: number;
  /** Milliseconds of decoding, the inside-the-scan filter and NMS. */
  readonly decodeMs: number;
}

/**
 * Runs the network over a preprocessed scan and decodes its boxes: split
 * into patches, run, combine, `head.decode` with `eval.min_logit`, drop
 * boxes whose centre lies outside the scan, `head.nms` with `eval.nms_iou`
 * keeping the best `eval.max_marks_per_scan` (see {@linkcode nmsTopKept}).
 *
 * A box is inside when `−0.5 ≤ centre < L − 0.5` on every axis (the extent of
 * the scan's voxels; voxel i is centred at i). The combined grid covers the
 * scan padded up to whole patches, and cells there see only padding.
 *
 * @param image the preprocessed scan: uint8 window values (pad 170 outside the lungs), ZYX, 1 mm
 * @param shape its shape (z, y, x)
 * @param options head, network, settings; `lung` (0/1 dilated lungs on the
 *   same grid) chooses the patches to run, else voxels that are not `pad` do
 * @returns boxes in preprocessed voxels and counts
 * @throws {TypeError} when neither `model` nor `runPatch` is given
 * @example
 * ```ts ignore
 * const { boxes } = await predictPreprocessed(scan.image, scan.shape, {
 *   head, model, eval: { side: 144, margin: 32, min_logit: -3, nms_iou: 0.1 },
 * });
 * ```
 */
export async function predictPreprocessed(
  image: Uint8Array,
  shape: Zyx,
  options: NetworkOptions & {
    readonly lung?: Uint8Array | null;
    /** The blob response of `image` (uint8, same shape): the model's second input channel. */
    readonly blob?: Uint8Array | null;
  },
): Promise<PreprocessedPrediction> {
  const { head } = options;
  const logger = options.logger ?? nullLogger;
  const channels = headChannels(head.anchors.length);
  const network = options.runPatch ??
    (options.model
      ? onnxPatchRunner(options.model, head.stride, channels)
      : undefined);
  if (!network) {
    throw new TypeError(
      "Cannot predict scan: no network, expected a model (an exported ONNX detector) or a runPatch function",
    );
  }
  const runPatch = options.eval.flip_tta
    ? flipAveragedRunner(network, head.stride, channels)
    : network;
  const started = performance.now();
  const split = await runSplitCombine(
    image,
    shape,
    runPatch,
    {
      side: options.eval.side,
      margin: options.eval.margin,
      stride: head.stride,
      multiple: options.maxStride ?? 16,
      channels,
      pad: options.pad ?? 170,
      skipEmpty: !options.runEmptyPatches,
      extraChannels: options.blob ? [options.blob] : [],
    },
    options.lung ?? null,
    options.progress ?? nullProgress,
  );
  const networkMs = performance.now() - started;
  logger.debug("Split-combine", {
    shape: [...shape],
    counts: [...split.tiling.counts],
    sides: [...split.tiling.sides],
    patchesRun: split.patchesRun,
    patchesSkipped: split.patchesSkipped,
    inputVoxels: split.inputVoxels,
    runnerMs: Math.round(split.runnerMs),
  });

  const decodeStart = performance.now();
  const decoded = head.decode(
    split.combined,
    split.tiling.grid,
    options.eval.min_logit,
  );
  const inside = decoded.filter((box) => centreInside(box.voxel, shape));
  const boxes = nmsTopKept(
    head,
    inside,
    options.eval.nms_iou,
    options.eval.max_marks_per_scan,
  );
  const decodeMs = performance.now() - decodeStart;
  return {
    boxes,
    candidates: inside.length,
    patchesRun: split.patchesRun,
    patchesSkipped: split.patchesSkipped,
    inputVoxels: split.inputVoxels,
    networkMs,
    decodeMs,
  };
}

/**
 * The first `maxKept` boxes that greedy NMS keeps, computed without running
 * NMS over every box: greedy NMS decides each box from higher-scoring boxes
 * only, so NMS over the K best boxes keeps exactly the kept boxes of the full
 * run that lie among those K. K starts at max(8·maxKept, 4096) and grows ×4
 * until `maxKept` boxes are kept or every box was seen. Equal scores keep
 * input order (as the head's NMS does), so the result equals
 * `head.nms(boxes, iou).slice(0, maxKept)`. An untrained network can put
 * hundreds of thousands of boxes above the decoding threshold; this keeps
 * their NMS bounded.
 *
 * @param head the head whose `nms` runs
 * @param boxes boxes in any order
 * @param iouThreshold NMS threshold
 * @param maxKept how many kept boxes are wanted; 0 or less: all of them
 * @returns kept boxes, highest score first
 * @example
 * ```ts
 * import { nmsTopKept } from "./predict.ts";
 * import type { ScoredCube } from "../anchor_head.ts";
 * const boxes: ScoredCube[] = [
 *   { voxel: [0, 0, 0], diameter: 5, score: 1 },
 *   { voxel: [20, 0, 0], diameter: 5, score: 3 },
 * ];
 * // A head whose NMS keeps everything, best first.
 * const head = { nms: (b: readonly ScoredCube[]) => [...b].sort((p, q) => q.score - p.score) };
 * nmsTopKept(head, boxes, 0.1, 1); // [{ voxel: [20, 0, 0], diameter: 5, score: 3 }]
 * ```
 */
export function nmsTopKept(
  head: Pick<AnchorHead, "nms">,
  boxes: readonly ScoredCube[],
  iouThreshold: number,
  maxKept: number,
): ScoredCube[] {
  const n = boxes.length;
  if (n === 0) return [];
  let size = Math.max(8 * maxKept, 4096);
  if (!(maxKept > 0) || size >= n) {
    const kept = head.nms(boxes, iouThreshold);
    return maxKept > 0 ? kept.slice(0, maxKept) : kept;
  }
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = boxes[i].score;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => scores[j] - scores[i] || i - j);
  for (;;) {
    const count = Math.min(size, n);
    const prefix: ScoredCube[] = new Array(count);
    for (let k = 0; k < count; k++) prefix[k] = boxes[order[k]];
    const kept = head.nms(prefix, iouThreshold);
    if (kept.length >= maxKept || count === n) {
      return kept.slice(0, maxKept);
    }
    size *= 4;
  }
}

function centreInside(voxel: Zyx, shape: Zyx): boolean {
  for (let axis = 0; axis < 3; axis++) {
    const c = voxel[axis];
    if (!(c >= -0.5 && c < shape[axis] - 0.5)) return false;
  }
  return true;
}

/** Options of {@linkcode predictScan}. */
export interface PredictScanOptions extends NetworkOptions {
  /** Finds the lungs. */
  readonly segmenter: Segmenter;
  /**
   * Preprocessing settings (default {@linkcode INFERENCE_PREPROCESS}: the
   * reference's inference settings, hull ratio 2). Its `padValue` is also
   * the network's pad past the scan's end.
   */
  readonly preprocessOptions?: PreprocessOptions;
  /** Written into each detection (default `"scan"`). */
  readonly seriesuid?: string;
}

/** Milliseconds per stage of one scan's prediction. */
export interface PredictTimings {
  /** Reading the scan (only {@linkcode predictDataset} fills it). */
  readonly readMs: number;
  /** The segmenter. */
  readonly segmentMs: number;
  /** Windowing, resampling, cropping. */
  readonly preprocessMs: number;
  /** Patch inputs, network runs, combining. */
  readonly networkMs: number;
  /** Decoding, the inside-the-scan filter, NMS and the world transform. */
  readonly decodeMs: number;
  /** Everything. */
  readonly totalMs: number;
}

/** The detailed result of one scan. */
export interface ScanPrediction {
  /** The scan. */
  readonly seriesuid: string;
  /** Detections in world LPS mm, highest score (logit) first. */
  readonly detections: Detection[];
  /** The same boxes in preprocessed voxels. */
  readonly boxes: ScoredCube[];
  /** Why nothing was predicted (the segmenter found no lung), when so. */
  readonly emptyReason?: string;
  /** The segmenter's report. */
  readonly segmentation: SegmentationReport;
  /** Shape of the preprocessed scan ([0, 0, 0] when empty). */
  readonly preprocessedShape: Zyx;
  /** Patches run through the network. */
  readonly patchesRun: number;
  /** Patches skipped (no lung in their core). */
  readonly patchesSkipped: number;
  /** Input voxels fed to the network (margins included). */
  readonly inputVoxels: number;
  /** Time per stage. */
  readonly timings: PredictTimings;
}

/**
 * Predicts one scan and reports how: segment → preprocess →
 * {@linkcode predictPreprocessed} → world mm. A scan where the segmenter
 * finds no lung gives an explicit empty result (`emptyReason`, zero
 * detections, a warning in the log) instead of an error. Stage timings are
 * logged at info level.
 *
 * @param volume the scan in HU
 * @param options segmenter, preprocessing, head, network, settings, logger, progress
 * @returns detections and the details of each stage
 * @example
 * ```ts ignore
 * const result = await predictScanDetailed(volume, {
 *   segmenter, head, model, eval: experiment.eval, seriesuid: "1.2.3",
 * });
 * result.timings.networkMs;
 * ```
 */
export async function predictScanDetailed(
  volume: Volume,
  options: PredictScanOptions,
): Promise<ScanPrediction> {
  return (await predictVolume(volume, options)).result;
}

// predictScanDetailed, also handing out the preprocessed scan (absent when
// the segmenter found no lung) for predictDataset to cache.
async function predictVolume(
  volume: Volume,
  options: PredictScanOptions,
): Promise<
  {
    result: ScanPrediction;
    prepared?: PreprocessedScan;
    blob?: Uint8Array | null;
  }
> {
  const seriesuid = options.seriesuid ?? "scan";
  const t0 = performance.now();
  const masks = await options.segmenter.segment(volume);
  const t1 = performance.now();
  const segmentation = masks.report;
  if (segmentation.lungCount === 0 || segmentation.emptyReason !== undefined) {
    return {
      result: emptyPrediction(seriesuid, segmentation, t1 - t0, options.logger),
    };
  }
  const preprocessOptions = options.preprocessOptions ?? INFERENCE_PREPROCESS;
  const prepared = preprocessScan(volume, masks, preprocessOptions);
  const blob = options.blobChannel
    ? blobResponse(prepared.image, prepared.shape, {
      ...BLOB_CHANNEL_OPTIONS,
      pad: preprocessOptions.padValue,
    })
    : null;
  const t2 = performance.now();
  const result = await predictPrepared(prepared, {
    ...options,
    seriesuid,
    blob,
    earlierMs: { readMs: 0, segmentMs: t1 - t0, preprocessMs: t2 - t1 },
  });
  return { result, prepared, blob };
}

/** The result for a scan in which the segmenter found no lung (logged). */
function emptyPrediction(
  seriesuid: string,
  segmentation: SegmentationReport,
  segmentMs: number,
  logger: Logger = nullLogger,
): ScanPrediction {
  const reason = segmentation.emptyReason ?? "the segmenter found no lung";
  logger.warn(
    `No lung found in "${seriesuid}": ${reason}; 0 detections`,
    { seriesuid, segmenter: segmentation.segmenter },
  );
  return {
    seriesuid,
    detections: [],
    boxes: [],
    emptyReason: reason,
    segmentation,
    preprocessedShape: [0, 0, 0],
    patchesRun: 0,
    patchesSkipped: 0,
    inputVoxels: 0,
    timings: {
      readMs: 0,
      segmentMs,
      preprocessMs: 0,
      networkMs: 0,
      decodeMs: 0,
      totalMs: segmentMs,
    },
  };
}

/**
 * The part of {@linkcode predictScanDetailed} after preprocessing, shared
 * with the cached path of {@linkcode predictDataset}: network, world mm,
 * timings (adding the stages before it) and the log line.
 */
async function predictPrepared(
  prepared: PreprocessedScan,
  options: PredictScanOptions & {
    readonly seriesuid: string;
    readonly earlierMs: Pick<
      PredictTimings,
      "readMs" | "segmentMs" | "preprocessMs"
    >;
    readonly cached?: boolean;
    /** The blob response of the preprocessed scan when the model takes it. */
    readonly blob?: Uint8Array | null;
  },
): Promise<ScanPrediction> {
  const logger = options.logger ?? nullLogger;
  const { seriesuid, earlierMs } = options;
  const preprocessOptions = options.preprocessOptions ?? INFERENCE_PREPROCESS;
  const t2 = performance.now();
  const result = await predictPreprocessed(prepared.image, prepared.shape, {
    ...options,
    pad: preprocessOptions.padValue,
    lung: prepared.mask,
    blob: options.blob,
  });
  const t3 = performance.now();
  const mmPerVoxel = prepared.grid.resolutionMm;
  const detections: Detection[] = result.boxes.map((box) => ({
    seriesuid,
    worldMm: preprocessedToWorld(prepared.grid, box.voxel),
    diameterMm: box.diameter * mmPerVoxel,
    score: box.score,
  }));
  const t4 = performance.now();
  const timings: PredictTimings = {
    ...earlierMs,
    networkMs: result.networkMs,
    decodeMs: result.decodeMs + (t4 - t3),
    totalMs: earlierMs.readMs + earlierMs.segmentMs + earlierMs.preprocessMs +
      (t4 - t2),
  };
  const how = options.cached
    ? `read from the preprocessing cache ${seconds(timings.readMs)}`
    : `segment ${seconds(timings.segmentMs)}, preprocess ${
      seconds(timings.preprocessMs)
    }`;
  logger.info(
    `Predicted "${seriesuid}": ${detections.length} detections in ${
      seconds(timings.totalMs)
    } s (${how}, network ${seconds(timings.networkMs)}, decode+NMS ${
      seconds(timings.decodeMs)
    })`,
    {
      seriesuid,
      detections: detections.length,
      candidates: result.candidates,
      preprocessedShape: [...prepared.shape],
      patchesRun: result.patchesRun,
      patchesSkipped: result.patchesSkipped,
    },
  );
  return {
    seriesuid,
    detections,
    boxes: result.boxes,
    segmentation: prepared.report,
    preprocessedShape: prepared.shape,
    patchesRun: result.patchesRun,
    patchesSkipped: result.patchesSkipped,
    inputVoxels: result.inputVoxels,
    timings,
  };
}

/**
 * Predicts one scan: the detections of {@linkcode predictScanDetailed}, in
 * world LPS mm with diameters in mm and score = logit, highest first.
 *
 * @param volume the scan in HU
 * @param options segmenter, preprocessing, head, network, settings
 * @returns the detections (empty when no lung was found)
 * @example
 * ```ts ignore
 * const detections = await predictScan(volume, { segmenter, head, model, eval: experiment.eval });
 * ```
 */
export async function predictScan(
  volume: Volume,
  options: PredictScanOptions,
): Promise<Detection[]> {
  return (await predictScanDetailed(volume, options)).detections;
}

/** One scan of a dataset to predict. */
export interface DatasetScan {
  /** Its id (written into the CSV). */
  readonly seriesuid: string;
  /** A file `readVolume` understands, or a DICOM folder. */
  readonly imagePath: string;
}

/** Options of {@linkcode predictDataset}. */
export interface PredictDatasetOptions
  extends Omit<PredictScanOptions, "seriesuid" | "progress"> {
  /** Receives a `predict` task with one step per scan. */
  readonly progress?: Progress;
  /** Writes the LUNA16 candidates CSV here when given. */
  readonly out?: string;
  /** Adds a `diameter_mm` column to the CSV. */
  readonly diameter?: boolean;
  /**
   * A preprocessing cache folder (`<data.cache_dir>/<key>`, the key of this
   * segmenter and these preprocessing settings): a scan cached from the same
   * source files is read from it instead of being segmented and preprocessed
   * again, and a scan that is not is written into it after preprocessing.
   */
  readonly cacheDir?: string;
}

/** The result of {@linkcode predictDataset}. */
export interface DatasetPrediction {
  /** Every detection, scan by scan. */
  readonly detections: Detection[];
  /** Per scan: everything but the detections, and whether the cache served it. */
  readonly scans: (Omit<ScanPrediction, "detections" | "boxes"> & {
    readonly cached: boolean;
  })[];
}

/**
 * Predicts scans one after the other (read → {@linkcode predictScanDetailed})
 * with one progress step per scan, and optionally writes the LUNA16
 * submission CSV (`seriesuid,coordX,coordY,coordZ,probability`). With
 * `cacheDir`, a scan cached from the same source files skips reading,
 * segmentation and preprocessing (the same voxels, so the same detections),
 * and every other scan is cached after it is preprocessed.
 *
 * @param scans the scans
 * @param options as for {@linkcode predictScan}, plus the CSV path
 * @returns every detection and per-scan details
 * @throws {DataError} naming the file when a scan cannot be read
 * @example
 * ```ts ignore
 * const dataset = await openLuna16Dataset("data/luna16");
 * await predictDataset(dataset.folds([9]).scans, { ...options, out: "candidates.csv" });
 * ```
 */
export async function predictDataset(
  scans: readonly DatasetScan[],
  options: PredictDatasetOptions,
): Promise<DatasetPrediction> {
  const progress = options.progress ?? nullProgress;
  const logger = options.logger ?? nullLogger;
  const detections: Detection[] = [];
  const summaries: DatasetPrediction["scans"] = [];
  progress.start("predict", scans.length, "scans");
  for (let i = 0; i < scans.length; i++) {
    const scan = scans[i];
    const scanOptions = {
      ...options,
      seriesuid: scan.seriesuid,
      progress: nullProgress,
    };
    const started = performance.now();
    const lookup = options.cacheDir === undefined
      ? undefined
      : await lookupCached(options.cacheDir, scan, logger);
    let result: ScanPrediction;
    if (lookup?.scan) {
      const blob = options.blobChannel
        ? await cachedBlobChannel(
          options.cacheDir!,
          scan.seriesuid,
          lookup.scan,
          logger,
        )
        : null;
      result = await predictPrepared(lookup.scan, {
        ...scanOptions,
        blob,
        cached: true,
        earlierMs: {
          readMs: performance.now() - started,
          segmentMs: 0,
          preprocessMs: 0,
        },
      });
    } else {
      const volume = await readVolume(scan.imagePath);
      const readMs = performance.now() - started;
      const predicted = await predictVolume(volume, scanOptions);
      result = {
        ...predicted.result,
        timings: {
          ...predicted.result.timings,
          readMs,
          totalMs: predicted.result.timings.totalMs + readMs,
        },
      };
      if (options.cacheDir !== undefined && predicted.prepared) {
        await cacheScan(
          options.cacheDir,
          scan.seriesuid,
          predicted.prepared,
          predicted.blob ?? null,
          lookup?.fingerprint,
          logger,
        );
      }
    }
    detections.push(...result.detections);
    const { detections: _d, boxes: _b, ...summary } = result;
    summaries.push({ ...summary, cached: lookup?.scan != null });
    progress.step("predict", i + 1, { detections: result.detections.length });
  }
  progress.end("predict");
  if (options.out !== undefined) {
    await writeCandidatesCsv(options.out, detections, {
      diameter: options.diameter,
    });
  }
  return { detections, scans: summaries };
}

// Writes a scan predicted without the cache into it. A failed write only
// costs the next prediction its speed, so it is logged and prediction goes
// on.
async function cacheScan(
  dir: string,
  seriesuid: string,
  prepared: PreprocessedScan,
  blob: Uint8Array | null,
  fingerprint: string | undefined,
  logger: Logger,
): Promise<void> {
  try {
    await writePreprocessed(dir, seriesuid, prepared, fingerprint);
    if (blob) await writeBlobChannel(dir, seriesuid, blob);
  } catch (error) {
    logger.warn(
      `Cannot write "${seriesuid}" into the preprocessing cache ${dir}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
