/**
 * A minimal DICOM series reader: a folder of uncompressed single-frame CT
 * slices (Implicit or Explicit VR Little Endian) becomes one volume in
 * Hounsfield units.
 *
 * DICOM patient coordinates are LPS already. Voxel x runs along the row
 * direction cosine (`ImageOrientationPatient[0..2]`, increasing column
 * index), voxel y along the column cosine (`[3..5]`), voxel z along their
 * cross product, the slice normal. Slices are sorted by their position along
 * the normal; the z spacing comes from those positions (gantry tilt, i.e.
 * positions that drift off the normal, is not modelled).
 *
 * @module
 */

import { basename, join } from "node:path";
import { DataError } from "../errors.ts";
import { createVolume, type Matrix3, type Volume } from "../volume.ts";
import { decodeElements, quote, readFileOrThrow } from "./_util.ts";

const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

/** Names of transfer syntaxes this reader refuses, for the error message. */
const KNOWN_SYNTAXES: Record<string, string> = {
  "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
  "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
  "1.2.840.10008.1.2.4.50": "JPEG Baseline",
  "1.2.840.10008.1.2.4.51": "JPEG Extended",
  "1.2.840.10008.1.2.4.57": "JPEG Lossless",
  "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
  "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS Near-lossless",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
  "1.2.840.10008.1.2.4.91": "JPEG 2000",
  "1.2.840.10008.1.2.4.201": "HTJ2K Lossless",
  "1.2.840.10008.1.2.4.203": "HTJ2K",
  "1.2.840.10008.1.2.5": "RLE Lossless",
};

/** Explicit VRs whose length field is 4 bytes (after 2 reserved bytes). */
const LONG_VRS = new Set([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "SV",
  "UC",
  "UN",
  "UR",
  "UT",
  "UV",
]);

const UNDEFINED = 0xffffffff;

/** The attributes read, by tag (group << 16 | element). */
const TAGS = {
  transferSyntax: 0x00020010,
  sliceThickness: 0x00180050,
  spacingBetweenSlices: 0x00180088,
  seriesUid: 0x0020000e,
  position: 0x00200032,
  orientation: 0x00200037,
  samplesPerPixel: 0x00280002,
  numberOfFrames: 0x00280008,
  rows: 0x00280010,
  columns: 0x00280011,
  pixelSpacing: 0x00280030,
  bitsAllocated: 0x00280100,
  bitsStored: 0x00280101,
  pixelRepresentation: 0x00280103,
  rescaleIntercept: 0x00281052,
  rescaleSlope: 0x00281053,
  pixelData: 0x7fe00010,
} as const;

const WANTED = new Set<number>(Object.values(TAGS));

/** One parsed slice: the attributes Pleura needs and its pixel bytes. */
export interface DicomSlice {
  /** Path of the file. */
  readonly file: string;
  /** `SeriesInstanceUID`, or "" when absent. */
  readonly seriesUid: string;
  /** `Rows` (voxels along y). */
  readonly rows: number;
  /** `Columns` (voxels along x). */
  readonly columns: number;
  /** `PixelSpacing`: [between rows (y), between columns (x)] in mm. */
  readonly pixelSpacingMm: readonly [number, number];
  /** `ImagePositionPatient`: LPS (x, y, z) mm of the first transmitted pixel. */
  readonly positionMm: readonly [number, number, number];
  /** `ImageOrientationPatient`: row cosine (x, y, z) then column cosine. */
  readonly orientation: readonly number[];
  /** `RescaleSlope` (default 1). */
  readonly rescaleSlope: number;
  /** `RescaleIntercept` (default 0). */
  readonly rescaleIntercept: number;
  /** `BitsStored`. */
  readonly bitsStored: number;
  /** `PixelRepresentation`: 0 unsigned, 1 two's complement. */
  readonly signed: boolean;
  /** Stored pixel values, rows × columns, row-major (x fastest). */
  readonly pixels: Int16Array | Uint16Array;
  /** `SliceThickness` or `SpacingBetweenSlices` when present, else null. */
  readonly sliceSpacingMm: number | null;
}

/**
 * True when the bytes carry the DICOM Part 10 preamble (`DICM` at byte 128).
 *
 * @param bytes the start of a file (at least 132 bytes)
 * @returns whether the file is a DICOM Part 10 file
 * @example
 * ```ts
 * import { isDicomFile } from "./dicom.ts";
 * isDicomFile(new Uint8Array(10)); // false
 * ```
 */
export function isDicomFile(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 &&
    bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Parses one uncompressed single-frame DICOM slice.
 *
 * @param file the path, for error messages
 * @param bytes the whole file
 * @returns the slice attributes and its stored pixel values
 * @throws {DataError} naming the file and attribute for compressed or malformed input
 * @example
 * ```ts
 * import { parseDicomSlice } from "./dicom.ts";
 * const slice = parseDicomSlice("z-115.0.dcm", await Deno.readFile("z-115.0.dcm"));
 * slice.rows; // 512
 * ```
 */
export function parseDicomSlice(file: string, bytes: Uint8Array): DicomSlice {
  if (!isDicomFile(bytes)) {
    throw new DataError(
      file,
      "",
      "a file without the DICM marker at byte 128",
      "a DICOM Part 10 file",
    );
  }
  const values = new Map<number, { offset: number; length: number }>();
  const parser = new Parser(file, bytes);
  // File meta information (group 0002) is always Explicit VR Little Endian.
  let offset = 132;
  while (offset + 8 <= bytes.length && parser.u16(offset) === 0x0002) {
    const e = parser.element(offset, true);
    if (WANTED.has(e.tag)) {
      values.set(e.tag, { offset: e.valueOffset, length: e.length });
    }
    offset = e.valueOffset + e.length;
  }
  const syntaxValue = values.get(TAGS.transferSyntax);
  if (syntaxValue === undefined) {
    throw new DataError(
      file,
      "TransferSyntaxUID",
      "missing from the file meta information",
      `"${IMPLICIT_LE}" or "${EXPLICIT_LE}"`,
    );
  }
  const syntax = parser.text(syntaxValue.offset, syntaxValue.length);
  if (syntax !== IMPLICIT_LE && syntax !== EXPLICIT_LE) {
    const name = KNOWN_SYNTAXES[syntax];
    const compressed = syntax.startsWith("1.2.840.10008.1.2.4.") ||
      syntax === "1.2.840.10008.1.2.5";
    throw new DataError(
      file,
      "TransferSyntaxUID",
      `"${syntax}"${
        name ? ` (${name}${compressed ? ", compressed" : ""})` : ""
      }`,
      `"${IMPLICIT_LE}" (Implicit VR Little Endian) or "${EXPLICIT_LE}" (Explicit VR Little Endian); ` +
        "decompress the series first, e.g. with gdcmconv --raw or dcmdjpeg",
    );
  }
  const explicit = syntax === EXPLICIT_LE;
  while (offset + 8 <= bytes.length) {
    const e = parser.element(offset, explicit);
    if (e.length === UNDEFINED) {
      if (e.tag === TAGS.pixelData) {
        throw new DataError(
          file,
          "PixelData",
          "encapsulated (undefined length)",
          "native, uncompressed pixel data",
        );
      }
      offset = parser.skipSequence(e.valueOffset, explicit && e.vr !== "UN");
      continue;
    }
    if (WANTED.has(e.tag)) {
      values.set(e.tag, { offset: e.valueOffset, length: e.length });
    }
    offset = e.valueOffset + e.length;
    if (e.tag === TAGS.pixelData) break;
  }

  const us = (tag: number, name: string, fallback?: number): number => {
    const v = values.get(tag);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new DataError(file, name, "missing", "a value (VR US)");
    }
    if (v.length < 2) {
      throw new DataError(file, name, `${v.length} bytes long`, "2 bytes (US)");
    }
    return parser.u16(v.offset);
  };
  const numbers = (
    tag: number,
    name: string,
    count: number,
    fallback?: number[],
  ): number[] => {
    const v = values.get(tag);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new DataError(file, name, "missing", `${count} numbers`);
    }
    const text = parser.text(v.offset, v.length);
    const parts = text.split("\\").map((p) => p.trim());
    const parsed = parts.map((p) => (p === "" ? NaN : Number(p)));
    if (parsed.length !== count || !parsed.every(Number.isFinite)) {
      throw new DataError(
        file,
        name,
        quote(text),
        `${count} finite number${count === 1 ? "" : "s"} separated by "\\"`,
      );
    }
    return parsed;
  };

  const samples = us(TAGS.samplesPerPixel, "SamplesPerPixel", 1);
  if (samples !== 1) {
    throw new DataError(
      file,
      "SamplesPerPixel",
      String(samples),
      "1 (grey-scale)",
    );
  }
  const frames = values.has(TAGS.numberOfFrames)
    ? numbers(TAGS.numberOfFrames, "NumberOfFrames", 1)[0]
    : 1;
  if (frames !== 1) {
    throw new DataError(
      file,
      "NumberOfFrames",
      String(frames),
      "1 (one slice per file)",
    );
  }
  const rows = us(TAGS.rows, "Rows");
  const columns = us(TAGS.columns, "Columns");
  if (rows === 0 || columns === 0) {
    throw new DataError(
      file,
      rows === 0 ? "Rows" : "Columns",
      "0",
      "a positive number of pixels",
    );
  }
  const bitsAllocated = us(TAGS.bitsAllocated, "BitsAllocated");
  if (bitsAllocated !== 16) {
    throw new DataError(
      file,
      "BitsAllocated",
      String(bitsAllocated),
      "16 (CT pixels)",
    );
  }
  const bitsStored = us(TAGS.bitsStored, "BitsStored", 16);
  if (bitsStored < 1 || bitsStored > 16) {
    throw new DataError(file, "BitsStored", String(bitsStored), "1..16");
  }
  const representation = us(TAGS.pixelRepresentation, "PixelRepresentation");
  if (representation !== 0 && representation !== 1) {
    throw new DataError(
      file,
      "PixelRepresentation",
      String(representation),
      "0 (unsigned) or 1 (signed)",
    );
  }
  const spacing = numbers(TAGS.pixelSpacing, "PixelSpacing", 2);
  if (!spacing.every((s) => s > 0)) {
    throw new DataError(
      file,
      "PixelSpacing",
      quote(spacing.join("\\")),
      "2 numbers > 0 (mm)",
    );
  }
  const position = numbers(TAGS.position, "ImagePositionPatient", 3);
  const orientation = numbers(TAGS.orientation, "ImageOrientationPatient", 6);
  const [rx, ry, rz, cx, cy, cz] = orientation;
  const dot = rx * cx + ry * cy + rz * cz;
  if (
    Math.abs(Math.hypot(rx, ry, rz) - 1) > 1e-3 ||
    Math.abs(Math.hypot(cx, cy, cz) - 1) > 1e-3 || Math.abs(dot) > 1e-3
  ) {
    throw new DataError(
      file,
      "ImageOrientationPatient",
      quote(orientation.join("\\")),
      "two orthogonal unit vectors",
    );
  }
  const slope = numbers(TAGS.rescaleSlope, "RescaleSlope", 1, [1])[0];
  const intercept =
    numbers(TAGS.rescaleIntercept, "RescaleIntercept", 1, [0])[0];
  if (slope === 0) {
    throw new DataError(file, "RescaleSlope", "0", "a non-zero number");
  }
  let sliceSpacingMm: number | null = null;
  for (
    const [tag, name] of [
      [TAGS.spacingBetweenSlices, "SpacingBetweenSlices"],
      [TAGS.sliceThickness, "SliceThickness"],
    ] as const
  ) {
    if (sliceSpacingMm !== null || !values.has(tag)) continue;
    const v = values.get(tag)!;
    const n = Number(parser.text(v.offset, v.length));
    if (Number.isFinite(n) && n > 0) sliceSpacingMm = n;
    else if (parser.text(v.offset, v.length) !== "") {
      throw new DataError(
        file,
        name,
        quote(parser.text(v.offset, v.length)),
        "a number > 0 (mm)",
      );
    }
  }

  const pixel = values.get(TAGS.pixelData);
  const needed = rows * columns * 2;
  if (pixel === undefined) {
    throw new DataError(file, "PixelData", "missing", `${needed} bytes`);
  }
  if (pixel.length < needed) {
    throw new DataError(
      file,
      "PixelData",
      `${pixel.length} bytes`,
      `${needed} bytes (Rows ${rows} × Columns ${columns} × 2)`,
    );
  }
  const signed = representation === 1;
  const pixels = decodeElements(
    bytes,
    pixel.offset,
    rows * columns,
    signed ? Int16Array : Uint16Array,
    false,
  ) as Int16Array | Uint16Array;
  if (bitsStored < 16) maskStoredBits(pixels, bitsStored, signed);
  const seriesValue = values.get(TAGS.seriesUid);
  return {
    file,
    seriesUid: seriesValue
      ? parser.text(seriesValue.offset, seriesValue.length)
      : "",
    rows,
    columns,
    pixelSpacingMm: [spacing[0], spacing[1]],
    positionMm: [position[0], position[1], position[2]],
    orientation,
    rescaleSlope: slope,
    rescaleIntercept: intercept,
    bitsStored,
    signed,
    pixels,
    sliceSpacingMm,
  };
}

/** Keeps the low `bits` bits (sign-extending them when signed); the rest may hold overlays. */
function maskStoredBits(
  pixels: Int16Array | Uint16Array,
  bits: number,
  signed: boolean,
): void {
  const shift = 32 - bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < pixels.length; i++) {
    pixels[i] = signed
      ? ((pixels[i] & 0xffff) << shift) >> shift
      : pixels[i] & mask;
  }
}

/**
 * Reads a folder of DICOM slices of one series as a volume in Hounsfield
 * units (`stored · RescaleSlope + RescaleIntercept`). Files without the
 * `DICM` marker (and hidden files, folders) are skipped.
 *
 * The array is an `Int16Array` when the rescale is integral and every value
 * fits in int16 (the usual CT case), else a `Float32Array`.
 *
 * @param dir the folder
 * @returns the volume in ZYX order with LPS geometry
 * @throws {DataError} naming the file and attribute for a compressed, mixed or malformed series
 * @example
 * ```ts
 * import { readDicomSeries } from "./dicom.ts";
 * const volume = await readDicomSeries("lidc0001_dicom3");
 * volume.shape; // [3, 512, 512]
 * ```
 */
export async function readDicomSeries(dir: string): Promise<Volume> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && !entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        dir,
        "",
        "a folder that does not exist",
        "a folder of DICOM slices",
        { cause: error },
      );
    }
    throw error;
  }
  names.sort();
  const slices: DicomSlice[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const bytes = await readFileOrThrow(path, path, "", "a readable file");
    if (!isDicomFile(bytes)) continue;
    slices.push(parseDicomSlice(path, bytes));
  }
  if (slices.length === 0) {
    throw new DataError(
      dir,
      "",
      `a folder with no DICOM files (${names.length} file${
        names.length === 1 ? "" : "s"
      } without the DICM marker)`,
      "uncompressed DICOM slices of one series",
    );
  }
  return assembleSeries(dir, slices);
}

/**
 * Stacks parsed slices of one series into a volume (see {@linkcode readDicomSeries}).
 *
 * @param dir the folder, for error messages
 * @param slices the slices, in any order
 * @returns the volume in ZYX order with LPS geometry
 * @throws {DataError} for mixed, duplicated or unevenly spaced slices
 * @example
 * ```ts
 * import { assembleSeries, parseDicomSlice } from "./dicom.ts";
 * const files = ["a.dcm", "b.dcm"];
 * const slices = await Promise.all(files.map(async (f) => parseDicomSlice(f, await Deno.readFile(f))));
 * const volume = assembleSeries(".", slices);
 * ```
 */
export function assembleSeries(
  dir: string,
  slices: readonly DicomSlice[],
): Volume {
  const first = slices[0];
  for (const s of slices) {
    const mismatch = (field: string, a: unknown, b: unknown) =>
      new DataError(
        s.file,
        field,
        quote(String(a)),
        `${quote(String(b))} as in "${
          basename(first.file)
        }" (one series per folder)`,
      );
    if (s.seriesUid !== first.seriesUid) {
      throw mismatch("SeriesInstanceUID", s.seriesUid, first.seriesUid);
    }
    if (s.rows !== first.rows) throw mismatch("Rows", s.rows, first.rows);
    if (s.columns !== first.columns) {
      throw mismatch("Columns", s.columns, first.columns);
    }
    if (
      s.pixelSpacingMm.some((v, i) =>
        Math.abs(v - first.pixelSpacingMm[i]) > 1e-4
      )
    ) {
      throw mismatch(
        "PixelSpacing",
        s.pixelSpacingMm.join("\\"),
        first.pixelSpacingMm.join("\\"),
      );
    }
    if (
      s.orientation.some((v, i) => Math.abs(v - first.orientation[i]) > 1e-4)
    ) {
      throw mismatch(
        "ImageOrientationPatient",
        s.orientation.join("\\"),
        first.orientation.join("\\"),
      );
    }
  }
  const [rx, ry, rz, cx, cy, cz] = first.orientation;
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  const along = (s: DicomSlice) =>
    s.positionMm[0] * normal[0] + s.positionMm[1] * normal[1] +
    s.positionMm[2] * normal[2];
  const sorted = [...slices].sort((a, b) => along(a) - along(b));
  let spacingZ: number;
  if (sorted.length === 1) {
    spacingZ = first.sliceSpacingMm ?? 1;
  } else {
    const steps: number[] = [];
    for (let i = 1; i < sorted.length; i++) {
      const step = along(sorted[i]) - along(sorted[i - 1]);
      if (!(step > 1e-4)) {
        throw new DataError(
          sorted[i].file,
          "ImagePositionPatient",
          quote(sorted[i].positionMm.join("\\")),
          `a position different from "${basename(sorted[i - 1].file)}" (${
            sorted[i - 1].positionMm.join("\\")
          }): each slice once`,
        );
      }
      steps.push(step);
    }
    spacingZ = (along(sorted[sorted.length - 1]) - along(sorted[0])) /
      (sorted.length - 1);
    const worst = Math.max(...steps.map((s) => Math.abs(s - spacingZ)));
    if (worst > Math.max(0.01, 0.01 * spacingZ)) {
      throw new DataError(
        dir,
        "ImagePositionPatient",
        `slice steps from ${Math.min(...steps).toFixed(3)} to ${
          Math.max(...steps).toFixed(3)
        } mm`,
        "evenly spaced slices (a gap or a mixed series?)",
      );
    }
  }

  const { rows, columns } = first;
  const plane = rows * columns;
  // Int16 output when the rescale is integral and the HU range fits.
  let integral = true;
  let lo = Infinity, hi = -Infinity;
  for (const s of sorted) {
    if (
      !Number.isInteger(s.rescaleSlope) || !Number.isInteger(s.rescaleIntercept)
    ) integral = false;
    let smin = Infinity, smax = -Infinity;
    const p = s.pixels;
    for (let i = 0; i < plane; i++) {
      const v = p[i];
      if (v < smin) smin = v;
      if (v > smax) smax = v;
    }
    const a = smin * s.rescaleSlope + s.rescaleIntercept;
    const b = smax * s.rescaleSlope + s.rescaleIntercept;
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  const fits = integral && lo >= -32768 && hi <= 32767;
  const data = fits
    ? new Int16Array(plane * sorted.length)
    : new Float32Array(plane * sorted.length);
  sorted.forEach((s, z) => {
    const p = s.pixels, slope = s.rescaleSlope, inter = s.rescaleIntercept;
    const o = z * plane;
    for (let i = 0; i < plane; i++) data[o + i] = p[i] * slope + inter;
  });
  // Column j of the ZYX direction = world (z, y, x) of voxel axis j.
  const direction: Matrix3 = [
    normal[2],
    cz,
    rz,
    normal[1],
    cy,
    ry,
    normal[0],
    cx,
    rx,
  ].map((v) => v + 0) as unknown as Matrix3;
  const origin = sorted[0].positionMm;
  return createVolume(data, [sorted.length, rows, columns], {
    spacingMm: [spacingZ, first.pixelSpacingMm[0], first.pixelSpacingMm[1]],
    originMm: [origin[2], origin[1], origin[0]],
    direction,
  });
}

/** Element-level reading over the file bytes. */
class Parser {
  readonly #file: string;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(file: string, bytes: Uint8Array) {
    this.#file = file;
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u16(offset: number): number {
    return this.#view.getUint16(offset, true);
  }

  /** A string value with trailing spaces and NULs removed. */
  text(offset: number, length: number): string {
    let end = offset + length;
    while (
      end > offset &&
      (this.#bytes[end - 1] === 0 || this.#bytes[end - 1] === 32)
    ) end--;
    let start = offset;
    while (start < end && this.#bytes[start] === 32) start++;
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(this.#bytes[i]);
    return s;
  }

  /** Reads an element header at `offset`. */
  element(
    offset: number,
    explicit: boolean,
  ): { tag: number; vr: string; length: number; valueOffset: number } {
    const n = this.#bytes.length;
    if (offset + 8 > n) this.#truncated(offset);
    const group = this.u16(offset), elem = this.u16(offset + 2);
    const tag = ((group << 16) | elem) >>> 0;
    let vr = "";
    let length: number;
    let valueOffset: number;
    if (!explicit || group === 0xfffe) {
      length = this.#view.getUint32(offset + 4, true);
      valueOffset = offset + 8;
    } else {
      vr = String.fromCharCode(
        this.#bytes[offset + 4],
        this.#bytes[offset + 5],
      );
      if (LONG_VRS.has(vr)) {
        if (offset + 12 > n) this.#truncated(offset);
        length = this.#view.getUint32(offset + 8, true);
        valueOffset = offset + 12;
      } else {
        length = this.u16(offset + 6);
        valueOffset = offset + 8;
      }
    }
    if (length !== UNDEFINED && valueOffset + length > n) {
      this.#truncated(offset, tag, length, n - valueOffset);
    }
    return { tag, vr, length, valueOffset };
  }

  /**
   * Skips a sequence of undefined length starting at `offset` (its first
   * item); returns the offset after the sequence delimitation item.
   */
  skipSequence(offset: number, explicit: boolean): number {
    while (true) {
      const item = this.element(offset, explicit);
      if (item.tag === 0xfffee0dd) return item.valueOffset; // sequence end
      if (item.tag !== 0xfffee000) {
        throw new DataError(
          this.#file,
          tagName(item.tag),
          "found inside a sequence",
          "an item (FFFE,E000) or a sequence delimiter (FFFE,E0DD)",
        );
      }
      if (item.length !== UNDEFINED) {
        offset = item.valueOffset + item.length;
        continue;
      }
      // An item of undefined length: walk its elements to the item delimiter.
      offset = item.valueOffset;
      while (true) {
        const e = this.element(offset, explicit);
        if (e.tag === 0xfffee00d) {
          offset = e.valueOffset;
          break;
        }
        offset = e.length === UNDEFINED
          ? this.skipSequence(e.valueOffset, explicit && e.vr !== "UN")
          : e.valueOffset + e.length;
      }
    }
  }

  #truncated(
    offset: number,
    tag?: number,
    length?: number,
    left?: number,
  ): never {
    throw new DataError(
      this.#file,
      tag === undefined ? "" : tagName(tag),
      tag === undefined
        ? `cut short at byte ${offset} (truncated file)`
        : `${length} bytes long, but only ${
          Math.max(0, left!)
        } bytes remain (truncated file)`,
      "a complete DICOM file",
    );
  }
}

function tagName(tag: number): string {
  for (const [key, value] of Object.entries(TAGS)) {
    if (value === tag) return KEYWORDS[key as keyof typeof TAGS];
  }
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  return `(${hex(tag >>> 16)},${hex(tag & 0xffff)})`;
}

const KEYWORDS: Record<keyof typeof TAGS, string> = {
  transferSyntax: "TransferSyntaxUID",
  sliceThickness: "SliceThickness",
  spacingBetweenSlices: "SpacingBetweenSlices",
  seriesUid: "SeriesInstanceUID",
  position: "ImagePositionPatient",
  orientation: "ImageOrientationPatient",
  samplesPerPixel: "SamplesPerPixel",
  numberOfFrames: "NumberOfFrames",
  rows: "Rows",
  columns: "Columns",
  pixelSpacing: "PixelSpacing",
  bitsAllocated: "BitsAllocated",
  bitsStored: "BitsStored",
  pixelRepresentation: "PixelRepresentation",
  rescaleIntercept: "RescaleIntercept",
  rescaleSlope: "RescaleSlope",
  pixelData: "PixelData",
};
