/**
 * NIfTI-1 reading: single-file `.nii` and gzipped `.nii.gz`, either byte
 * order, scalar datatypes.
 *
 * NIfTI maps voxel (i, j, k), i fastest (the same memory order as MetaImage),
 * to **RAS** world mm through the sform (`sform_code > 0`), else the qform
 * quaternion (`qform_code > 0`), else plain `pixdim` scaling. Pleura's world
 * is LPS, so the first two world axes are negated; the result is mapped to
 * the ZYX {@linkcode Volume} (voxel z = k, y = j, x = i).
 *
 * @module
 */

import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataError } from "../errors.ts";
import {
  createVolume,
  type Matrix3,
  type Volume,
  type VoxelArray,
  type Zyx,
} from "../volume.ts";
import {
  decodeElements,
  readFileOrThrow,
  type ReadOptions,
  rejectNaN,
  type VoxelArrayConstructor,
} from "./_util.ts";

/** NIfTI-1 datatype codes this reader understands, with their arrays. */
const DATATYPES: Record<number, { name: string; ctor: VoxelArrayConstructor }> =
  {
    2: { name: "uint8", ctor: Uint8Array },
    4: { name: "int16", ctor: Int16Array },
    8: { name: "int32", ctor: Int32Array },
    16: { name: "float32", ctor: Float32Array },
    64: { name: "float64", ctor: Float64Array },
    256: { name: "int8", ctor: Int8Array },
    512: { name: "uint16", ctor: Uint16Array },
    768: { name: "uint32", ctor: Uint32Array },
  };

const DATATYPE_LIST = Object.entries(DATATYPES)
  .map(([code, t]) => `${code} (${t.name})`)
  .join(", ");

const HEADER_BYTES = 348;

/** Which NIfTI rule placed the voxels in the world. */
export type NiftiGeometrySource = "sform" | "qform" | "pixdim";

/** The fields of a NIfTI-1 header that Pleura uses, with the geometry resolved. */
export interface NiftiHeader {
  /** Path of the file. */
  readonly file: string;
  /** Byte order of the file. */
  readonly littleEndian: boolean;
  /** `dim[0..7]`. */
  readonly dim: readonly number[];
  /** `datatype` code. */
  readonly datatype: number;
  /** `pixdim[0..7]` (`pixdim[0]` is qfac). */
  readonly pixdim: readonly number[];
  /** `vox_offset`: byte offset of the voxel data. */
  readonly voxOffset: number;
  /** `scl_slope` and `scl_inter`. */
  readonly sclSlope: number;
  /** `scl_inter`. */
  readonly sclInter: number;
  /** `qform_code`. */
  readonly qformCode: number;
  /** `sform_code`. */
  readonly sformCode: number;
  /** The rule used for the geometry. */
  readonly geometrySource: NiftiGeometrySource;
  /** The voxel → RAS affine actually used, 3 rows of 4 (`srow_x/y/z` layout). */
  readonly affineRas: readonly number[];
  /** Number of voxels along (z, y, x) = (dim[3], dim[2], dim[1]). */
  readonly shape: Zyx;
  /** Voxel size in mm along (z, y, x) (column norms of the affine). */
  readonly spacingMm: Zyx;
  /** World LPS mm of voxel (0, 0, 0), (z, y, x). */
  readonly originMm: Zyx;
  /** ZYX direction matrix in LPS (column j = world direction of voxel axis j). */
  readonly direction: Matrix3;
}

/**
 * Reads only the header of a `.nii` or `.nii.gz` file.
 *
 * @param path the NIfTI file
 * @returns the parsed header with LPS geometry
 * @throws {DataError} naming the file and field when the header is malformed
 * @example
 * ```ts
 * import { readNiftiHeader } from "./nifti.ts";
 * const header = await readNiftiHeader("ts_example_ct_sm.nii.gz");
 * header.geometrySource; // "sform"
 * ```
 */
export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  const bytes = await readNiftiBytes(path, HEADER_BYTES);
  return parseNiftiHeader(path, bytes);
}

/**
 * Reads a NIfTI-1 volume (`.nii` or `.nii.gz`).
 *
 * The array type follows `datatype`, except that a real scaling
 * (`scl_slope` ≠ 0 and (`scl_slope`, `scl_inter`) ≠ (1, 0)) gives a
 * `Float32Array` of `stored · scl_slope + scl_inter`.
 *
 * @param path the NIfTI file
 * @param options `allowNaN` keeps NaN voxels of float data (rejected by default)
 * @returns the volume in ZYX order with LPS geometry
 * @throws {DataError} naming the file and header field for every malformed input
 * @example
 * ```ts
 * import { readNifti } from "./nifti.ts";
 * const volume = await readNifti("ibsi1_ct_phantom.nii.gz");
 * volume.shape; // [60, 201, 204]
 * ```
 */
export async function readNifti(
  path: string,
  options: ReadOptions = {},
): Promise<Volume> {
  const bytes = await readNiftiBytes(path, Infinity);
  const header = parseNiftiHeader(path, bytes);
  const { ctor } = DATATYPES[header.datatype];
  const count = header.shape[0] * header.shape[1] * header.shape[2];
  const needed = count * ctor.BYTES_PER_ELEMENT;
  const available = bytes.length - header.voxOffset;
  if (available < needed) {
    throw new DataError(
      path,
      "dim",
      `[${
        header.dim.slice(0, header.dim[0] + 1).join(", ")
      }] (${count} voxels × ${ctor.BYTES_PER_ELEMENT} bytes = ${needed} bytes), but the file holds ${
        Math.max(0, available)
      } bytes after vox_offset ${header.voxOffset} (truncated)`,
      `${needed} bytes of voxel data`,
    );
  }
  let data: VoxelArray = decodeElements(
    bytes,
    header.voxOffset,
    count,
    ctor,
    !header.littleEndian,
  );
  const slope = header.sclSlope, inter = header.sclInter;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0)) {
    if (!Number.isFinite(inter)) {
      throw new DataError(
        path,
        "scl_inter",
        String(inter),
        "a finite number when scl_slope is set",
      );
    }
    const scaled = new Float32Array(count);
    for (let i = 0; i < count; i++) scaled[i] = data[i] * slope + inter;
    data = scaled;
  }
  rejectNaN(data, path, "voxel data", options);
  return createVolume(data, header.shape, header);
}

/** Reads the file (inflating `.gz`); `limit` bytes are enough when finite. */
async function readNiftiBytes(
  path: string,
  limit: number,
): Promise<Uint8Array> {
  const gz = basename(path).toLowerCase().endsWith(".gz");
  if (gz && Number.isFinite(limit)) return await readGzipPrefix(path, limit);
  const raw = await readFileOrThrow(
    path,
    path,
    "",
    "an existing NIfTI file",
  );
  if (!gz) return raw;
  try {
    return gunzipSync(raw);
  } catch (error) {
    throw gzipError(path, error);
  }
}

function gzipError(path: string, error: unknown): DataError {
  const reason = error instanceof Error ? error.message : String(error);
  return new DataError(
    path,
    "",
    `the gzip stream cannot be inflated (${reason})`,
    "a complete gzip file (.nii.gz)",
    { cause: error },
  );
}

/** Inflates the first `limit` bytes of a gzip file without reading all of it. */
async function readGzipPrefix(
  path: string,
  limit: number,
): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        path,
        "",
        `"${path}", which does not exist`,
        "an existing NIfTI file",
        { cause: error },
      );
    }
    throw error;
  }
  const reader = file.readable
    .pipeThrough(new DecompressionStream("gzip"))
    .getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (error) {
    throw gzipError(path, error);
  } finally {
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function parseNiftiHeader(path: string, bytes: Uint8Array): NiftiHeader {
  if (bytes.length < HEADER_BYTES) {
    throw new DataError(
      path,
      "sizeof_hdr",
      `a file of ${bytes.length} bytes`,
      `a NIfTI-1 header of ${HEADER_BYTES} bytes (truncated file)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  const sizeLe = view.getInt32(0, true);
  const sizeBe = view.getInt32(0, false);
  if (sizeLe === HEADER_BYTES) le = true;
  else if (sizeBe === HEADER_BYTES) le = false;
  else if (sizeLe === 540 || sizeBe === 540) {
    throw new DataError(
      path,
      "sizeof_hdr",
      "540 (NIfTI-2)",
      "348 (NIfTI-1; NIfTI-2 is not supported)",
    );
  } else {
    throw new DataError(
      path,
      "sizeof_hdr",
      String(sizeLe),
      "348 in either byte order (a NIfTI-1 file)",
    );
  }
  const magic = String.fromCharCode(...bytes.subarray(344, 348));
  if (magic !== "n+1\0") {
    const shown = JSON.stringify(magic.replace(/\0+$/, ""));
    throw new DataError(
      path,
      "magic",
      shown,
      magic === "ni1\0"
        ? `"n+1" (a single-file .nii; .hdr/.img pairs are not supported)`
        : `"n+1" (a single-file NIfTI-1)`,
    );
  }
  const i16 = (at: number) => view.getInt16(at, le);
  const f32 = (at: number) => view.getFloat32(at, le);
  const dim = Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i));
  const datatype = i16(70);
  const bitpix = i16(72);
  const pixdim = Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i));
  const voxOffset = f32(108);
  const sclSlope = f32(112);
  const sclInter = f32(116);
  const qformCode = i16(252);
  const sformCode = i16(254);

  const rank = dim[0];
  if (
    rank < 3 || rank > 7 || dim.slice(4, rank + 1).some((n) => n !== 1)
  ) {
    throw new DataError(
      path,
      "dim",
      `[${dim.slice(0, Math.max(1, Math.min(rank, 7) + 1)).join(", ")}]`,
      "a 3-D volume (dim[0] = 3, or 4 with dim[4] = 1)",
    );
  }
  if (!dim.slice(1, 4).every((n) => n > 0)) {
    throw new DataError(
      path,
      "dim",
      `[${dim.slice(0, 4).join(", ")}]`,
      "dim[1..3] > 0",
    );
  }
  const type = DATATYPES[datatype];
  if (type === undefined) {
    throw new DataError(
      path,
      "datatype",
      String(datatype),
      `one of ${DATATYPE_LIST}`,
    );
  }
  if (bitpix !== type.ctor.BYTES_PER_ELEMENT * 8) {
    throw new DataError(
      path,
      "bitpix",
      String(bitpix),
      `${
        type.ctor.BYTES_PER_ELEMENT * 8
      } for datatype ${datatype} (${type.name})`,
    );
  }
  if (!Number.isInteger(voxOffset) || voxOffset < HEADER_BYTES) {
    throw new DataError(
      path,
      "vox_offset",
      String(voxOffset),
      `an integer >= ${HEADER_BYTES}`,
    );
  }

  const checkPixdim = () => {
    for (let i = 1; i <= 3; i++) {
      if (!(Number.isFinite(pixdim[i]) && pixdim[i] > 0)) {
        throw new DataError(
          path,
          `pixdim[${i}]`,
          String(pixdim[i]),
          "a finite voxel size > 0 (mm)",
        );
      }
    }
  };

  let affine: number[];
  let geometrySource: NiftiGeometrySource;
  if (sformCode > 0) {
    affine = Array.from({ length: 12 }, (_, i) => f32(280 + 4 * i));
    geometrySource = "sform";
    if (!affine.every(Number.isFinite)) {
      throw new DataError(
        path,
        "srow_x",
        `[${affine.join(", ")}] (srow_x, srow_y, srow_z)`,
        "finite numbers",
      );
    }
  } else if (qformCode > 0) {
    checkPixdim();
    const q = [256, 260, 264, 268, 272, 276].map(f32);
    if (!q.every(Number.isFinite)) {
      throw new DataError(
        path,
        "quatern_b",
        `[${q.join(", ")}] (quatern_b..d, qoffset_x..z)`,
        "finite numbers",
      );
    }
    affine = qformAffine(q, pixdim);
    geometrySource = "qform";
  } else {
    checkPixdim();
    affine = [pixdim[1], 0, 0, 0, 0, pixdim[2], 0, 0, 0, 0, pixdim[3], 0];
    geometrySource = "pixdim";
  }

  // RAS → LPS: negate the x and y rows.
  const lps = affine.map((v, i) => (i < 8 ? -v : v) + 0);
  const spacingXyz = [0, 1, 2].map((c) =>
    Math.hypot(lps[c], lps[4 + c], lps[8 + c])
  );
  for (let c = 0; c < 3; c++) {
    if (!(spacingXyz[c] > 0)) {
      throw new DataError(
        path,
        geometrySource === "sform" ? "srow_x" : `pixdim[${c + 1}]`,
        `an affine whose column ${c} is zero`,
        "a non-zero voxel size on every axis",
      );
    }
  }
  // m[row = world x,y,z][col = voxel i,j,k], unit columns.
  const direction: number[] = new Array(9);
  for (let r = 0; r < 3; r++) {
    for (let a = 0; a < 3; a++) {
      const row = 2 - r, col = 2 - a;
      direction[r * 3 + a] = lps[row * 4 + col] / spacingXyz[col] + 0;
    }
  }
  return {
    file: path,
    littleEndian: le,
    dim,
    datatype,
    pixdim,
    voxOffset,
    sclSlope,
    sclInter,
    qformCode,
    sformCode,
    geometrySource,
    affineRas: affine,
    shape: [dim[3], dim[2], dim[1]],
    spacingMm: [spacingXyz[2], spacingXyz[1], spacingXyz[0]],
    originMm: [lps[11], lps[7], lps[3]],
    direction: direction as unknown as Matrix3,
  };
}

/**
 * The qform affine (NIfTI-1 method 2): rotation from the unit quaternion
 * (b, c, d), k axis flipped when qfac = pixdim[0] < 0, columns scaled by
 * pixdim[1..3], translation qoffset. Follows nifti1_io's
 * `nifti_quatern_to_mat44`, including its renormalisation when a² < 1e-7.
 */
function qformAffine(q: number[], pixdim: number[]): number[] {
  let [b, c, d] = q;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    a = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= a;
    c *= a;
    d *= a;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const qfac = pixdim[0] < 0 ? -1 : 1;
  const [xd, yd, zd] = [pixdim[1], pixdim[2], pixdim[3] * qfac];
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  return [
    r[0][0] * xd,
    r[0][1] * yd,
    r[0][2] * zd,
    q[3],
    r[1][0] * xd,
    r[1][1] * yd,
    r[1][2] * zd,
    q[4],
    r[2][0] * xd,
    r[2][1] * yd,
    r[2][2] * zd,
    q[5],
  ];
}
