/**
 * Checkpoints: named float32 tensors plus a JSON header (step, stage, RNG
 * and sampler state, optimizer settings) in one file, written atomically
 * (temporary file, fsync, rename) so a killed process never leaves a partial
 * checkpoint under the final name.
 *
 * Layout: the 8 bytes `PLEURA01`, a little-endian uint32 header length, the
 * UTF-8 JSON header, zero padding to a multiple of 4, then the tensors'
 * float32 data (little-endian) in header order.
 *
 * @module
 */

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { NamedWeights } from "../backbone.ts";
import { DataError } from "../errors.ts";

const MAGIC = "PLEURA01";

/** A checkpoint in memory. */
export interface Checkpoint {
  /** Free-form JSON state (step, stage, rng state…). */
  readonly meta: Record<string, unknown>;
  /** Tensors by name. */
  readonly tensors: NamedWeights;
}

/**
 * Serialises a checkpoint.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
 * const bytes = encodeCheckpoint({ meta: { step: 3 }, tensors: new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]) });
 * decodeCheckpoint(bytes, "x.ckpt").meta.step; // 3
 * ```
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const entries = [...checkpoint.tensors.entries()];
  const header = new TextEncoder().encode(JSON.stringify({
    meta: checkpoint.meta,
    tensors: entries.map(([name, t]) => ({
      name,
      shape: t.shape,
      length: t.data.length,
    })),
  }));
  const headerEnd = 12 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const total = entries.reduce((n, [, t]) => n + t.data.length, 0);
  const bytes = new Uint8Array(dataStart + total * 4);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, header.length, true);
  bytes.set(header, 12);
  const floats = new Float32Array(bytes.buffer, dataStart, total);
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(
        `Cannot encode checkpoint tensor "${name}": shape [${
          t.shape.join(", ")
        }] holds ${count} values, data has ${t.data.length}`,
      );
    }
    floats.set(t.data, offset);
    offset += t.data.length;
  }
  return bytes;
}

/** Parses a checkpoint; `file` is named in errors. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  if (
    bytes.length < 12 ||
    new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC
  ) {
    throw new DataError(
      file,
      "",
      "not a Pleura checkpoint",
      `"${MAGIC}" magic`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset)
    .getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    throw new DataError(
      file,
      "header",
      `${headerLength} bytes long in a ${bytes.length}-byte file`,
      "a complete header",
    );
  }
  let header: {
    meta: Record<string, unknown>;
    tensors: { name: string; shape: number[]; length: number }[];
  };
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)),
    );
  } catch (error) {
    throw new DataError(file, "header", "not valid JSON", "a JSON header", {
      cause: error,
    });
  }
  const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
  const total = header.tensors.reduce((n, t) => n + t.length, 0);
  if (dataStart + total * 4 !== bytes.length) {
    throw new DataError(
      file,
      "data",
      `${bytes.length - dataStart} bytes`,
      `${total * 4} bytes of float32 data (truncated or corrupt file)`,
    );
  }
  const copy = bytes.slice(dataStart);
  const floats = new Float32Array(copy.buffer, 0, total);
  const tensors: NamedWeights = new Map();
  let offset = 0;
  for (const t of header.tensors) {
    tensors.set(t.name, {
      shape: t.shape,
      data: floats.subarray(offset, offset + t.length),
    });
    offset += t.length;
  }
  return { meta: header.meta, tensors };
}

/**
 * Writes bytes to `path` atomically: a temporary file in the same folder,
 * fsync, then rename over `path`.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temporary = join(
    dirname(path),
    `.${crypto.randomUUID()}.tmp`,
  );
  const fd = openSync(temporary, "w");
  try {
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Writes a checkpoint atomically. */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

/** Reads a checkpoint; errors name the file. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DataError(
      path,
      "",
      "missing or unreadable",
      "a checkpoint file",
      {
        cause: error,
      },
    );
  }
  return decodeCheckpoint(bytes, path);
}
