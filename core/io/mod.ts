/**
 * Reading and writing CT volumes: MetaImage (`.mhd` + `.raw`/`.zraw`,
 * `.mha`), NIfTI-1 (`.nii`, `.nii.gz`) and folders of uncompressed DICOM
 * slices. {@linkcode readVolume} picks the reader from the path; every
 * reader returns a ZYX {@linkcode Volume} in LPS world mm and reports bad
 * input as a {@linkcode DataError} naming the file and field.
 *
 * @module
 */

import { basename } from "node:path";
import { DataError } from "../errors.ts";
import type { Volume } from "../volume.ts";
import { readDicomSeries } from "./dicom.ts";
import { readMetaImage, writeMetaImage } from "./metaimage.ts";
import { readNifti } from "./nifti.ts";
import type { ReadOptions } from "./_util.ts";

export * from "./metaimage.ts";
export * from "./nifti.ts";
export * from "./dicom.ts";
export type { ReadOptions } from "./_util.ts";

/** File suffixes {@linkcode readVolume} understands (a folder is a DICOM series). */
export const VOLUME_SUFFIXES: readonly string[] = [
  ".mhd",
  ".mha",
  ".nii",
  ".nii.gz",
];

/**
 * Reads a volume, choosing the reader from the path: `.mhd`/`.mha`
 * (MetaImage), `.nii`/`.nii.gz` (NIfTI-1), or a folder (a DICOM series).
 *
 * @param path the file or folder to read
 * @param options `allowNaN` keeps NaN voxels of float data (rejected by default)
 * @returns the volume (ZYX, LPS world mm)
 * @throws {DataError} for a missing path, an unknown extension or a malformed file
 * @example
 * ```ts
 * import { readVolume } from "./mod.ts";
 * const volume = await readVolume("lidc0001_slab.mhd");
 * volume.shape; // [16, 512, 512]
 * ```
 */
export async function readVolume(
  path: string,
  options: ReadOptions = {},
): Promise<Volume> {
  const lower = basename(path).toLowerCase();
  if (lower.endsWith(".mhd") || lower.endsWith(".mha")) {
    return await readMetaImage(path, options);
  }
  if (lower.endsWith(".nii") || lower.endsWith(".nii.gz")) {
    return await readNifti(path, options);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        path,
        "",
        "a path that does not exist",
        `a file ending in ${formatSuffixes()} or a DICOM folder`,
        { cause: error },
      );
    }
    throw error;
  }
  if (info.isDirectory) return await readDicomSeries(path);
  throw new DataError(
    path,
    "",
    `a file whose extension is not supported ("${basename(path)}")`,
    `a file ending in ${formatSuffixes()} or a DICOM folder`,
  );
}

/**
 * Writes a volume as MetaImage, atomically: `.mhd` writes a header and a
 * `.raw` (or `.zraw` with `compress`) beside it, `.mha` one file.
 *
 * @param path destination ending in `.mhd` or `.mha`
 * @param volume the volume to write
 * @param options `compress: true` writes zlib-compressed data
 * @throws {RangeError} when `path` has another extension
 * @example
 * ```ts
 * import { createVolume } from "../volume.ts";
 * import { writeVolume } from "./mod.ts";
 * await writeVolume("/tmp/scan.mhd", createVolume(new Int16Array(8), [2, 2, 2]));
 * ```
 */
export async function writeVolume(
  path: string,
  volume: Volume,
  options: { compress?: boolean } = {},
): Promise<void> {
  await writeMetaImage(path, volume, options);
}

/**
 * The series id of a scan path: the file name without its volume suffix
 * (`.mhd`, `.mha`, `.nii`, `.nii.gz`, and `.raw`/`.zraw`), or the folder
 * name for a DICOM series. LUNA16 names files by series UID.
 *
 * @param path a scan file or folder
 * @returns the stem, e.g. `1.3.6.1.4.1.14519.5.2.1.6279.6001.1790…`
 * @example
 * ```ts
 * import { seriesUidFromPath } from "./mod.ts";
 * seriesUidFromPath("subset0/1.3.6.1.4.1.14519.5.2.1.6279.6001.105756658031515062000744821260.mhd");
 * // "1.3.6.1.4.1.14519.5.2.1.6279.6001.105756658031515062000744821260"
 * ```
 */
export function seriesUidFromPath(path: string): string {
  const name = basename(path.replace(/[/\\]+$/, ""));
  const lower = name.toLowerCase();
  for (const suffix of [...VOLUME_SUFFIXES, ".raw", ".zraw"]) {
    if (lower.endsWith(suffix) && name.length > suffix.length) {
      return name.slice(0, name.length - suffix.length);
    }
  }
  return name;
}

function formatSuffixes(): string {
  return VOLUME_SUFFIXES.map((s) => `"${s}"`).join(", ");
}
