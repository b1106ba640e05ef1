/**
 * Helpers shared by the volume readers and writers in this folder (private).
 *
 * @module
 */

import { DataError } from "../errors.ts";
import type { VoxelArray } from "../volume.ts";

/** Constructors of every voxel array type. */
export type VoxelArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** Options shared by every reader. */
export interface ReadOptions {
  /**
   * Keep NaN voxels in floating-point data. By default a float volume with
   * any NaN voxel is rejected with a {@linkcode DataError} giving the count.
   */
  allowNaN?: boolean;
}

/**
 * Reinterprets `bytes[offset, offset + count·size)` as a typed array of
 * `count` elements in host (little-endian) order, swapping bytes first when
 * `bigEndian`. Zero-copy when the bytes are the whole, aligned buffer and
 * need no swap; otherwise the result owns a fresh buffer.
 */
export function decodeElements(
  bytes: Uint8Array,
  offset: number,
  count: number,
  ctor: VoxelArrayConstructor,
  bigEndian: boolean,
): VoxelArray {
  const size = ctor.BYTES_PER_ELEMENT;
  const length = count * size;
  const start = bytes.byteOffset + offset;
  let buffer: ArrayBuffer;
  if (
    !bigEndian && start === 0 && length === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    buffer = bytes.buffer;
  } else {
    const copy = new Uint8Array(length);
    copy.set(bytes.subarray(offset, offset + length));
    if (bigEndian && size > 1) swapBytes(copy, size);
    buffer = copy.buffer;
  }
  return new ctor(buffer, 0, count);
}

/** Reverses the byte order of every `size`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  const n = bytes.length;
  if (size === 2) {
    for (let i = 0; i < n; i += 2) {
      const t = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = t;
    }
  } else if (size === 4) {
    for (let i = 0; i < n; i += 4) {
      let t = bytes[i];
      bytes[i] = bytes[i + 3];
      bytes[i + 3] = t;
      t = bytes[i + 1];
      bytes[i + 1] = bytes[i + 2];
      bytes[i + 2] = t;
    }
  } else if (size === 8) {
    for (let i = 0; i < n; i += 8) {
      for (let k = 0; k < 4; k++) {
        const t = bytes[i + k];
        bytes[i + k] = bytes[i + 7 - k];
        bytes[i + 7 - k] = t;
      }
    }
  }
}

/** The bytes of a typed array in the requested byte order (a copy when swapped). */
export function encodeElements(
  data: VoxelArray,
  bigEndian: boolean,
): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!bigEndian || data.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/** Number of NaN elements (0 for integer arrays). */
export function countNaN(data: VoxelArray): number {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return 0;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    // NaN is the only value not equal to itself.
    if (data[i] !== data[i]) count++;
  }
  return count;
}

/**
 * Throws a {@linkcode DataError} naming `file` and `field` when `data` holds
 * NaN voxels and `allowNaN` is not set.
 */
export function rejectNaN(
  data: VoxelArray,
  file: string,
  field: string,
  options: ReadOptions,
): void {
  if (options.allowNaN) return;
  const nan = countNaN(data);
  if (nan > 0) {
    throw new DataError(
      file,
      field,
      `data with ${nan} NaN voxel${nan === 1 ? "" : "s"} of ${data.length}`,
      "no NaN voxels (pass { allowNaN: true } to keep them)",
    );
  }
}

/**
 * Writes files atomically: each is written to a temporary name in the same
 * folder, then all are renamed into place (so a reader never sees a partial
 * file, and a failed write leaves no temporary behind).
 */
export async function writeFilesAtomic(
  files: readonly { path: string; bytes: Uint8Array }[],
): Promise<void> {
  const suffix = `.tmp-${Deno.pid}-${
    Math.floor(Math.random() * 0xffffffff).toString(16)
  }`;
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = file.path + suffix;
      temps.push(temp);
      await Deno.writeFile(temp, file.bytes);
    }
    for (let i = 0; i < files.length; i++) {
      await Deno.rename(temps[i], files[i].path);
    }
  } catch (error) {
    for (const temp of temps) {
      await Deno.remove(temp).catch(() => {});
    }
    throw error;
  }
}

/** Reads a whole file, turning "not found" into a {@linkcode DataError}. */
export async function readFileOrThrow(
  path: string,
  reportFile: string,
  field: string,
  expected: string,
): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        reportFile,
        field,
        `"${path}", which does not exist`,
        expected,
        { cause: error },
      );
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new DataError(
        reportFile,
        field,
        `"${path}", which is a directory`,
        expected,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Renders a value for an error message: strings quoted, long ones cut. */
export function quote(value: string): string {
  const cut = value.length > 80 ? value.slice(0, 77) + "..." : value;
  return JSON.stringify(cut);
}
