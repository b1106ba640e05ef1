/**
 * The LUNA16 dataset layout and its tables.
 *
 * - `annotations.csv` (header `seriesuid,coordX,coordY,coordZ,diameter_mm`):
 *   the included nodules.
 * - `annotations_excluded.csv` (same columns): irrelevant findings; a
 *   diameter of `-1` means "no size" (the FROC treats any negative diameter
 *   as 10 mm).
 * - `seriesuids.csv` (no header): the first column of every row is a scan ID.
 * - candidate / submission files: `seriesuid,coordX,coordY,coordZ,probability`.
 * - a root folder with `subset0/ … subset9/` holding `<seriesuid>.mhd` (+
 *   `.raw`/`.zraw`), an optional `seg-lungs-LUNA16/<seriesuid>.mhd` and the
 *   three CSVs.
 *
 * Coordinates in the CSVs are world LPS mm in x, y, z order; they become
 * {@linkcode Zyx} here (via {@linkcode zyxFromXyz}) and go back to x, y, z
 * on writing. Scan IDs are exact strings (never trimmed). Images are not read
 * here.
 *
 * @module
 */

import { join } from "node:path";
import { DataError } from "../errors.ts";
import {
  type Detection,
  type Nodule,
  xyzFromZyx,
  zyxFromXyz,
} from "../volume.ts";
import { CsvTable, formatCsv, parseCsv, readTextFileOrFail } from "./csv.ts";

/** Columns of `annotations.csv` and `annotations_excluded.csv`. */
export const ANNOTATION_COLUMNS = [
  "seriesuid",
  "coordX",
  "coordY",
  "coordZ",
  "diameter_mm",
] as const;

/** Columns of a candidate / submission CSV. */
export const CANDIDATE_COLUMNS = [
  "seriesuid",
  "coordX",
  "coordY",
  "coordZ",
  "probability",
] as const;

/** Which annotation table a file is, which sets the allowed diameters. */
export type AnnotationKind = "included" | "excluded";

/**
 * Parses an annotations table (`annotations.csv` or
 * `annotations_excluded.csv`) into nodules, in file order.
 *
 * Included nodules need a diameter > 0 mm; excluded findings accept any
 * finite diameter (LUNA16 writes `-1` for findings without a size).
 *
 * @param text the file's content
 * @param file the file name, for error messages
 * @param kind `"included"` (default) or `"excluded"`
 * @returns one {@linkcode Nodule} per row, `worldMm` in (z, y, x)
 * @throws {DataError} naming the row and column of a missing or bad field
 *
 * @example
 * ```ts
 * import { parseAnnotationsCsv } from "./luna16.ts";
 * const [n] = parseAnnotationsCsv("seriesuid,coordX,coordY,coordZ,diameter_mm\nA,1,2,3,6\n", "a.csv");
 * n.worldMm; // [3, 2, 1]
 * ```
 */
export function parseAnnotationsCsv(
  text: string,
  file: string,
  kind: AnnotationKind = "included",
): Nodule[] {
  const table = CsvTable.parse(text, file, ANNOTATION_COLUMNS);
  const nodules: Nodule[] = [];
  for (let r = 0; r < table.length; r++) {
    const diameterMm = table.number(r, "diameter_mm");
    if (kind === "included" && !(diameterMm > 0)) {
      throw new DataError(
        file,
        `row ${table.records[r].row}, column "diameter_mm"`,
        JSON.stringify(table.text(r, "diameter_mm")),
        "a diameter > 0 mm (only annotations_excluded.csv may use -1)",
      );
    }
    nodules.push({
      seriesuid: table.text(r, "seriesuid"),
      worldMm: zyxFromXyz([
        table.number(r, "coordX"),
        table.number(r, "coordY"),
        table.number(r, "coordZ"),
      ]),
      diameterMm,
    });
  }
  return nodules;
}

/**
 * Reads `annotations.csv` or `annotations_excluded.csv`.
 *
 * @param path the file
 * @param kind `"included"` (default) or `"excluded"`
 * @returns the nodules in file order
 * @throws {DataError} when the file is missing or malformed
 */
export async function readAnnotationsCsv(
  path: string,
  kind: AnnotationKind = "included",
): Promise<Nodule[]> {
  const what = kind === "included"
    ? "an annotations CSV (seriesuid,coordX,coordY,coordZ,diameter_mm)"
    : "an excluded-annotations CSV (seriesuid,coordX,coordY,coordZ,diameter_mm)";
  return parseAnnotationsCsv(await readTextFileOrFail(path, what), path, kind);
}

/**
 * Parses `seriesuids.csv`: no header, the first column of each row is a scan
 * ID (a header row would be read as a scan, as in the official script).
 *
 * @param text the file's content
 * @param file the file name, for error messages
 * @returns the IDs in file order
 * @throws {DataError} on an empty ID or an ID listed twice
 *
 * @example
 * ```ts
 * import { parseSeriesuidsCsv } from "./luna16.ts";
 * parseSeriesuidsCsv("A\nB,extra\n", "s.csv"); // ["A", "B"]
 * ```
 */
export function parseSeriesuidsCsv(text: string, file: string): string[] {
  const seen = new Map<string, number>();
  const ids: string[] = [];
  for (const { row, fields } of parseCsv(text, file)) {
    const id = fields[0];
    if (id === "") {
      throw new DataError(
        file,
        `row ${row}, column 1`,
        '""',
        "a series ID in the first column",
      );
    }
    const first = seen.get(id);
    if (first !== undefined) {
      throw new DataError(
        file,
        `row ${row}, column 1`,
        `${JSON.stringify(id)}, already listed at row ${first}`,
        "each series ID once (a duplicate would be evaluated twice)",
      );
    }
    seen.set(id, row);
    ids.push(id);
  }
  return ids;
}

/**
 * Reads `seriesuids.csv`.
 *
 * @param path the file
 * @returns the IDs in file order
 * @throws {DataError} when the file is missing, or on an empty or duplicate ID
 */
export async function readSeriesuidsCsv(path: string): Promise<string[]> {
  return parseSeriesuidsCsv(
    await readTextFileOrFail(path, "a series-UID list (one ID per row)"),
    path,
  );
}

/**
 * Parses a candidate / submission CSV into detections, in file order.
 * `diameter_mm` is read when the file has that column; otherwise
 * `diameterMm` is `NaN` (unknown: LUNA16 submissions carry no size).
 *
 * @param text the file's content
 * @param file the file name, for error messages
 * @returns one {@linkcode Detection} per row, `score` = `probability`
 * @throws {DataError} naming the row and column of a missing or bad field
 *
 * @example
 * ```ts
 * import { parseCandidatesCsv } from "./luna16.ts";
 * const [d] = parseCandidatesCsv("seriesuid,coordX,coordY,coordZ,probability\nA,1,2,3,0.9\n", "c.csv");
 * d.score; // 0.9
 * ```
 */
export function parseCandidatesCsv(text: string, file: string): Detection[] {
  const table = CsvTable.parse(text, file, CANDIDATE_COLUMNS);
  const withDiameter = table.has("diameter_mm");
  const detections: Detection[] = [];
  for (let r = 0; r < table.length; r++) {
    detections.push({
      seriesuid: table.text(r, "seriesuid"),
      worldMm: zyxFromXyz([
        table.number(r, "coordX"),
        table.number(r, "coordY"),
        table.number(r, "coordZ"),
      ]),
      diameterMm: withDiameter ? table.number(r, "diameter_mm") : NaN,
      score: table.number(r, "probability"),
    });
  }
  return detections;
}

/**
 * Reads a candidate / submission CSV.
 *
 * @param path the file
 * @returns the detections in file order
 * @throws {DataError} when the file is missing or malformed
 */
export async function readCandidatesCsv(path: string): Promise<Detection[]> {
  return parseCandidatesCsv(
    await readTextFileOrFail(
      path,
      "a candidates CSV (seriesuid,coordX,coordY,coordZ,probability)",
    ),
    path,
  );
}

/**
 * Formats detections as a LUNA16 submission CSV
 * (`seriesuid,coordX,coordY,coordZ,probability`, full float precision),
 * optionally with a trailing `diameter_mm` column (ignored by the official
 * script).
 *
 * @param detections the detections, written in order
 * @param options `diameter: true` adds the `diameter_mm` column
 * @returns the CSV text
 * @throws {RangeError} for a non-finite coordinate, score or (when written) diameter
 *
 * @example
 * ```ts
 * import { formatCandidatesCsv } from "./luna16.ts";
 * formatCandidatesCsv([{ seriesuid: "A", worldMm: [3, 2, 1], diameterMm: 6, score: 0.5 }]);
 * // "seriesuid,coordX,coordY,coordZ,probability\nA,1,2,3,0.5\n"
 * ```
 */
export function formatCandidatesCsv(
  detections: readonly Detection[],
  options: { diameter?: boolean } = {},
): string {
  const header: string[] = [...CANDIDATE_COLUMNS];
  if (options.diameter) header.push("diameter_mm");
  const rows: (string | number)[][] = [header];
  for (const d of detections) {
    const row: (string | number)[] = [
      d.seriesuid,
      ...xyzFromZyx(d.worldMm),
      d.score,
    ];
    if (options.diameter) row.push(d.diameterMm);
    rows.push(row);
  }
  return formatCsv(rows);
}

/**
 * Writes detections as a LUNA16 submission CSV (see
 * {@linkcode formatCandidatesCsv}).
 *
 * @param path the file to write
 * @param detections the detections
 * @param options `diameter: true` adds the `diameter_mm` column
 */
export async function writeCandidatesCsv(
  path: string,
  detections: readonly Detection[],
  options: { diameter?: boolean } = {},
): Promise<void> {
  await Deno.writeTextFile(path, formatCandidatesCsv(detections, options));
}

/** One scan image found in a LUNA16 root. */
export interface Luna16Scan {
  /** The scan ID (file name without `.mhd`). */
  readonly seriesuid: string;
  /** Which `subsetK/` folder holds it (0–9). */
  readonly subset: number;
  /** Path of `subsetK/<seriesuid>.mhd`. */
  readonly imagePath: string;
  /** Path of `seg-lungs-LUNA16/<seriesuid>.mhd` when that file exists. */
  readonly maskPath?: string;
}

/** The part of a dataset made of some subsets (e.g. one cross-validation fold). */
export interface Luna16Fold {
  /** The subsets asked for, sorted. */
  readonly subsets: readonly number[];
  /** Their scans, in dataset order. */
  readonly scans: readonly Luna16Scan[];
  /** Their scan IDs, in `seriesuids.csv` order: the FROC scan list of the fold. */
  readonly seriesuids: readonly string[];
  /** Included nodules of those scans. */
  readonly annotations: readonly Nodule[];
  /** Excluded findings of those scans. */
  readonly excluded: readonly Nodule[];
}

/** A LUNA16 root folder: its scans and tables. */
export interface Luna16Dataset {
  /** The root folder. */
  readonly root: string;
  /** Every `subsetK/*.mhd`, by subset then file name. */
  readonly scans: readonly Luna16Scan[];
  /** `annotations.csv`. */
  readonly annotations: readonly Nodule[];
  /** `annotations_excluded.csv`. */
  readonly excluded: readonly Nodule[];
  /** `seriesuids.csv`. */
  readonly seriesuids: readonly string[];
  /** Subsets 0–9 that have no folder (a partial download). */
  readonly missingSubsets: readonly number[];
  /**
   * The scans, IDs and annotations of some subsets.
   *
   * @param subsets subset numbers 0–9
   * @throws {RangeError} for a number outside 0–9
   * @throws {DataError} for a subset whose folder is missing
   */
  folds(subsets: readonly number[]): Luna16Fold;
}

/** Options of {@linkcode openLuna16Dataset}. */
export interface OpenLuna16Options {
  /**
   * Check that every annotation row, excluded finding and scan image belongs
   * to a series of `seriesuids.csv` ("unknown series" otherwise). Default false.
   */
  validate?: boolean;
}

/** Names of the three tables at a LUNA16 root. */
export const LUNA16_FILES = {
  annotations: "annotations.csv",
  excluded: "annotations_excluded.csv",
  seriesuids: "seriesuids.csv",
} as const;

/** The folder of precomputed lung masks at a LUNA16 root. */
export const LUNA16_MASK_FOLDER = "seg-lungs-LUNA16";

/**
 * Opens a LUNA16 root: lists `subset0/ … subset9/*.mhd`, the optional lung
 * masks, and reads the three CSVs. At least one subset folder must exist;
 * missing ones are listed in `missingSubsets`.
 *
 * @param root the folder
 * @param options `validate` checks every row's series against `seriesuids.csv`
 * @returns the dataset
 * @throws {DataError} for a missing root, subset folders or CSV, a scan in two
 *   subsets, a malformed table, or (with `validate`) an unknown series
 *
 * @example
 * ```ts ignore
 * import { openLuna16Dataset } from "./luna16.ts";
 * const dataset = await openLuna16Dataset("data/luna16", { validate: true });
 * const test = dataset.folds([9]); // test.seriesuids is the FROC scan list
 * ```
 */
export async function openLuna16Dataset(
  root: string,
  options: OpenLuna16Options = {},
): Promise<Luna16Dataset> {
  const rootInfo = await statOrNull(root);
  if (!rootInfo?.isDirectory) {
    throw new DataError(
      root,
      "",
      rootInfo ? "not a folder" : "the folder does not exist",
      "a LUNA16 root folder with subset0/ … subset9/ and the three CSVs",
    );
  }
  const masks = new Set<string>();
  const maskDir = join(root, LUNA16_MASK_FOLDER);
  if ((await statOrNull(maskDir))?.isDirectory) {
    for await (const entry of Deno.readDir(maskDir)) {
      if (entry.isFile && entry.name.endsWith(".mhd")) {
        masks.add(entry.name.slice(0, -4));
      }
    }
  }
  const scans: Luna16Scan[] = [];
  const missingSubsets: number[] = [];
  const where = new Map<string, string>();
  for (let subset = 0; subset < 10; subset++) {
    const dir = join(root, `subset${subset}`);
    if (!(await statOrNull(dir))?.isDirectory) {
      missingSubsets.push(subset);
      continue;
    }
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".mhd")) names.push(entry.name);
    }
    names.sort();
    for (const name of names) {
      const seriesuid = name.slice(0, -4);
      const imagePath = join(dir, name);
      const other = where.get(seriesuid);
      if (other !== undefined) {
        throw new DataError(
          imagePath,
          "",
          `a second image of series "${seriesuid}" (also "${other}")`,
          "each series in exactly one subset folder",
        );
      }
      where.set(seriesuid, imagePath);
      scans.push({
        seriesuid,
        subset,
        imagePath,
        ...(masks.has(seriesuid)
          ? { maskPath: join(maskDir, `${seriesuid}.mhd`) }
          : {}),
      });
    }
  }
  if (missingSubsets.length === 10) {
    throw new DataError(
      root,
      "",
      "no subset folder (subset0/ … subset9/) in it",
      "a LUNA16 root folder with at least one subsetK/ folder of .mhd images",
    );
  }
  const annotationsPath = join(root, LUNA16_FILES.annotations);
  const excludedPath = join(root, LUNA16_FILES.excluded);
  const seriesuidsPath = join(root, LUNA16_FILES.seriesuids);
  const annotationsText = await readTextFileOrFail(
    annotationsPath,
    "annotations.csv at the LUNA16 root",
  );
  const excludedText = await readTextFileOrFail(
    excludedPath,
    "annotations_excluded.csv at the LUNA16 root",
  );
  const seriesuids = parseSeriesuidsCsv(
    await readTextFileOrFail(
      seriesuidsPath,
      "seriesuids.csv at the LUNA16 root",
    ),
    seriesuidsPath,
  );
  const annotations = parseAnnotationsCsv(annotationsText, annotationsPath);
  const excluded = parseAnnotationsCsv(excludedText, excludedPath, "excluded");
  if (options.validate) {
    const known = new Set(seriesuids);
    checkKnownSeries(annotationsText, annotationsPath, known, seriesuidsPath);
    checkKnownSeries(excludedText, excludedPath, known, seriesuidsPath);
    for (const scan of scans) {
      if (!known.has(scan.seriesuid)) {
        throw new DataError(
          scan.imagePath,
          "",
          `an image of unknown series "${scan.seriesuid}"`,
          `a series listed in "${seriesuidsPath}"`,
        );
      }
    }
  }
  const order = new Map(seriesuids.map((id, i) => [id, i]));
  return {
    root,
    scans,
    annotations,
    excluded,
    seriesuids,
    missingSubsets,
    folds(subsets: readonly number[]): Luna16Fold {
      const wanted = [...new Set(subsets)].sort((a, b) => a - b);
      for (const s of wanted) {
        if (!Number.isInteger(s) || s < 0 || s > 9) {
          throw new RangeError(
            `Cannot select LUNA16 subsets: subset is ${s}, expected an integer from 0 to 9`,
          );
        }
        if (missingSubsets.includes(s)) {
          throw new DataError(
            join(root, `subset${s}`),
            "",
            "the folder does not exist",
            `the subset${s}/ folder of .mhd images`,
          );
        }
      }
      const foldScans = scans.filter((scan) => wanted.includes(scan.subset));
      const ids = new Set(foldScans.map((scan) => scan.seriesuid));
      // The scan list keeps seriesuids.csv order; images not in it come last.
      const listed = foldScans.map((scan) => scan.seriesuid).sort((a, b) =>
        (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) ||
        (a < b ? -1 : a > b ? 1 : 0)
      );
      return {
        subsets: wanted,
        scans: foldScans,
        seriesuids: listed,
        annotations: annotations.filter((n) => ids.has(n.seriesuid)),
        excluded: excluded.filter((n) => ids.has(n.seriesuid)),
      };
    },
  };
}

function checkKnownSeries(
  text: string,
  file: string,
  known: ReadonlySet<string>,
  seriesuidsPath: string,
): void {
  const table = CsvTable.parse(text, file, ["seriesuid"]);
  for (let r = 0; r < table.length; r++) {
    const id = table.text(r, "seriesuid");
    if (!known.has(id)) {
      throw new DataError(
        file,
        `row ${table.records[r].row}, column "seriesuid"`,
        `${JSON.stringify(id)} (unknown series)`,
        `a series listed in "${seriesuidsPath}"`,
      );
    }
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
