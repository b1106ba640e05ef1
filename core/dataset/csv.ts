/**
 * A small RFC-4180 CSV reader and writer for the LUNA16 tables and candidate
 * files: quoted fields (with `""` escapes and embedded commas or line breaks),
 * CRLF, LF or CR line endings, an optional UTF-8 byte-order mark, and columns
 * looked up by header name so column order and extra columns (a pandas index)
 * do not matter.
 *
 * Row numbers in errors are 1-based numbers of the line on which the record
 * starts (the header is row 1), so they match what an editor shows. Entirely
 * empty lines are skipped (the official LUNA16 script would crash on them).
 *
 * @module
 */

import { DataError } from "../errors.ts";

/** One parsed record and the 1-based line on which it starts. */
export interface CsvRecord {
  /** Line number of the record's first character (header = 1). */
  readonly row: number;
  /** The record's fields, unquoted. */
  readonly fields: readonly string[];
}

/**
 * Parses CSV text into records (RFC 4180, lenient about line endings and
 * about `"` inside unquoted fields, which is kept literally).
 *
 * @param text the file's content
 * @param file the file name, for error messages
 * @returns every non-empty record in file order
 * @throws {DataError} on an unterminated quoted field or a character after a closing quote
 *
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * parseCsv('a,"b,c"\r\n1,"say ""hi"""\n', "x.csv");
 * // [{ row: 1, fields: ["a", "b,c"] }, { row: 2, fields: ["1", 'say "hi"'] }]
 * ```
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let field = "";
    let sawAnything = false;
    // One record: fields until an unquoted line break or the end of text.
    for (;;) {
      if (i < n && text.charCodeAt(i) === 0x22 /* " */ && field === "") {
        sawAnything = true;
        const quoteLine = line;
        i++;
        let closed = false;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === 0x22) {
            if (i + 1 < n && text.charCodeAt(i + 1) === 0x22) {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === 0x0a) line++;
          else if (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a) line++;
          field += text[i];
          i++;
        }
        if (!closed) {
          throw new DataError(
            file,
            `row ${quoteLine}, column ${fields.length + 1}`,
            "a quoted field that is never closed",
            'a closing double quote (")',
          );
        }
        if (i < n) {
          const c = text.charCodeAt(i);
          if (c !== 0x2c && c !== 0x0a && c !== 0x0d) {
            throw new DataError(
              file,
              `row ${line}, column ${fields.length + 1}`,
              `${JSON.stringify(text[i])} after a closing quote`,
              "a comma or a line break after a quoted field",
            );
          }
        }
      }
      // Unquoted part (or what follows a quoted field: a separator or line end).
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x2c || c === 0x0a || c === 0x0d) break;
        field += text[i];
        sawAnything = true;
        i++;
      }
      fields.push(field);
      field = "";
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        sawAnything = true;
        i++;
        continue;
      }
      // Line break: CRLF, LF or a lone CR ends the record.
      i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      line++;
      break;
    }
    if (sawAnything) records.push({ row: startLine, fields });
  }
  return records;
}

/**
 * A CSV file with a header row: fields are looked up by column name.
 *
 * @example
 * ```ts
 * import { CsvTable } from "./csv.ts";
 * const table = CsvTable.parse("id,coordX\nA,1.5\n", "a.csv");
 * table.number(0, "coordX"); // 1.5
 * ```
 */
export class CsvTable {
  /** The file name used in error messages. */
  readonly file: string;
  /** The header row's names. */
  readonly header: readonly string[];
  /** The data records (the header excluded). */
  readonly records: readonly CsvRecord[];
  readonly #index = new Map<string, number>();

  /**
   * @param file the file name, for error messages
   * @param header the header's column names
   * @param records the data records
   */
  constructor(file: string, header: readonly string[], records: CsvRecord[]) {
    this.file = file;
    this.header = header;
    this.records = records;
    // The first column of a given name wins, as Python's list.index does.
    header.forEach((name, i) => {
      if (!this.#index.has(name)) this.#index.set(name, i);
    });
  }

  /**
   * Parses text whose first non-empty record is the header.
   *
   * @param text the file's content
   * @param file the file name, for error messages
   * @param required column names that must be in the header
   * @returns the table
   * @throws {DataError} when the file is empty or a required column is missing
   */
  static parse(
    text: string,
    file: string,
    required: readonly string[] = [],
  ): CsvTable {
    const all = parseCsv(text, file);
    if (all.length === 0) {
      throw new DataError(
        file,
        "",
        "the file is empty",
        required.length > 0
          ? `a header row with columns ${quoteList(required)}`
          : "a header row",
      );
    }
    const table = new CsvTable(file, all[0].fields, all.slice(1));
    for (const name of required) table.column(name);
    return table;
  }

  /** Number of data records. */
  get length(): number {
    return this.records.length;
  }

  /** Whether the header has a column of this name. */
  has(name: string): boolean {
    return this.#index.has(name);
  }

  /**
   * The 0-based index of a column.
   *
   * @param name the column name, matched exactly
   * @returns its position in the header
   * @throws {DataError} naming the file, the column and the header's columns
   */
  column(name: string): number {
    const index = this.#index.get(name);
    if (index === undefined) {
      throw new DataError(
        this.file,
        name,
        `missing from the header row (${quoteList(this.header)})`,
        `a column named "${name}"`,
      );
    }
    return index;
  }

  /**
   * The raw text of a field.
   *
   * @param record 0-based index into {@linkcode CsvTable.records}
   * @param name the column name
   * @returns the field's text, unmodified
   * @throws {DataError} when the column or the field is missing
   */
  text(record: number, name: string): string {
    const column = this.column(name);
    const { row, fields } = this.records[record];
    if (column >= fields.length) {
      throw new DataError(
        this.file,
        `row ${row}, column "${name}"`,
        `missing (the row has ${fields.length} of the header's ${this.header.length} fields)`,
        "a value in every column of the header",
      );
    }
    return fields[column];
  }

  /**
   * A field parsed as a finite decimal number (surrounding spaces allowed).
   *
   * @param record 0-based index into {@linkcode CsvTable.records}
   * @param name the column name
   * @returns the number
   * @throws {DataError} `row N, column "name"` when the field is missing, not a number, NaN or infinite
   */
  number(record: number, name: string): number {
    const raw = this.text(record, name);
    const value = parseCsvNumber(raw);
    if (value === undefined) {
      throw new DataError(
        this.file,
        `row ${this.records[record].row}, column "${name}"`,
        JSON.stringify(raw),
        "a finite number",
      );
    }
    return value;
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a decimal number as Python's `float()` would for finite values;
 * `undefined` for anything else (empty, text, `nan`, `inf`, out of range).
 *
 * @param raw the field's text
 * @returns the number, or `undefined`
 *
 * @example
 * ```ts
 * import { parseCsvNumber } from "./csv.ts";
 * parseCsvNumber(" -1.5e2 "); // -150
 * parseCsvNumber("nan"); // undefined
 * ```
 */
export function parseCsvNumber(raw: string): number | undefined {
  const trimmed = raw.trim();
  if (!NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Formats rows as CSV: fields holding a comma, quote or line break are
 * quoted; numbers are written with full precision (shortest round-trip form).
 *
 * @param rows the rows, header included
 * @param options `lineEnding` (default `"\n"`)
 * @returns the text, each row ended by the line ending
 * @throws {RangeError} for a non-finite number
 *
 * @example
 * ```ts
 * import { formatCsv } from "./csv.ts";
 * formatCsv([["a", "b"], ["x,y", 0.1]]); // 'a,b\n"x,y",0.1\n'
 * ```
 */
export function formatCsv(
  rows: readonly (readonly (string | number)[])[],
  options: { lineEnding?: "\n" | "\r\n" } = {},
): string {
  const eol = options.lineEnding ?? "\n";
  let out = "";
  for (const row of rows) {
    out += row.map(formatField).join(",") + eol;
  }
  return out;
}

function formatField(value: string | number): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `Cannot write CSV number: value is ${value}, expected a finite number`,
      );
    }
    return String(value);
  }
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Reads a text file, turning "not found" into a {@linkcode DataError}.
 *
 * @param path the file
 * @param what what the file should be, e.g. `"the annotations CSV"`
 * @returns its text
 */
export async function readTextFileOrFail(
  path: string,
  what = "a CSV file",
): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(path, "", "the file does not exist", what, {
        cause: error,
      });
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new DataError(path, "", "a folder", what, { cause: error });
    }
    throw new DataError(path, "", `unreadable (${String(error)})`, what, {
      cause: error,
    });
  }
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}
