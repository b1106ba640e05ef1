/**
 * Reading and writing CT volumes: MetaImage (`.mhd` + `.raw`/`.zraw`,
 * `.mha`). {@linkcode readVolume} picks the reader from the path.
 *
 * @module
 */

import { basename } from "node:path";
import { DataError } from "../errors.ts";
import type { Volume } from "../volume.ts";
import { readMetaImage, writeMetaImage } from "./metaimage.ts";
import type { ReadOptions } from "./_util.ts";

export * from "./metaimage.ts";
export type { ReadOptions } from "./_util.ts";

const SUFFIXES = [".mhd", ".mha"] as const;

/**
 * Reads a volume, choosing the reader from the extension: `.mhd`, `.mha`.
 *
 * @param path the file to read
 * @param options `allowNaN` keeps NaN voxels of float data
 * @returns the volume (ZYX, LPS world mm)
 * @throws {DataError} for an unknown extension or malformed file
 * @example
 * ```ts
 * import { readVolume } from "./mod.ts";
 * const volume = await readVolume("lidc0001_slab.mhd");
 * ```
 */
export async function readVolume(
  path: string,
  options: ReadOptions = {},
): Promise<Volume> {
  const lower = path.toLowerCase();
  if (lower.endsWith(".mhd") || lower.endsWith(".mha")) {
    return await readMetaImage(path, options);
  }
  throw new DataError(
    path,
    "",
    `the extension of "${basename(path)}" is not supported`,
    `one of ${SUFFIXES.map((s) => `"${s}"`).join(", ")}`,
  );
}

/**
 * Writes a volume as MetaImage (`.mhd` + `.raw`, or `.mha`), atomically.
 *
 * @param path destination ending in `.mhd` or `.mha`
 * @param volume the volume to write
 * @param options `compress: true` writes zlib-compressed data (`.zraw`)
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
