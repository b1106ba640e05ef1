/**
 * Experiments for the new-run form: the YAML files under `configs/`, the
 * form's fields (from the plugins' and sections' zod schemas via
 * `describeOptions`), validation with the CLI's resolver (same `ConfigError`
 * issues), and saving the experiment as YAML so the CLI can run it too.
 *
 * @module
 */

import {
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { stringify as toYaml } from "yaml";
import {
  ConfigError,
  type ConfigIssue,
  dataSectionSchema,
  describeOptions,
  evalSectionSchema,
  experimentHash,
  loadRawExperiment,
  type OptionDescription,
  PLUGIN_KINDS,
  type Registry,
  type ResolvedExperiment,
  resolveExperiment,
  trainSectionSchema,
} from "../../core/mod.ts";
import { containedPath } from "./paths.ts";

/** An option as the form shows it (the JSON Schema left out). */
export type FormOption = Omit<OptionDescription, "schema">;

/** A plugin the form offers for a slot. */
export interface FormPlugin {
  /** Plugin id. */
  readonly id: string;
  /** One sentence. */
  readonly description: string;
  /** Its options. */
  readonly options: readonly FormOption[];
}

/** The experiment sections edited beside the slots. */
export const FORM_SECTIONS = ["data", "train", "eval"] as const;

/** One of {@linkcode FORM_SECTIONS}. */
export type FormSection = typeof FORM_SECTIONS[number];

/** What the form is generated from. */
export interface FormModel {
  /** Slot kinds in pipeline order. */
  readonly kinds: readonly string[];
  /** Plugins per slot kind. */
  readonly plugins: Readonly<Record<string, readonly FormPlugin[]>>;
  /** Fields of the data, train and eval sections. */
  readonly sections: Readonly<Record<FormSection, readonly FormOption[]>>;
}

function formOptions(list: OptionDescription[]): FormOption[] {
  return list.map(({ schema: _schema, ...rest }) => rest);
}

/** The form's fields from the registry and the experiment schemas. */
export function formModel(registry: Registry): FormModel {
  const plugins: Record<string, FormPlugin[]> = {};
  for (const kind of PLUGIN_KINDS) {
    plugins[kind] = registry.ids(kind).map((id) => {
      const definition = registry.get(kind, id)!;
      return {
        id,
        description: definition.description,
        options: formOptions(describeOptions(definition.options)),
      };
    });
  }
  return {
    kinds: PLUGIN_KINDS,
    plugins,
    sections: {
      data: formOptions(describeOptions(dataSectionSchema)),
      train: formOptions(describeOptions(trainSectionSchema)),
      eval: formOptions(describeOptions(evalSectionSchema)),
    },
  };
}

/** An experiment file under `configs/`. */
export interface ExperimentFile {
  /** Path relative to `configs/`, with `/`. */
  readonly file: string;
  /** File stem. */
  readonly name: string;
  /** Whether it is an ablation grid (under `ablations/`). */
  readonly grid: boolean;
}

/** Experiment YAML files under `configsDir` (three levels deep at most). */
export function listExperimentFiles(configsDir: string): ExperimentFile[] {
  const out: ExperimentFile[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < 3) walk(path, depth + 1);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) {
        const file = relative(configsDir, path).split(sep).join("/");
        out.push({
          file,
          name: entry.name.replace(/\.ya?ml$/, ""),
          grid: file.startsWith("ablations/"),
        });
      }
    }
  };
  walk(configsDir, 0);
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

const CONFIG_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*\.ya?ml$/;

/**
 * The absolute path of an experiment file named relative to `configsDir`,
 * or undefined when the name is unsafe (`..`, absolute, odd characters),
 * the file is missing, or it resolves outside `configsDir`.
 */
export function experimentPath(
  configsDir: string,
  file: string,
): string | undefined {
  if (
    !CONFIG_FILE.test(file) ||
    file.split("/").some((s) => s === ".." || s === ".")
  ) {
    return undefined;
  }
  return containedPath(file, [configsDir], configsDir);
}

/** The outcome of validating an experiment. */
export type Validation =
  | {
    readonly ok: true;
    readonly resolved: ResolvedExperiment;
    readonly hash: string;
  }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Resolves an experiment with the CLI's resolver and checks that its name
 * can name a file; every problem is listed.
 */
export function validateExperiment(
  registry: Registry,
  raw: Record<string, unknown>,
): Validation {
  const issues: ConfigIssue[] = [];
  if (typeof raw.name !== "string" || !NAME.test(raw.name)) {
    issues.push({
      path: "name",
      message: "Invalid name",
      expected:
        'letters, digits, "-" and "_" (at most 64; it names the saved file)',
      received: JSON.stringify(raw.name ?? null),
    });
  }
  try {
    const resolved = resolveExperiment(raw, registry);
    if (issues.length > 0) return { ok: false, issues };
    return { ok: true, resolved, hash: experimentHash(resolved) };
  } catch (error) {
    if (error instanceof ConfigError) {
      return { ok: false, issues: [...issues, ...error.issues] };
    }
    throw error;
  }
}

/** Folder under `configs/` where the dashboard saves experiments. */
export const SAVED_FOLDER = "dashboard";

/**
 * Writes the resolved experiment as YAML to `configs/dashboard/<name>.yaml`
 * (temporary file + rename), loadable by `pleura` commands.
 *
 * @returns the path relative to `configsDir` and the absolute path
 */
export function saveExperiment(
  configsDir: string,
  resolved: ResolvedExperiment,
): { file: string; path: string } {
  const dir = resolve(configsDir, SAVED_FOLDER);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${resolved.name}.yaml`);
  const document = {
    name: resolved.name,
    schema_version: resolved.schemaVersion,
    data: resolved.data,
    model: resolved.model,
    train: resolved.train,
    eval: resolved.eval,
  };
  const text =
    `# Saved by the Pleura dashboard on ${
      new Date().toISOString()
    }.\n# Every default is written out; run it with the CLI like any experiment.\n` +
    toYaml(document, { lineWidth: 0 });
  const temp = join(dir, `.${resolved.name}.${crypto.randomUUID()}.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { file: `${SAVED_FOLDER}/${resolved.name}.yaml`, path };
}

/** Where the form starts: an experiment to edit and where it came from. */
export interface StartingPoint {
  /** The experiment (resolved when possible, else as written). */
  readonly experiment: Record<string, unknown>;
  /** What it came from, in words. */
  readonly source: string;
  /** Problems resolving it (shown on the form). */
  readonly issues: readonly ConfigIssue[];
}

/** Default values of a zod object schema with every field defaulted. */
function defaultsOf(
  registry: Registry,
  kind: typeof PLUGIN_KINDS[number],
  id: string,
): Record<string, unknown> {
  const parsed = registry.get(kind, id)?.options.safeParse({});
  return parsed?.success ? parsed.data as Record<string, unknown> : {};
}

/** The experiment the form starts from when none is named: every default. */
export function blankExperiment(registry: Registry): Record<string, unknown> {
  const model: Record<string, unknown> = {};
  for (const kind of PLUGIN_KINDS) {
    const id = registry.ids(kind)[0];
    if (id) {
      model[kind] = { plugin: id, options: defaultsOf(registry, kind, id) };
    }
  }
  return {
    name: "experiment",
    data: dataSectionSchema.parse({}),
    model,
    train: trainSectionSchema.parse({}),
    eval: evalSectionSchema.parse({}),
  };
}

/** Resolves a raw experiment for the form, keeping the raw one on failure. */
export function startFrom(
  registry: Registry,
  raw: Record<string, unknown>,
  source: string,
): StartingPoint {
  try {
    const resolved = resolveExperiment(raw, registry);
    const { schemaVersion: _v, ...experiment } = resolved;
    return { experiment, source, issues: [] };
  } catch (error) {
    if (error instanceof ConfigError) {
      return { experiment: raw, source, issues: error.issues };
    }
    throw error;
  }
}

/** Reads an experiment file (following `extends`) as a starting point. */
export function startFromFile(
  registry: Registry,
  configsDir: string,
  file: string,
): StartingPoint | undefined {
  const path = experimentPath(configsDir, file);
  if (!path) return undefined;
  try {
    const raw = loadRawExperiment(path);
    if (raw.name === undefined) {
      raw.name = file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
    }
    return startFrom(registry, raw, `configs/${file}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      return {
        experiment: blankExperiment(registry),
        source: `configs/${file}`,
        issues: error.issues,
      };
    }
    throw error;
  }
}
