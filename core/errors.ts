/**
 * Error types shared by core and plugins.
 *
 * Messages follow the Deno rules: sentence case, no final period, quoted
 * values; they say what could not be done, then a colon and the current and
 * expected values.
 *
 * @module
 */

/** One problem found while resolving an experiment or validating input. */
export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `model.miner.options.k`. */
  path: string;
  /** What is wrong, e.g. `Expected number, received string`. */
  message: string;
  /** The plugin whose options were being validated, if any. */
  pluginId?: string;
  /** What was expected, in words. */
  expected?: string;
  /** What was received, rendered as JSON where possible. */
  received?: string;
  /** The file the value came from, if known. */
  file?: string;
  /** Closest valid names ("did you mean"), for unknown ids and keys. */
  suggestions?: string[];
}

/** Formats one issue as a single line: `path (plugin "id"): message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.pluginId
    ? `${issue.path} (plugin "${issue.pluginId}")`
    : issue.path;
  const parts = [`${where}: ${issue.message}`];
  if (issue.expected !== undefined) parts.push(`expected ${issue.expected}`);
  if (issue.received !== undefined) parts.push(`received ${issue.received}`);
  if (issue.suggestions && issue.suggestions.length > 0) {
    parts.push(
      `did you mean ${issue.suggestions.map((s) => `"${s}"`).join(" or ")}?`,
    );
  }
  const file = issue.file ? ` in "${issue.file}"` : "";
  return parts.join(", ") + file;
}

/**
 * An experiment or options object failed validation. Lists every problem at
 * once, each with its dotted path.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * const error = new ConfigError([{ path: "model.miner.options.k", message: "Too small", expected: ">= 1", received: "0" }]);
 * error.issues.length; // 1
 * ```
 */
export class ConfigError extends Error {
  /** Every problem found. */
  readonly issues: ConfigIssue[];

  /** Creates the error from its issues; `file` prefixes the message when given. */
  constructor(
    issues: ConfigIssue[],
    options?: { file?: string; cause?: unknown },
  ) {
    const head = options?.file
      ? `Cannot resolve experiment "${options.file}"`
      : "Cannot resolve experiment";
    const count = issues.length === 1
      ? "1 problem"
      : `${issues.length} problems`;
    super(
      `${head}: ${count}\n` +
        issues.map((issue) => `  - ${formatConfigIssue(issue)}`).join("\n"),
      { cause: options?.cause },
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** A plugin failed while being created or used; the registry wraps plugin failures in it. */
export class PluginError extends Error {
  /** The failing plugin's id. */
  readonly pluginId: string;

  /** Creates the error; `cause` is the original failure. */
  constructor(
    pluginId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Plugin "${pluginId}" failed: ${message}`, options);
    this.name = "PluginError";
    this.pluginId = pluginId;
  }
}

/** A tensor or array had the wrong shape. */
export class ShapeError extends TypeError {
  /** The expected shape (`-1` or `null` for any size on that axis). */
  readonly expected: readonly (number | null)[];
  /** The shape received. */
  readonly actual: readonly number[];

  /** Creates the error; `what` names the tensor, e.g. `"backbone input"`. */
  constructor(
    what: string,
    expected: readonly (number | null)[],
    actual: readonly number[],
  ) {
    const show = (s: readonly (number | null)[]) =>
      `[${s.map((v) => (v === null || v < 0 ? "*" : String(v))).join(", ")}]`;
    super(
      `Cannot use ${what}: shape is ${show(actual)}, expected ${
        show(expected)
      }`,
    );
    this.name = "ShapeError";
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A data file (image, CSV, annotation table) could not be read or is
 * malformed. Names the file, the field and what was expected.
 *
 * @example
 * ```ts
 * import { DataError } from "./errors.ts";
 * const error = new DataError("scan.mhd", "ElementType", "\"MET_FOO\"", "one of MET_CHAR, MET_SHORT, ...");
 * error.message; // 'Cannot read "scan.mhd": field "ElementType" is "MET_FOO", expected one of MET_CHAR, MET_SHORT, ...'
 * ```
 */
export class DataError extends Error {
  /** The file being read. */
  readonly file: string;
  /** The field, column or header key at fault (or `""` for the file as a whole). */
  readonly field: string;

  /**
   * @param file path of the file
   * @param field the header key, CSV column (`row 12, column "coordX"`) or `""`
   * @param actual what was found, already quoted where it is a value
   * @param expected what was expected, in words
   */
  constructor(
    file: string,
    field: string,
    actual: string,
    expected: string,
    options?: { cause?: unknown },
  ) {
    const where = field ? `${describeField(field)} is ${actual}` : actual;
    super(`Cannot read "${file}": ${where}, expected ${expected}`, options);
    this.name = "DataError";
    this.file = file;
    this.field = field;
  }
}

function describeField(field: string): string {
  return field.startsWith("row ") ? field : `field "${field}"`;
}
