/**
 * The on-disk cache of preprocessed scans: `<root>/<key>/<seriesuid>.mhd`
 * (+ `.raw`, the uint8 image on its preprocessed grid),
 * `<seriesuid>_mask.mhd` (+ `.raw`, the dilated lung mask) and
 * `<seriesuid>.json` (grid, extend box, source geometry, the segmenter's
 * report). The key hashes the segmenter id, its resolved options, the
 * preprocessing options and {@linkcode PREPROCESS_VERSION}, so a change of
 * any of them starts a new folder.
 *
 * Within a folder, entries are named by series id. An entry also records a
 * fingerprint of its source files (names, sizes and modification times;
 * {@linkcode sourceFingerprint}), so a scan regenerated or replaced under
 * the same id is preprocessed again instead of being served stale.
 *
 * Writes are atomic (temporary file + rename) and the JSON sidecar is
 * written last: a scan whose sidecar is missing, unreadable or does not
 * match its image files counts as not cached, so an interrupted run never
 * leaves a partial entry that a later run would read.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { BLOB_CHANNEL_OPTIONS, blobResponse } from "./blob_filter.ts";
import { DataError, ShapeError } from "./errors.ts";
import { canonicalJson } from "./experiment.ts";
import { readVolume } from "./io/mod.ts";
import {
  readMetaImage,
  readMetaImageHeader,
  writeMetaImage,
} from "./io/metaimage.ts";
import type { Logger, Progress } from "./logger.ts";
import { nullLogger } from "./logger.ts";
import {
  PREPROCESS_VERSION,
  type PreprocessedScan,
  type PreprocessOptions,
  preprocessScan,
  TRAINING_PREPROCESS,
} from "./preprocess.ts";
import type { Segmenter } from "./segmenter.ts";
import { createVolume, preprocessedGeometry, voxelCount } from "./volume.ts";

/** What identifies a cache folder. */
export interface PreprocessCacheKeyInput {
  /** The segmenter's plugin id. */
  readonly segmenterId: string;
  /** Its resolved options. */
  readonly segmenterOptions: Readonly<Record<string, unknown>>;
  /** The preprocessing settings. */
  readonly preprocess: PreprocessOptions;
}

/**
 * The cache key: the first 16 hex digits of the SHA-256 of the canonical
 * JSON of the segmenter id, its options, the preprocessing settings and
 * {@linkcode PREPROCESS_VERSION}.
 *
 * @param input segmenter and preprocessing settings
 * @returns a 16-character hex string
 * @example
 * ```ts
 * import { preprocessCacheKey } from "./preprocess_cache.ts";
 * import { TRAINING_PREPROCESS } from "./preprocess.ts";
 * preprocessCacheKey({ segmenterId: "lung_reference", segmenterOptions: {}, preprocess: TRAINING_PREPROCESS }).length; // 16
 * ```
 */
export function preprocessCacheKey(input: PreprocessCacheKeyInput): string {
  const text = canonicalJson({
    segmenter: { id: input.segmenterId, options: input.segmenterOptions },
    preprocess: input.preprocess,
    version: PREPROCESS_VERSION,
  });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * The cache folder of a segmenter and preprocessing settings under a cache
 * root: `<root>/<key>`. `pleura train`, `pleura preprocess` and `pleura
 * predict` all find their entries through it, so they share them.
 *
 * @param cacheRoot the cache root (`data.cache_dir`)
 * @param input segmenter and preprocessing settings
 * @returns the key and the folder
 */
export function preprocessCacheFolder(
  cacheRoot: string,
  input: PreprocessCacheKeyInput,
): { key: string; dir: string } {
  const key = preprocessCacheKey(input);
  return { key, dir: join(cacheRoot, key) };
}

/** The sidecar stored beside each cached scan. */
interface Sidecar {
  readonly version: number;
  readonly seriesuid: string;
  readonly shape: PreprocessedScan["shape"];
  readonly extendboxStart: PreprocessedScan["extendboxStart"];
  readonly extendboxEnd: PreprocessedScan["extendboxEnd"];
  readonly grid: PreprocessedScan["grid"];
  readonly source: PreprocessedScan["source"];
  readonly report: PreprocessedScan["report"];
  readonly imageBytes: number;
  readonly maskBytes: number;
  /** {@linkcode sourceFingerprint} of the source when written; absent in older entries. */
  readonly sourceFingerprint?: string;
}

/**
 * A fingerprint of a scan's source files: SHA-256 (16 hex digits) over the
 * name, size and modification time of each file that holds the scan (a
 * MetaImage header and its data file, a single NIfTI/`.mha` file, or the
 * files of a DICOM folder). Moving the dataset keeps it; rewriting a file
 * (a regenerated dataset with the same ids) changes it.
 *
 * @param imagePath the scan's image file or DICOM folder
 * @returns the fingerprint
 * @example
 * ```ts ignore
 * import { sourceFingerprint } from "./preprocess_cache.ts";
 * await sourceFingerprint("data/demo/subset0/1.2.3.mhd"); // "3f0c…" (16 hex)
 * ```
 */
export async function sourceFingerprint(imagePath: string): Promise<string> {
  const files: string[] = [];
  const info = await Deno.stat(imagePath);
  if (info.isDirectory) {
    for await (const entry of Deno.readDir(imagePath)) {
      if (entry.isFile) files.push(join(imagePath, entry.name));
    }
    files.sort();
  } else {
    files.push(imagePath);
    if (/\.mhd$/i.test(imagePath)) {
      const { dataFile } = await readMetaImageHeader(imagePath);
      if (dataFile !== null) files.push(dataFile);
    }
  }
  const hash = createHash("sha256");
  for (const file of files) {
    const stat = file === imagePath ? info : await Deno.stat(file);
    hash.update(
      `${basename(file)}\t${stat.size}\t${stat.mtime?.getTime() ?? -1}\n`,
    );
  }
  return hash.digest("hex").slice(0, 16);
}

function checkName(seriesuid: string): void {
  if (
    seriesuid === "" || seriesuid.includes("/") || seriesuid.includes("\\") ||
    seriesuid === "." || seriesuid === ".."
  ) {
    throw new DataError(
      seriesuid,
      "seriesuid",
      JSON.stringify(seriesuid),
      "a file name without path separators",
    );
  }
}

/** Paths of one cached scan's files. */
export function cachedScanPaths(
  dir: string,
  seriesuid: string,
): { image: string; mask: string; sidecar: string } {
  checkName(seriesuid);
  return {
    image: join(dir, `${seriesuid}.mhd`),
    mask: join(dir, `${seriesuid}_mask.mhd`),
    sidecar: join(dir, `${seriesuid}.json`),
  };
}

/**
 * Writes one preprocessed scan into a cache folder (created if needed):
 * image and mask as MetaImage on the preprocessed grid, then the sidecar,
 * each atomically.
 *
 * @param dir the cache folder (`<root>/<key>`)
 * @param seriesuid the scan's id (a file name)
 * @param scan the preprocessed scan
 * @param fingerprint {@linkcode sourceFingerprint} of the source, read back
 *   by {@linkcode preprocessDataset} to tell a changed source
 */
export async function writePreprocessed(
  dir: string,
  seriesuid: string,
  scan: PreprocessedScan,
  fingerprint?: string,
): Promise<void> {
  const paths = cachedScanPaths(dir, seriesuid);
  await Deno.mkdir(dir, { recursive: true });
  const geometry = preprocessedGeometry(scan.grid);
  await writeMetaImage(
    paths.image,
    createVolume(scan.image, scan.shape, geometry),
  );
  await writeMetaImage(
    paths.mask,
    createVolume(scan.mask, scan.shape, geometry),
  );
  const sidecar: Sidecar = {
    version: scan.version,
    seriesuid,
    shape: scan.shape,
    extendboxStart: scan.extendboxStart,
    extendboxEnd: scan.extendboxEnd,
    grid: scan.grid,
    source: scan.source,
    report: scan.report,
    imageBytes: scan.image.length,
    maskBytes: scan.mask.length,
    ...(fingerprint === undefined ? {} : { sourceFingerprint: fingerprint }),
  };
  await writeTextAtomic(paths.sidecar, JSON.stringify(sidecar, null, 1));
}

// Temporary file + rename, so a reader never sees half a file.
async function writeTextAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}-${
    Math.floor(Math.random() * 0xffffffff).toString(16)
  }`;
  try {
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Bumped when {@linkcode blobResponse}'s output changes, so cached blob channels are computed again. */
export const BLOB_CHANNEL_VERSION = 1;

// The blob channel's sidecar: which preprocessed entry (by the SHA-256 of
// its sidecar's text) and which filter version it was computed from.
interface BlobSidecar {
  readonly version: number;
  readonly entry: string;
  readonly bytes: number;
}

function blobPaths(dir: string, seriesuid: string) {
  checkName(seriesuid);
  return {
    image: join(dir, `${seriesuid}_blob.mhd`),
    sidecar: join(dir, `${seriesuid}_blob.json`),
  };
}

// The entry's sidecar: its text's hash (what a blob channel is tied to) and
// its content.
async function readEntrySidecar(
  dir: string,
  seriesuid: string,
): Promise<{ hash: string; sidecar: Sidecar }> {
  const text = await Deno.readTextFile(
    cachedScanPaths(dir, seriesuid).sidecar,
  );
  return {
    hash: createHash("sha256").update(text).digest("hex").slice(0, 16),
    sidecar: JSON.parse(text),
  };
}

/**
 * Writes a cached scan's blob channel ({@linkcode blobResponse} of its
 * image) beside it: `<seriesuid>_blob.mhd` (+ `.raw`, uint8 on the
 * preprocessed grid), then `<seriesuid>_blob.json`, which ties it to the
 * current entry. The scan's entry must already be written.
 *
 * @param dir the cache folder
 * @param seriesuid the scan's id
 * @param blob the blob response, one value per voxel of the cached image
 * @throws {ShapeError} when `blob` does not match the cached scan's shape
 */
export async function writeBlobChannel(
  dir: string,
  seriesuid: string,
  blob: Uint8Array,
): Promise<void> {
  const paths = blobPaths(dir, seriesuid);
  const { hash: entry, sidecar } = await readEntrySidecar(dir, seriesuid);
  if (blob.length !== voxelCount(sidecar.shape)) {
    throw new ShapeError(`blob channel of "${seriesuid}"`, [
      ...sidecar.shape,
    ], [blob.length]);
  }
  await writeMetaImage(
    paths.image,
    createVolume(blob, sidecar.shape, preprocessedGeometry(sidecar.grid)),
  );
  const blobSidecar: BlobSidecar = {
    version: BLOB_CHANNEL_VERSION,
    entry,
    bytes: blob.length,
  };
  await writeTextAtomic(paths.sidecar, JSON.stringify(blobSidecar));
}

/**
 * The blob channel of a cached scan: read from the cache when it was
 * computed from this entry with the current filter, else computed
 * ({@linkcode blobResponse}, about 10 s for a whole thorax) and written
 * beside the entry. A failed write is logged and the computed channel
 * returned.
 *
 * @param dir the cache folder holding the scan's entry
 * @param seriesuid the scan's id
 * @param scan the cached scan (as {@linkcode readPreprocessed} returned it)
 * @param logger told when the channel is computed (debug) or cannot be written (warn)
 * @param pad the preprocessing pad (voxels outside the lungs; default 170)
 * @returns the blob response, uint8, one value per voxel of `scan.image`
 */
export async function cachedBlobChannel(
  dir: string,
  seriesuid: string,
  scan: PreprocessedScan,
  logger: Logger = nullLogger,
  pad = TRAINING_PREPROCESS.padValue,
): Promise<Uint8Array> {
  const paths = blobPaths(dir, seriesuid);
  const n = scan.image.length;
  try {
    const sidecar: BlobSidecar = JSON.parse(
      await Deno.readTextFile(paths.sidecar),
    );
    if (
      sidecar.version === BLOB_CHANNEL_VERSION && sidecar.bytes === n &&
      sidecar.entry === (await readEntrySidecar(dir, seriesuid)).hash
    ) {
      const volume = await readMetaImage(paths.image);
      if (volume.data instanceof Uint8Array && volume.data.length === n) {
        return volume.data;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      logger.debug(`Blob channel of "${seriesuid}" could not be read`, {
        error: String(error),
      });
    }
  }
  const started = performance.now();
  const blob = blobResponse(scan.image, scan.shape, {
    ...BLOB_CHANNEL_OPTIONS,
    pad,
  });
  logger.debug(`Computed the blob channel of "${seriesuid}"`, {
    ms: Math.round(performance.now() - started),
  });
  try {
    await writeBlobChannel(dir, seriesuid, blob);
  } catch (error) {
    logger.warn(
      `Cannot write the blob channel of "${seriesuid}" into the preprocessing cache ${dir}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  return blob;
}

/**
 * Reads one cached scan, or null when it is not (completely) cached: no
 * sidecar, an unreadable or older-version sidecar, or image files that do
 * not match it.
 *
 * @param dir the cache folder
 * @param seriesuid the scan's id
 * @param logger told why an entry was skipped (debug)
 * @returns the preprocessed scan or null
 */
export async function readPreprocessed(
  dir: string,
  seriesuid: string,
  logger: Logger = nullLogger,
): Promise<PreprocessedScan | null> {
  const paths = cachedScanPaths(dir, seriesuid);
  let sidecar: Sidecar;
  try {
    sidecar = JSON.parse(await Deno.readTextFile(paths.sidecar));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      logger.debug(`Cache entry "${seriesuid}" has an unreadable sidecar`, {
        error: String(error),
      });
    }
    return null;
  }
  if (
    sidecar.version !== PREPROCESS_VERSION || sidecar.seriesuid !== seriesuid
  ) {
    return null;
  }
  try {
    const image = await readMetaImage(paths.image);
    const mask = await readMetaImage(paths.mask);
    const n = voxelCount(sidecar.shape);
    if (
      !(image.data instanceof Uint8Array) ||
      !(mask.data instanceof Uint8Array) ||
      image.data.length !== n || mask.data.length !== n ||
      sidecar.imageBytes !== n || sidecar.maskBytes !== n ||
      image.shape.join() !== sidecar.shape.join()
    ) {
      logger.debug(`Cache entry "${seriesuid}" does not match its sidecar`);
      return null;
    }
    return {
      image: image.data,
      mask: mask.data,
      shape: sidecar.shape,
      extendboxStart: sidecar.extendboxStart,
      extendboxEnd: sidecar.extendboxEnd,
      grid: sidecar.grid,
      source: sidecar.source,
      report: sidecar.report,
      version: sidecar.version,
    };
  } catch (error) {
    logger.debug(`Cache entry "${seriesuid}" could not be read`, {
      error: String(error),
    });
    return null;
  }
}

/** What {@linkcode lookupCached} found. */
export interface CacheLookup {
  /** The cached scan, or null when it is not cached from these source files. */
  readonly scan: PreprocessedScan | null;
  /** {@linkcode sourceFingerprint} of the source (undefined when unreadable). */
  readonly fingerprint?: string;
}

/**
 * Reads a scan's cache entry when it was written from the same source files
 * (the test {@linkcode preprocessDataset} skips scans by); otherwise returns
 * a null scan and the fingerprint to write a new entry under.
 *
 * @param dir the cache folder (`<root>/<key>`)
 * @param source the scan's id and image path
 * @param logger told why an entry was skipped (debug)
 * @returns the entry or null, and the source's fingerprint
 */
export async function lookupCached(
  dir: string,
  source: ScanSource,
  logger: Logger = nullLogger,
): Promise<CacheLookup> {
  const { fingerprint, cached } = await cacheState(dir, source);
  const scan = cached
    ? await readPreprocessed(dir, source.seriesuid, logger)
    : null;
  return { scan, fingerprint };
}

/** One scan to preprocess. */
export interface ScanSource {
  /** The scan's id (names its cache files). */
  readonly seriesuid: string;
  /** Its image file or DICOM folder. */
  readonly imagePath: string;
}

/** The segmenter to use, with what identifies it in the cache key. */
export interface CacheSegmenter {
  /** Plugin id. */
  readonly id: string;
  /** Resolved options. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The instance. */
  readonly segmenter: Segmenter;
}

/** What {@linkcode preprocessDataset} did. */
export interface PreprocessDatasetResult {
  /** The cache folder (`<root>/<key>`). */
  readonly dir: string;
  /** The cache key. */
  readonly key: string;
  /** Scans preprocessed in this run. */
  readonly processed: readonly string[];
  /** Scans found in the cache. */
  readonly cached: readonly string[];
  /** Scans that failed, with the reason (an unreadable file, no lung…). */
  readonly failed: readonly { seriesuid: string; reason: string }[];
}

/**
 * Fills the cache for a list of scans: a scan already cached from the same
 * source files (same {@linkcode sourceFingerprint}) is skipped; the others
 * are read, segmented, preprocessed and written. A scan that
 * fails is reported and the others go on.
 *
 * @param scans the scans
 * @param segmenter the segmenter and its resolved options
 * @param cacheRoot the cache root (e.g. `.cache/preprocessed`)
 * @param progress gets one step per scan (task "preprocess")
 * @param options preprocessing settings (default training) and a logger
 * @returns what was done, and where
 */
export async function preprocessDataset(
  scans: readonly ScanSource[],
  segmenter: CacheSegmenter,
  cacheRoot: string,
  progress: Progress,
  options: { preprocess?: PreprocessOptions; logger?: Logger } = {},
): Promise<PreprocessDatasetResult> {
  const preprocess = options.preprocess ?? TRAINING_PREPROCESS;
  const logger = options.logger ?? nullLogger;
  const { key, dir } = preprocessCacheFolder(cacheRoot, {
    segmenterId: segmenter.id,
    segmenterOptions: segmenter.options,
    preprocess,
  });
  const processed: string[] = [], cached: string[] = [];
  const failed: { seriesuid: string; reason: string }[] = [];
  progress.start("preprocess", scans.length, "scans");
  let done = 0;
  for (const scan of scans) {
    const { fingerprint, cached: isEntry } = await cacheState(dir, scan);
    if (isEntry) {
      cached.push(scan.seriesuid);
    } else {
      try {
        const started = performance.now();
        const volume = await readVolume(scan.imagePath);
        const masks = await segmenter.segmenter.segment(volume);
        const pre = preprocessScan(volume, masks, preprocess);
        await writePreprocessed(dir, scan.seriesuid, pre, fingerprint);
        processed.push(scan.seriesuid);
        logger.debug(`Preprocessed "${scan.seriesuid}"`, {
          ms: Math.round(performance.now() - started),
          shape: pre.shape,
          lungs: masks.report.lungCount,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        failed.push({ seriesuid: scan.seriesuid, reason });
        logger.warn(`Cannot preprocess "${scan.seriesuid}": ${reason}`);
      }
    }
    progress.step("preprocess", ++done, {
      processed: processed.length,
      failed: failed.length,
    });
  }
  progress.end("preprocess");
  return { dir, key, processed, cached, failed };
}

// Whether a scan has a complete entry written from its current source files,
// and the source's fingerprint (undefined when the source cannot be
// fingerprinted, and then never cached). Checks the id is a file name first.
async function cacheState(
  dir: string,
  source: ScanSource,
): Promise<{ fingerprint?: string; cached: boolean }> {
  cachedScanPaths(dir, source.seriesuid);
  const fingerprint = await sourceFingerprint(source.imagePath).catch(() =>
    undefined
  );
  const cached = fingerprint !== undefined &&
    await isCached(dir, source.seriesuid, fingerprint);
  return { fingerprint, cached };
}

// A complete entry has a current sidecar whose image files have the
// recorded sizes (checked without reading the voxels) and whose source
// fingerprint is the scan's now. The cache is keyed by scan id, so this is
// what tells a regenerated dataset that reuses ids; an entry written
// without a fingerprint (before it was recorded) is redone.
async function isCached(
  dir: string,
  seriesuid: string,
  fingerprint: string,
): Promise<boolean> {
  const paths = cachedScanPaths(dir, seriesuid);
  try {
    const sidecar: Sidecar = JSON.parse(await Deno.readTextFile(paths.sidecar));
    if (
      sidecar.version !== PREPROCESS_VERSION ||
      sidecar.sourceFingerprint !== fingerprint
    ) {
      return false;
    }
    const raw = (p: string) => p.replace(/\.mhd$/, ".raw");
    const [a, b] = await Promise.all([
      Deno.stat(raw(paths.image)),
      Deno.stat(raw(paths.mask)),
    ]);
    return a.size === sidecar.imageBytes && b.size === sidecar.maskBytes;
  } catch {
    return false;
  }
}
