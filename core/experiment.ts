/**
 * Experiments are data: YAML files in `configs/` with `extends:` inheritance,
 * `--set path=value` overrides, one `{ plugin, options }` slot per kind under
 * `model`, and `data`, `train` and `eval` sections beside them.
 *
 * Resolving fills defaults from each section's and each plugin's zod schema,
 * runs the cross-component checks and reports every problem at once in a
 * {@linkcode ConfigError}. The resolved experiment is stored as canonical JSON
 * with a content hash.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { ENGINE_NAMES } from "./engine/engine.ts";
import { ConfigError, type ConfigIssue, PluginError } from "./errors.ts";
import { nullLogger, nullProgress } from "./logger.ts";
import { createRng } from "./random.ts";
import { PLUGIN_KINDS, type PluginKind, type Registry } from "./registry.ts";

/** Version of the resolved-experiment layout; bump on incompatible changes. */
export const EXPERIMENT_SCHEMA_VERSION = 1;

/** One slot: which plugin fills it and with what options. */
export interface SlotConfig {
  /** Registered plugin id. */
  readonly plugin: string;
  /** Options, defaults filled after resolution. */
  readonly options: Record<string, unknown>;
}

const slotSchema = z.object({
  plugin: z.string().describe("Registered plugin id"),
  options: z.record(z.string(), z.unknown()).default({}).describe(
    "Plugin options",
  ),
}).strict();

const subsetList = z.array(z.int().min(0).max(99));

/** The `data` section: where the scans and tables are. */
export const dataSectionSchema = z.object({
  dataset: z.string().default("data/synth").describe(
    "LUNA16-layout dataset root (subset*/ folders and CSVs); relative to the working directory",
  ),
  test_dataset: z.string().nullable().default(null).describe(
    "LUNA16-layout root of the held-out scans, with its own tables (default: dataset): test_subsets are its subsets",
  ),
  annotations: z.string().nullable().default(null).describe(
    "annotations.csv (default: <dataset>/annotations.csv)",
  ),
  excluded: z.string().nullable().default(null).describe(
    "annotations_excluded.csv (default: <dataset>/annotations_excluded.csv)",
  ),
  seriesuids: z.string().nullable().default(null).describe(
    "seriesuids.csv (default: <dataset>/seriesuids.csv)",
  ),
  train_subsets: subsetList.default([0, 1, 2, 3, 4, 5, 6, 7]).describe(
    "Subsets used for training",
  ),
  val_subsets: subsetList.default([8]).describe("Subsets used for validation"),
  test_subsets: subsetList.default([9]).describe(
    "Held-out subsets predicted and scored with FROC",
  ),
  cache_dir: z.string().default(".cache/preprocessed").describe(
    "Cache of preprocessed scans",
  ),
  blob_channel: z.boolean().default(false).describe(
    "Feed the network a second input channel: the multi-scale Hessian blob (dot) response of the preprocessed scan, computed once per scan and cached beside it; the backbone needs input_channels 2. false = intensity only, as in the reference",
  ),
}).strict();

const sizeBand = z.object({
  min_mm: z.number().min(0).describe("Lower diameter bound (inclusive)"),
  max_mm: z.number().positive().describe("Upper diameter bound (exclusive)"),
  copies: z.int().min(0).describe("Copies of each nodule in this band"),
}).strict();

/** Adam's second-moment decay β2 by default (the trainer's default too). */
export const ADAM_BETA2 = 0.999;

/** The `train` section: engine, sampling, optimisation and the staged schedule. */
export const trainSectionSchema = z.object({
  engine: z.enum(ENGINE_NAMES).default("cpu").describe(
    "Tensor engine: cpu (tfjs + onnxruntime kernels), webgpu, tensorflow, tfjs-cpu",
  ),
  threads: z.int().min(0).default(0).describe(
    "CPU threads for the engine (0 = all cores)",
  ),
  seed: z.int().default(0).describe("Seed of every random choice"),
  crop_size: z.int().min(16).default(128).describe(
    "Training crop edge in voxels (1 mm); a multiple of the backbone's max stride",
  ),
  batch_size: z.int().min(1).default(1).describe("Crops per step"),
  epochs: z.number().positive().default(100).describe(
    "Epochs per stage (an epoch = one pass over the oversampled list + random crops)",
  ),
  max_steps: z.int().min(0).default(0).describe(
    "Stop each stage after this many steps (0 = no limit)",
  ),
  max_minutes: z.number().min(0).default(0).describe(
    "Stop each stage after this much wall time (0 = no limit)",
  ),
  total_minutes: z.number().min(0).default(0).describe(
    "Wall-time limit of training as a whole, every stage and the hard-mining predictions between them (0 = no limit): a stage gets at most what is left",
  ),
  lr: z.number().positive().default(0.01).describe("Base learning rate"),
  optimizer: z.enum(["sgd", "adam"]).default("sgd").describe(
    "Update rule: sgd (momentum, the reference) or adam (decoupled weight decay)",
  ),
  momentum: z.number().min(0).max(1).default(0.9).describe(
    "SGD momentum; Adam's first-moment decay β1",
  ),
  beta2: z.number().min(0).lt(1).default(ADAM_BETA2).describe(
    "Adam's second-moment decay β2",
  ),
  weight_decay: z.number().min(0).default(1e-4).describe(
    "Weight decay (L2 on the gradient for sgd, decoupled for adam)",
  ),
  grad_clip: z.number().min(0).default(0).describe(
    "Rescale gradients whose global L2 norm exceeds this (0 = no clipping)",
  ),
  warmup_steps: z.int().min(0).default(0).describe(
    "Linear learning-rate warm-up from 0 over this many steps",
  ),
  lr_milestones: z.array(z.number().min(0).max(1)).default([0.5, 0.8])
    .describe("Fractions of the stage where the learning rate steps down"),
  lr_factors: z.array(z.number().positive()).default([0.1, 0.01]).describe(
    "Learning-rate multipliers after each milestone",
  ),
  checkpoint_every: z.int().min(1).default(50).describe(
    "Write a checkpoint every N steps",
  ),
  random_crop_fraction: z.number().min(0).max(0.95).default(0.3).describe(
    "Share of each epoch made of random (mostly negative) crops",
  ),
  bound_size: z.int().min(0).default(12).describe(
    "Margin kept between a target nodule and the crop border (voxels)",
  ),
  pad_value: z.int().min(0).max(255).default(170).describe(
    "Value of crop voxels outside the scan (170 ≈ 0 HU)",
  ),
  oversampling: z.array(sizeBand).default([
    { min_mm: 0, max_mm: 10, copies: 4 },
    { min_mm: 10, max_mm: 30, copies: 3 },
    { min_mm: 30, max_mm: 100, copies: 1 },
  ]).describe(
    "Copies of each training nodule by diameter band (write-up: ×4, ×3, ×1)",
  ),
  augmentation: z.object({
    scale: z.tuple([z.number().positive(), z.number().positive()]).default([
      0.75,
      1.25,
    ]).describe("Random scale range of target crops"),
    flip: z.boolean().default(true).describe("Random y and x flips"),
    swap: z.boolean().default(false).describe("Random axis permutation"),
    contrast: z.tuple([z.number().positive(), z.number().positive()])
      .default([1, 1]).describe(
        "Contrast factor range of every training crop (normalised intensities × U[lo, hi]; [1, 1] = off, as in the reference)",
      ),
    noise: z.tuple([z.number().min(0), z.number().min(0)]).default([0, 0])
      .describe(
        "Range of the SD of Gaussian noise added to every training crop, in preprocessed levels (0–255; 1 level ≈ 7 HU with the reference window); [0, 0] = off, as in the reference",
      ),
    paste: z.number().min(0).max(1).default(0).describe(
      "Share of nodule crops whose nodule is pasted next to dense tissue (a vessel, the pleura) at a random place of a random training scan instead of cropped where it lies; 0 = off, as in the reference",
    ),
    blob_dropout: z.number().min(0).max(1).default(0).describe(
      "With data.blob_channel: share of training crops whose blob channel is blanked (every voxel 0, no blob), so the network cannot lean on it alone; 0 = off",
    ),
  }).strict().prefault({})
    .describe(
      "Augmentation: scale, flips and swap of target crops; contrast and noise of every training crop; nodules pasted onto dense tissue",
    ),
  hard_mining: z.object({
    stages: z.int().min(1).default(1).describe(
      "Number of stages; stage n+1 trains on data chosen by the stage-n model",
    ),
    fp_crops_per_scan: z.int().min(0).default(8).describe(
      "Top-scoring false positives per training scan that become hard-negative crops",
    ),
    fp_min_logit: z.number().default(-1).describe(
      "Only false positives scoring above this logit are mined",
    ),
    missed_copies: z.int().min(0).default(2).describe(
      "Extra copies of nodules the previous stage missed or scored low",
    ),
    fine_tune: z.boolean().default(true).describe(
      "Start each stage from the previous stage's weights (else from scratch)",
    ),
    stage_epochs_factor: z.number().positive().default(0.5).describe(
      "Epochs of stages after the first, as a fraction of `epochs`",
    ),
    stage_lr_factor: z.number().positive().default(0.1).describe(
      "Base learning rate of a fine-tuned later stage, as a fraction of `lr` (no warm-up)",
    ),
    stage_minutes: z.number().min(0).nullable().default(null).describe(
      "Wall-time limit of each stage after the first (0 = no limit); null keeps `max_minutes`",
    ),
    final_loss: slotSchema.nullable().default(null).describe(
      "Loss of the final stage (e.g. the write-up's weighted loss); null keeps model.loss",
    ),
  }).strict().prefault({}).describe("Hierarchical hard mining schedule"),
}).strict();

/** The `eval` section: full-scan prediction and FROC. */
export const evalSectionSchema = z.object({
  side: z.int().min(16).default(144).describe(
    "Split-combine patch core size (a multiple of 16)",
  ),
  margin: z.int().min(0).default(32).describe(
    "Split-combine patch margin (a multiple of 16)",
  ),
  min_logit: z.number().default(-3).describe(
    "Detections with a lower logit are dropped before NMS",
  ),
  nms_iou: z.number().min(0).max(1).default(0.1).describe(
    "NMS cube-IoU threshold for the submitted candidates",
  ),
  flip_tta: z.boolean().default(false).describe(
    "Average each patch's output over its y/x flips (4 network runs per patch; not used for mining)",
  ),
  max_marks_per_scan: z.int().min(0).default(100).describe(
    "FROC candidate cap per scan (0 = no cap)",
  ),
  stage_weights: z.array(z.number().min(0)).default([]).describe(
    "Fuse the candidates of every hard-mining stage's model, one weight per stage (empty: the final model alone): a finding scores the weighted mean of each stage's best logit within fuse_radius_mm (min_logit where a stage has none)",
  ),
  fuse_radius_mm: z.number().positive().default(4).describe(
    "Candidates of different stages closer than this (mm) are one finding (with stage_weights)",
  ),
  bootstrap: z.int().min(0).default(1000).describe(
    "Bootstrap resamples for confidence intervals",
  ),
  threads: z.int().min(0).default(0).describe(
    "ONNX Runtime threads (0 = all cores)",
  ),
}).strict();

/** Data section after resolution. */
export type DataSection = z.output<typeof dataSectionSchema>;
/** Train section after resolution. */
export type TrainSection = z.output<typeof trainSectionSchema>;
/** Eval section after resolution. */
export type EvalSection = z.output<typeof evalSectionSchema>;

/** A fully resolved experiment: every default filled, every check passed. */
export interface ResolvedExperiment {
  /** Layout version. */
  readonly schemaVersion: number;
  /** Name (default: the file stem). */
  readonly name: string;
  /** Dataset and splits. */
  readonly data: DataSection;
  /** The five slots. */
  readonly model: Readonly<Record<PluginKind, SlotConfig>>;
  /** Training settings. */
  readonly train: TrainSection;
  /** Prediction and FROC settings. */
  readonly eval: EvalSection;
}

const TOP_LEVEL_KEYS = [
  "name",
  "extends",
  "data",
  "model",
  "train",
  "eval",
  "schema_version",
];

/**
 * Loads an experiment file, follows `extends`, applies `set` overrides
 * (`path=value`, value parsed as YAML) and resolves it.
 *
 * @param path YAML file
 * @param registry the plugins slots may name
 * @param options `set`: overrides such as `model.miner.options.k=3`
 * @returns the resolved experiment
 * @throws ConfigError listing every problem, each with its dotted path
 *
 * @example
 * ```ts ignore
 * const experiment = await loadExperiment("configs/base/cpu.yaml", registry, { set: ["train.seed=1"] });
 * ```
 */
export function loadExperiment(
  path: string,
  registry: Registry,
  options: { set?: readonly string[] } = {},
): Promise<ResolvedExperiment> {
  return Promise.resolve().then(() => {
    const raw = loadRawExperiment(path);
    const overlay = parseSets(options.set ?? [], path);
    const merged = mergeExperiment(raw, overlay);
    if (
      merged.name === undefined || typeof merged.name !== "string" ||
      merged.name === ""
    ) {
      merged.name = basename(path, extname(path));
    }
    return resolveExperiment(merged, registry, { file: path });
  });
}

/**
 * Reads a YAML experiment and everything it extends, merged, without
 * validating it (`extends` removed).
 *
 * @throws ConfigError for unreadable files, bad YAML and `extends` cycles
 */
export function loadRawExperiment(
  path: string,
  seen: readonly string[] = [],
): Record<string, unknown> {
  const absolute = resolve(path);
  if (seen.includes(absolute)) {
    throw new ConfigError([{
      path: "extends",
      message: `Cycle in extends: ${[...seen, absolute].join(" → ")}`,
      file: path,
    }], { file: path });
  }
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    throw new ConfigError([{
      path: seen.length > 0 ? "extends" : "(file)",
      message: `Cannot read file: ${
        error instanceof Error ? error.message : String(error)
      }`,
      file: path,
    }], { file: path, cause: error });
  }
  const document = parseYamlDocument(text, path);
  const parent = document.extends;
  delete document.extends;
  if (parent === undefined || parent === null) return document;
  if (typeof parent !== "string") {
    throw new ConfigError([{
      path: "extends",
      message: "Invalid extends",
      expected: "a path to a YAML file",
      received: JSON.stringify(parent),
      file: path,
    }], { file: path });
  }
  const base = loadRawExperiment(resolve(dirname(absolute), parent), [
    ...seen,
    absolute,
  ]);
  // A child without a name must not inherit its parent's name.
  delete base.name;
  return mergeExperiment(base, document);
}

/** Parses YAML text into an object; errors name the file, line and column. */
export function parseYamlDocument(
  text: string,
  file: string,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos
      ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}`
      : "";
    const message = error instanceof Error
      ? error.message.split("\n")[0]
      : String(error);
    throw new ConfigError([{
      path: "(file)",
      message: `Invalid YAML${where}: ${message}`,
      file,
    }], { file, cause: error });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([{
      path: "(file)",
      message: "Invalid experiment",
      expected: "a YAML mapping at the top level",
      received: Array.isArray(value) ? "a list" : JSON.stringify(value),
      file,
    }], { file });
  }
  return value as Record<string, unknown>;
}

/**
 * Turns `path=value` overrides into a nested object (values parsed as YAML).
 *
 * @throws ConfigError for malformed overrides
 */
export function parseSets(
  sets: readonly string[],
  file?: string,
): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const set of sets) {
    const eq = set.indexOf("=");
    const path = eq > 0 ? set.slice(0, eq).trim() : "";
    if (!path || /(^\.|\.\.|\.$)/.test(path)) {
      issues.push({
        path: path || "(--set)",
        message: `Invalid override "${set}"`,
        expected: "path=value, e.g. model.miner.options.k=3",
      });
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(set.slice(eq + 1));
    } catch {
      value = set.slice(eq + 1);
    }
    setPath(overlay, path.split("."), value);
  }
  if (issues.length > 0) throw new ConfigError(issues, { file });
  return overlay;
}

function setPath(
  target: Record<string, unknown>,
  keys: string[],
  value: unknown,
): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Merges `override` onto `base`: objects merge deeply, arrays and scalars
 * replace, and a slot (`model.<kind>`, `train.hard_mining.final_loss`) whose
 * plugin changes is replaced whole.
 *
 * @example
 * ```ts
 * import { mergeExperiment } from "./experiment.ts";
 * const merged = mergeExperiment(
 *   { model: { miner: { plugin: "topk", options: { k: 2, per_sample: true } } } },
 *   { model: { miner: { plugin: "random", options: { k: 3 } } } },
 * );
 * // merged.model.miner → { plugin: "random", options: { k: 3 } }
 * ```
 */
export function mergeExperiment(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  return mergeAt(base, override, []) as Record<string, unknown>;
}

function isSlotPath(path: readonly string[]): boolean {
  return (path.length === 2 && path[0] === "model") ||
    (path.length === 3 && path[0] === "train" && path[1] === "hard_mining" &&
      path[2] === "final_loss");
}

function mergeAt(
  base: unknown,
  override: unknown,
  path: readonly string[],
): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) {
    return structuredClone(override);
  }
  if (
    isSlotPath(path) && override.plugin !== undefined &&
    override.plugin !== base.plugin
  ) {
    return structuredClone(override);
  }
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    out[key] = key in out ? mergeAt(out[key], value, [...path, key]) : (
      structuredClone(value)
    );
  }
  return out;
}

/**
 * `train` options that earlier versions resolved into every run's stored
 * experiment and that no longer exist. `prefetch` never changed anything:
 * crops are made inside the step (about 3 ms each, ~1 % of a CPU preset
 * step), so there was nothing to prepare ahead.
 */
const RETIRED_TRAIN_OPTIONS: readonly string[] = ["prefetch"];

/**
 * Turns a run's stored (resolved, canonical) experiment back into the input
 * form {@linkcode resolveExperiment} takes: `schemaVersion` becomes
 * `schema_version` and options that earlier versions recorded but that no
 * longer exist are dropped, so that runs recorded before they went still
 * resolve. The argument is not changed.
 *
 * @example
 * ```ts
 * import { storedExperimentInput } from "./experiment.ts";
 * storedExperimentInput({ schemaVersion: 1, train: { prefetch: 2, lr: 0.01 } });
 * // → { schema_version: 1, train: { lr: 0.01 } }
 * ```
 */
export function storedExperimentInput(
  stored: Record<string, unknown>,
): Record<string, unknown> {
  const { schemaVersion, ...rest } = stored;
  const input: Record<string, unknown> = schemaVersion === undefined
    ? rest
    : { schema_version: schemaVersion, ...rest };
  if (isPlainObject(rest.train)) {
    const train = { ...rest.train };
    for (const key of RETIRED_TRAIN_OPTIONS) delete train[key];
    input.train = train;
  }
  return input;
}

/**
 * Validates a merged experiment object, fills defaults and runs the
 * cross-component checks.
 *
 * @param raw the merged experiment (after `extends` and overrides)
 * @param registry the plugins slots may name
 * @param options `file`: named in error messages
 * @returns the resolved experiment
 * @throws ConfigError listing every problem at once
 */
export function resolveExperiment(
  raw: unknown,
  registry: Registry,
  options: { file?: string } = {},
): ResolvedExperiment {
  const file = options.file;
  const issues: ConfigIssue[] = [];
  if (!isPlainObject(raw)) {
    throw new ConfigError([{
      path: "(file)",
      message: "Invalid experiment",
      expected: "a mapping",
      received: JSON.stringify(raw),
      file,
    }], { file });
  }
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      issues.push({
        path: key,
        message: "Unknown key",
        expected: `one of ${TOP_LEVEL_KEYS.map((k) => `"${k}"`).join(", ")}`,
        ...suggest(key, TOP_LEVEL_KEYS),
        file,
      });
    }
  }
  if (
    raw.schema_version !== undefined &&
    raw.schema_version !== EXPERIMENT_SCHEMA_VERSION
  ) {
    issues.push({
      path: "schema_version",
      message: "Unsupported schema version",
      expected: String(EXPERIMENT_SCHEMA_VERSION),
      received: JSON.stringify(raw.schema_version),
      file,
    });
  }
  const name = typeof raw.name === "string" && raw.name !== ""
    ? raw.name
    : "experiment";
  const data = parseSection(dataSectionSchema, raw.data, "data", issues, file);
  const train = parseSection(
    trainSectionSchema,
    raw.train,
    "train",
    issues,
    file,
  );
  const evalSection = parseSection(
    evalSectionSchema,
    raw.eval,
    "eval",
    issues,
    file,
  );

  const model = {} as Record<PluginKind, SlotConfig>;
  const rawModel = raw.model === undefined ? {} : raw.model;
  if (!isPlainObject(rawModel)) {
    issues.push({
      path: "model",
      message: "Invalid model section",
      expected: "a mapping of slots",
      received: JSON.stringify(rawModel),
      file,
    });
  } else {
    for (const key of Object.keys(rawModel)) {
      if (!(PLUGIN_KINDS as readonly string[]).includes(key)) {
        issues.push({
          path: `model.${key}`,
          message: "Unknown slot",
          expected: `one of ${PLUGIN_KINDS.map((k) => `"${k}"`).join(", ")}`,
          ...suggest(key, PLUGIN_KINDS),
          file,
        });
      }
    }
    for (const kind of PLUGIN_KINDS) {
      const slot = resolveSlot(
        registry,
        kind,
        rawModel[kind],
        `model.${kind}`,
        issues,
        file,
      );
      if (slot) model[kind] = slot;
    }
  }
  if (train?.hard_mining.final_loss) {
    const slot = resolveSlot(
      registry,
      "loss",
      train.hard_mining.final_loss,
      "train.hard_mining.final_loss",
      issues,
      file,
    );
    if (slot) train.hard_mining.final_loss = slot;
  }
  if (issues.length > 0 || !data || !train || !evalSection) {
    throw new ConfigError(issues, { file });
  }
  const resolved: ResolvedExperiment = {
    schemaVersion: EXPERIMENT_SCHEMA_VERSION,
    name,
    data,
    model,
    train,
    eval: evalSection,
  };
  crossChecks(resolved, registry, issues, file);
  if (issues.length > 0) throw new ConfigError(issues, { file });
  return resolved;
}

function parseSection<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  issues: ConfigIssue[],
  file: string | undefined,
  pluginId?: string,
): z.output<S> | undefined {
  const result = schema.safeParse(value === undefined ? {} : value, {
    reportInput: true,
  });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    issues.push(issueFromZod(issue, prefix, value, file, pluginId));
  }
  return undefined;
}

function issueFromZod(
  issue: z.core.$ZodIssue,
  prefix: string,
  root: unknown,
  file: string | undefined,
  pluginId: string | undefined,
): ConfigIssue {
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== "")
    .join(".");
  const out: ConfigIssue = { path, message: issue.message, file };
  if (pluginId) out.pluginId = pluginId;
  if (issue.code === "invalid_type") {
    out.message = "Invalid type";
    out.expected = issue.expected;
  } else if (issue.code === "too_small") {
    out.message = "Too small";
    out.expected = `${issue.inclusive === false ? ">" : ">="} ${
      String(issue.minimum)
    }${issue.origin === "array" ? " items" : ""}`;
  } else if (issue.code === "too_big") {
    out.message = "Too big";
    out.expected = `${issue.inclusive === false ? "<" : "<="} ${
      String(issue.maximum)
    }${issue.origin === "array" ? " items" : ""}`;
  } else if (issue.code === "invalid_value") {
    out.message = "Invalid value";
    out.expected = `one of ${
      issue.values.map((v) => JSON.stringify(v)).join(", ")
    }`;
  } else if (issue.code === "unrecognized_keys") {
    out.message = `Unknown option${issue.keys.length > 1 ? "s" : ""} ${
      issue.keys.map((k) => `"${k}"`).join(", ")
    }`;
  }
  const received = "input" in issue
    ? issue.input
    : valueAt(root, issue.path.map(String));
  if (received !== undefined && issue.code !== "unrecognized_keys") {
    out.received = render(received);
  }
  return out;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function render(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text;
  } catch {
    return String(value);
  }
}

function resolveSlot(
  registry: Registry,
  kind: PluginKind,
  value: unknown,
  path: string,
  issues: ConfigIssue[],
  file: string | undefined,
): SlotConfig | undefined {
  if (value === undefined || value === null) {
    issues.push({
      path,
      message: "Missing slot",
      expected: `{ plugin: <id>, options: {…} } with id one of ${
        registry.ids(kind).map((i) => `"${i}"`).join(", ")
      }`,
      file,
    });
    return undefined;
  }
  const slot = slotSchema.safeParse(value, { reportInput: true });
  if (!slot.success) {
    for (const issue of slot.error.issues) {
      issues.push(issueFromZod(issue, path, value, file, undefined));
    }
    return undefined;
  }
  const definition = registry.get(kind, slot.data.plugin);
  if (!definition) {
    const ids = registry.ids(kind);
    issues.push({
      path: `${path}.plugin`,
      message: `Unknown ${kind} plugin "${slot.data.plugin}"`,
      expected: ids.length > 0
        ? `one of ${ids.map((i) => `"${i}"`).join(", ")}`
        : `a registered ${kind} plugin (none is registered)`,
      received: JSON.stringify(slot.data.plugin),
      ...suggest(slot.data.plugin, ids),
      file,
    });
    return undefined;
  }
  const parsed = parseSection(
    definition.options.strict(),
    slot.data.options,
    `${path}.options`,
    issues,
    file,
    definition.id,
  );
  return parsed === undefined
    ? undefined
    : { plugin: definition.id, options: parsed as Record<string, unknown> };
}

function crossChecks(
  experiment: ResolvedExperiment,
  registry: Registry,
  issues: ConfigIssue[],
  file: string | undefined,
): void {
  const context = {
    logger: nullLogger,
    progress: nullProgress,
    rng: createRng(0),
    paths: { cacheDir: experiment.data.cache_dir },
  };
  let backbone;
  let head;
  try {
    backbone = registry.create(
      "backbone",
      experiment.model.backbone.plugin,
      experiment.model.backbone.options,
      context,
    );
    head = registry.create(
      "anchor_head",
      experiment.model.anchor_head.plugin,
      experiment.model.anchor_head.options,
      context,
    );
  } catch (error) {
    issues.push({
      path: error instanceof PluginError
        ? (error.pluginId === experiment.model.backbone.plugin
          ? "model.backbone"
          : "model.anchor_head")
        : "model",
      message: error instanceof Error ? error.message : String(error),
      pluginId: error instanceof PluginError ? error.pluginId : undefined,
      file,
    });
    return;
  }
  if (backbone.output.stride !== head.stride) {
    issues.push({
      path: "model.anchor_head.options.stride",
      message: "Head stride differs from the backbone's output stride",
      pluginId: experiment.model.anchor_head.plugin,
      expected: String(backbone.output.stride),
      received: String(head.stride),
      file,
    });
  }
  const inputChannels = experiment.data.blob_channel ? 2 : 1;
  if (backbone.inputChannels !== inputChannels) {
    issues.push({
      path: "model.backbone.options.input_channels",
      message: `The backbone's image input has ${backbone.inputChannels} ${
        backbone.inputChannels === 1 ? "channel" : "channels"
      }, but data.blob_channel is ${experiment.data.blob_channel}`,
      pluginId: experiment.model.backbone.plugin,
      expected: String(inputChannels),
      received: String(backbone.inputChannels),
      file,
    });
  }
  const multiple = backbone.maxStride;
  const checks: [string, number][] = [
    ["train.crop_size", experiment.train.crop_size],
    ["eval.side", experiment.eval.side],
    ["eval.margin", experiment.eval.margin],
  ];
  for (const [path, value] of checks) {
    if (value % multiple !== 0) {
      issues.push({
        path,
        message: `Not a multiple of the backbone's max stride`,
        pluginId: experiment.model.backbone.plugin,
        expected: `a multiple of ${multiple}`,
        received: String(value),
        file,
      });
    }
  }
  const { lr_milestones: milestones, lr_factors: factors } = experiment.train;
  if (milestones.length !== factors.length) {
    issues.push({
      path: "train.lr_factors",
      message: "One factor is needed per milestone",
      expected: `${milestones.length} values`,
      received: JSON.stringify(factors),
      file,
    });
  }
  const weights = experiment.eval.stage_weights;
  const stages = experiment.train.hard_mining.stages;
  if (
    weights.length > 0 &&
    (weights.length !== stages || !weights.some((w) => w > 0))
  ) {
    issues.push({
      path: "eval.stage_weights",
      message: weights.length !== stages
        ? "One weight is needed per hard-mining stage"
        : "At least one weight must be above 0",
      expected:
        `[] or ${stages} weights ≥ 0, not all 0 (train.hard_mining.stages is ${stages})`,
      received: JSON.stringify(weights),
      file,
    });
  }
  if (experiment.data.blob_channel && experiment.train.augmentation.paste > 0) {
    issues.push({
      path: "train.augmentation.paste",
      message:
        "Pasted nodules have no blob response (it is computed once per scan), so paste cannot be used with data.blob_channel",
      expected: "0 when data.blob_channel is true",
      received: String(experiment.train.augmentation.paste),
      file,
    });
  }
  const blobDropout = experiment.train.augmentation.blob_dropout;
  if (!experiment.data.blob_channel && blobDropout > 0) {
    issues.push({
      path: "train.augmentation.blob_dropout",
      message: "There is no blob channel to blank: data.blob_channel is false",
      expected: "0, or data.blob_channel: true",
      received: String(blobDropout),
      file,
    });
  }
  for (const key of ["scale", "contrast", "noise"] as const) {
    const [lo, hi] = experiment.train.augmentation[key];
    if (lo > hi) {
      issues.push({
        path: `train.augmentation.${key}`,
        message: "Range is reversed",
        expected: "[low, high] with low <= high",
        received: JSON.stringify([lo, hi]),
        file,
      });
    }
  }
}

/** "Did you mean" suggestions: the closest ids by edit distance. */
export function closest(
  word: string,
  candidates: readonly string[],
  max = 3,
): string[] {
  return candidates
    .map((candidate) => ({
      candidate,
      distance: editDistance(word.toLowerCase(), candidate.toLowerCase()),
    }))
    .filter(({ candidate, distance }) =>
      distance <= Math.max(2, Math.floor(candidate.length / 2))
    )
    .sort((a, b) => a.distance - b.distance)
    .slice(0, max)
    .map(({ candidate }) => candidate);
}

function suggest(
  word: string,
  candidates: readonly string[],
): Partial<ConfigIssue> {
  const near = closest(word, candidates);
  return near.length > 0 ? { suggestions: near } : {};
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length];
}

/**
 * Canonical JSON: object keys sorted at every level, no whitespace, so equal
 * experiments give equal text and equal hashes.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./experiment.ts";
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) out[key] = sortKeys(value[key]);
    }
    return out;
  }
  return value;
}

/** SHA-256 (hex) of the canonical JSON of a resolved experiment. */
export function experimentHash(experiment: ResolvedExperiment): string {
  return createHash("sha256").update(canonicalJson(experiment)).digest("hex");
}
