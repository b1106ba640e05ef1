/**
 * Writes a synthetic dataset in the LUNA16 layout: `subsetK/<seriesuid>.mhd`
 * images, `seg-lungs-LUNA16/<seriesuid>.mhd` lung labels (3 = right,
 * 4 = left), `annotations.csv`, `annotations_excluded.csv`, `seriesuids.csv`
 * (no header) and `synth_manifest.json` (per scan: seed, geometry, flags,
 * nodules with their type).
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { formatCsv } from "../dataset/csv.ts";
import {
  ANNOTATION_COLUMNS,
  LUNA16_FILES,
  LUNA16_MASK_FOLDER,
} from "../dataset/luna16.ts";
import { writeMetaImage } from "../io/metaimage.ts";
import {
  type Logger,
  nullLogger,
  nullProgress,
  type Progress,
} from "../logger.ts";
import { createRng } from "../random.ts";
import { xyzFromZyx } from "../volume.ts";
import {
  generateSyntheticScan,
  type SyntheticScan,
  validateSyntheticScanOptions,
} from "./scan.ts";

/** Version of the generator; stored in the manifest. */
export const SYNTH_GENERATOR_VERSION = 1;

/** Name of the manifest at the dataset root. */
export const SYNTH_MANIFEST_FILE = "synth_manifest.json";

/** Options of {@linkcode writeSyntheticDataset}. */
export interface WriteSyntheticDatasetOptions {
  /** Number of scans (1–10000). */
  readonly scans: number;
  /** Dataset seed (integer 0 … 2³²−1); each scan's seed derives from it. */
  readonly seed: number;
  /** In-plane size and slice count of every scan (defaults 512 and `"auto"`). */
  readonly shape?: {
    readonly size?: number;
    readonly slices?: number | "auto";
  };
  /** Number of subset folders (1–10, default 10): scan i goes to subset i mod subsets. */
  readonly subsets?: number;
  /** zlib-compress the images (`.zraw`); default false (`.raw`, as LUNA16). Masks are always compressed. */
  readonly compress?: boolean;
  /**
   * Nodules per scan: `"auto"` (default: 0–3 drawn with probabilities .25,
   * .35, .25, .15, about one per scan, as a screening cohort) or an
   * inclusive range `[min, max]` within 0–8, each scan's count drawn
   * uniformly from it (a nodule-rich training set). Placement can fail in a
   * small lung, so a scan may hold fewer than drawn.
   */
  readonly nodules?: "auto" | readonly [number, number];
  /**
   * Allow writing into a non-empty folder. Files of an earlier synthetic
   * dataset there (listed in its manifest) are removed first; any other
   * content is left alone.
   */
  readonly overwrite?: boolean;
  /** Receives one step per scan. */
  readonly progress?: Progress;
  /** Receives a line per scan at debug level. */
  readonly logger?: Logger;
}

/** One scan of a written dataset, as listed in the manifest. */
export interface SyntheticManifestScan {
  /** Position in the dataset (0-based). */
  readonly index: number;
  /** DICOM-like series UID (the file stem). */
  readonly seriesuid: string;
  /** Subset folder number. */
  readonly subset: number;
  /** Seed of {@linkcode generateSyntheticScan} for this scan. */
  readonly seed: number;
  /** Image path relative to the root. */
  readonly image: string;
  /** Mask path relative to the root. */
  readonly mask: string;
  /** Voxels along (z, y, x). */
  readonly shape: readonly number[];
  /** Spacing along (z, y, x), mm. */
  readonly spacingMm: readonly number[];
  /** World position of voxel (0, 0, 0), (z, y, x), mm. */
  readonly originMm: readonly number[];
  /** Direction matrix (ZYX, row-major). */
  readonly direction: readonly number[];
  /** Scanner and patient variations. */
  readonly flags: SyntheticScan["flags"];
  /** Noise standard deviation (HU). */
  readonly noiseSdHu: number;
  /** Axial landmarks (world z, mm). */
  readonly landmarks: SyntheticScan["landmarks"];
  /** Nodules: world centre (x, y, z), diameter, type, HU, lung. */
  readonly nodules: readonly {
    readonly coordX: number;
    readonly coordY: number;
    readonly coordZ: number;
    readonly diameterMm: number;
    readonly type: string;
    readonly hu: number;
    readonly lung: string;
  }[];
  /** Number of rows in `annotations_excluded.csv`. */
  readonly excludedCount: number;
}

/** The manifest written as `synth_manifest.json`. */
export interface SyntheticManifest {
  /** Generator version. */
  readonly generator: number;
  /** Dataset seed. */
  readonly seed: number;
  /** Options the dataset was written with. */
  readonly options: {
    readonly scans: number;
    readonly size: number;
    readonly slices: number | "auto";
    readonly subsets: number;
    readonly compress: boolean;
    /** Nodules per scan (absent in manifests written before the option). */
    readonly nodules?: "auto" | readonly [number, number];
  };
  /** Every scan. */
  readonly scans: readonly SyntheticManifestScan[];
}

/**
 * The nodule count of a scan: undefined (the generator's own draw) for
 * `"auto"`, else uniform in the range from a stream of its own, so the
 * scan's anatomy draws stay those of its seed.
 */
function drawNoduleCount(
  nodules: "auto" | readonly [number, number],
  scanSeed: number,
): number | undefined {
  if (nodules === "auto") return undefined;
  const [min, max] = nodules;
  const rng = createRng(syntheticScanSeed(scanSeed, 0x6e6f64));
  return min + Math.floor(rng.next() * (max - min + 1));
}

/**
 * Seed of scan `index` of a dataset (a 32-bit integer hash of both).
 *
 * @example
 * ```ts
 * import { syntheticScanSeed } from "./dataset.ts";
 * syntheticScanSeed(1, 0) === syntheticScanSeed(1, 0); // true
 * ```
 */
export function syntheticScanSeed(datasetSeed: number, index: number): number {
  let h = (Math.imul(datasetSeed >>> 0, 0x9e3779b1) ^
    Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Series UID of scan `index`: `1.3.6.1.4.1.55555.<seed>.<index>`.
 *
 * @example
 * ```ts
 * import { syntheticSeriesuid } from "./dataset.ts";
 * syntheticSeriesuid(7, 3); // "1.3.6.1.4.1.55555.7.3"
 * ```
 */
export function syntheticSeriesuid(datasetSeed: number, index: number): string {
  return `1.3.6.1.4.1.55555.${datasetSeed}.${index}`;
}

/**
 * Generates `scans` synthetic chest CTs and writes them as a LUNA16 dataset
 * at `outDir`. Every file is written to a temporary name and renamed into
 * place; the tables and the manifest are written last.
 *
 * @param outDir the dataset root (created if missing)
 * @param options scan count, seed, shape, subsets, compression, progress
 * @returns the manifest
 * @throws {RangeError} for invalid options or a non-empty folder without `overwrite`
 * @example
 * ```ts ignore
 * import { writeSyntheticDataset } from "./dataset.ts";
 * await writeSyntheticDataset("data/synth", { scans: 20, seed: 1 });
 * ```
 */
export async function writeSyntheticDataset(
  outDir: string,
  options: WriteSyntheticDatasetOptions,
): Promise<SyntheticManifest> {
  const { scans, seed } = options;
  const subsets = options.subsets ?? 10;
  const size = options.shape?.size ?? 512;
  const slices = options.shape?.slices ?? "auto";
  const compress = options.compress ?? false;
  const nodules = options.nodules ?? "auto";
  const progress = options.progress ?? nullProgress;
  const logger = options.logger ?? nullLogger;
  if (!Number.isInteger(scans) || scans < 1 || scans > 10000) {
    throw new RangeError(
      `Cannot write a synthetic dataset: scans is ${scans}, expected an integer in [1, 10000]`,
    );
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(
      `Cannot write a synthetic dataset: seed is ${seed}, expected an integer in [0, 4294967295]`,
    );
  }
  if (!Number.isInteger(subsets) || subsets < 1 || subsets > 10) {
    throw new RangeError(
      `Cannot write a synthetic dataset: subsets is ${subsets}, expected an integer in [1, 10] (LUNA16 has subset0 … subset9)`,
    );
  }
  validateSyntheticScanOptions(0, { size, slices });
  if (nodules !== "auto") {
    const [min, max] = nodules;
    if (
      !Number.isInteger(min) || !Number.isInteger(max) || min < 0 ||
      max > 8 || min > max
    ) {
      throw new RangeError(
        `Cannot write a synthetic dataset: nodules is [${min}, ${max}], expected "auto" or integers 0 <= min <= max <= 8`,
      );
    }
  }
  await prepareFolder(outDir, options.overwrite ?? false);
  await Deno.mkdir(join(outDir, LUNA16_MASK_FOLDER), { recursive: true });
  const annotations: (string | number)[][] = [[...ANNOTATION_COLUMNS]];
  const excluded: (string | number)[][] = [[...ANNOTATION_COLUMNS]];
  const seriesuids: string[][] = [];
  const entries: SyntheticManifestScan[] = [];
  const task = "synth";
  progress.start(task, scans, "scans");
  for (let index = 0; index < scans; index++) {
    const scanSeed = syntheticScanSeed(seed, index);
    const scan = generateSyntheticScan(scanSeed, {
      size,
      slices,
      noduleCount: drawNoduleCount(nodules, scanSeed),
    });
    const seriesuid = syntheticSeriesuid(seed, index);
    const subset = index % subsets;
    const image = join(`subset${subset}`, `${seriesuid}.mhd`);
    const mask = join(LUNA16_MASK_FOLDER, `${seriesuid}.mhd`);
    await Deno.mkdir(join(outDir, `subset${subset}`), { recursive: true });
    await writeMetaImage(join(outDir, image), scan.volume, { compress });
    await writeMetaImage(join(outDir, mask), scan.lungMask, { compress: true });
    for (const nodule of scan.nodules) {
      annotations.push([
        seriesuid,
        ...xyzFromZyx(nodule.worldMm),
        nodule.diameterMm,
      ]);
    }
    for (const finding of scan.excluded) {
      excluded.push([
        seriesuid,
        ...xyzFromZyx(finding.worldMm),
        finding.diameterMm,
      ]);
    }
    seriesuids.push([seriesuid]);
    entries.push({
      index,
      seriesuid,
      subset,
      seed: scanSeed,
      image,
      mask,
      shape: [...scan.volume.shape],
      spacingMm: [...scan.volume.spacingMm],
      originMm: [...scan.volume.originMm],
      direction: [...scan.volume.direction],
      flags: scan.flags,
      noiseSdHu: scan.noiseSdHu,
      landmarks: scan.landmarks,
      nodules: scan.nodules.map((n) => {
        const [coordX, coordY, coordZ] = xyzFromZyx(n.worldMm);
        return {
          coordX,
          coordY,
          coordZ,
          diameterMm: n.diameterMm,
          type: n.type,
          hu: n.hu,
          lung: n.lung,
        };
      }),
      excludedCount: scan.excluded.length,
    });
    logger.debug("synthetic scan written", {
      seriesuid,
      subset,
      seed: scanSeed,
      shape: scan.volume.shape.join("x"),
      nodules: scan.nodules.length,
    });
    progress.step(task, index + 1, { nodules: scan.nodules.length });
  }
  const manifest: SyntheticManifest = {
    generator: SYNTH_GENERATOR_VERSION,
    seed,
    options: { scans, size, slices, subsets, compress, nodules },
    scans: entries,
  };
  await writeTextAtomic(
    join(outDir, LUNA16_FILES.annotations),
    formatCsv(annotations),
  );
  await writeTextAtomic(
    join(outDir, LUNA16_FILES.excluded),
    formatCsv(excluded),
  );
  await writeTextAtomic(
    join(outDir, LUNA16_FILES.seriesuids),
    formatCsv(seriesuids),
  );
  await writeTextAtomic(
    join(outDir, SYNTH_MANIFEST_FILE),
    JSON.stringify(manifest, null, 2) + "\n",
  );
  progress.end(task);
  return manifest;
}

/** Creates `dir`, or checks it may be written into (see `overwrite`). */
async function prepareFolder(dir: string, overwrite: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      await Deno.mkdir(dir, { recursive: true });
      return;
    }
    throw new RangeError(
      `Cannot write a synthetic dataset to "${dir}": it cannot be listed (${
        (error as Error).message
      }), expected a folder`,
      { cause: error },
    );
  }
  if (entries.length === 0) return;
  if (!overwrite) {
    throw new RangeError(
      `Cannot write a synthetic dataset to "${dir}": the folder is not empty, expected an empty or missing folder (or overwrite)`,
    );
  }
  // Remove the files of an earlier synthetic dataset, and only those.
  const manifestPath = join(dir, SYNTH_MANIFEST_FILE);
  let previous: SyntheticManifest | null = null;
  try {
    previous = JSON.parse(await Deno.readTextFile(manifestPath));
  } catch {
    previous = null;
  }
  const doomed: string[] = [
    LUNA16_FILES.annotations,
    LUNA16_FILES.excluded,
    LUNA16_FILES.seriesuids,
  ];
  // Only paths this writer creates (a manifest is data, not a command).
  const ours = new RegExp(`^(subset\\d|${LUNA16_MASK_FOLDER})/[^/]+\\.mhd$`);
  for (const scan of previous?.scans ?? []) {
    for (const mhd of [scan.image, scan.mask]) {
      if (typeof mhd !== "string" || !ours.test(mhd)) continue;
      doomed.push(mhd, mhd.slice(0, -4) + ".raw", mhd.slice(0, -4) + ".zraw");
    }
  }
  if (previous) doomed.push(SYNTH_MANIFEST_FILE);
  for (const name of doomed) {
    await Deno.remove(join(dir, name)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/** Writes a text file under a temporary name, then renames it into place. */
async function writeTextAtomic(path: string, text: string): Promise<void> {
  const temp = join(
    dirname(path),
    `.${basename(path)}.tmp-${Deno.pid}-${Date.now().toString(36)}`,
  );
  try {
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
