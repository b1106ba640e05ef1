/**
 * Ablation grids: a YAML file naming a base experiment and the slots or
 * options to vary. Every combination of the varied values is one variant,
 * resolved like any experiment; the base itself is the reference every
 * variant is compared with.
 *
 * ```yaml
 * name: miner                      # default: the file stem
 * base: ../base/cpu.yaml           # relative to the grid file
 * set: [train.max_minutes=6]       # optional overrides for base and variants
 * vary:
 *   model.miner:                   # a slot: whole { plugin, options } values
 *     - { plugin: topk, options: { k: 2 } }
 *     - { plugin: topk, options: { k: 3 } }
 *     - { plugin: random }
 *   train.hard_mining.stages: [1, 2]   # or any option path
 * ```
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import {
  canonicalJson,
  experimentHash,
  loadRawExperiment,
  mergeExperiment,
  parseSets,
  parseYamlDocument,
  type ResolvedExperiment,
  resolveExperiment,
} from "./experiment.ts";
import type { Registry } from "./registry.ts";

/** One variant of a grid. */
export interface AblationVariant {
  /** Short label, e.g. `miner=topk(k=3)`. */
  readonly label: string;
  /** The varied paths and the values this variant takes. */
  readonly changes: Readonly<Record<string, unknown>>;
  /** The resolved experiment. */
  readonly experiment: ResolvedExperiment;
  /** Its hash; equal to the base's when the variant is the base itself. */
  readonly hash: string;
}

/** A resolved grid. */
export interface AblationGrid {
  /** Grid name. */
  readonly name: string;
  /** The grid file. */
  readonly file: string;
  /** The resolved base experiment. */
  readonly base: ResolvedExperiment;
  /** The base's hash. */
  readonly baseHash: string;
  /** Every combination, in a stable order. */
  readonly variants: readonly AblationVariant[];
  /** The grid file's content as canonical JSON (for the run store). */
  readonly gridJson: string;
}

const gridSchema = z.object({
  name: z.string().optional(),
  base: z.string().describe("Base experiment, relative to the grid file"),
  set: z.array(z.string()).default([]).describe(
    "Overrides applied to the base and every variant",
  ),
  vary: z.record(z.string(), z.array(z.unknown()).min(1)).describe(
    "Path → list of values; every combination is one variant",
  ),
}).strict();

const VARY_ROOTS = ["model", "data", "train", "eval"];

/**
 * Loads a grid file and resolves the base and every variant.
 *
 * @param path the grid YAML
 * @param registry the plugins slots may name
 * @param options `set`: extra overrides applied to base and variants
 * @returns the grid
 * @throws ConfigError listing every problem of every variant at once
 */
export function loadGrid(
  path: string,
  registry: Registry,
  options: { set?: readonly string[] } = {},
): Promise<AblationGrid> {
  return Promise.resolve().then(() => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new ConfigError([{
        path: "(file)",
        message: `Cannot read file: ${
          error instanceof Error ? error.message : String(error)
        }`,
        file: path,
      }], { file: path, cause: error });
    }
    const document = parseYamlDocument(text, path);
    const parsed = gridSchema.safeParse(document);
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map((issue) => ({
          path: issue.path.map(String).join(".") || "(file)",
          message: issue.message,
          file: path,
        })),
        { file: path },
      );
    }
    const grid = parsed.data;
    const name = grid.name ?? basename(path, extname(path));
    const issues: ConfigIssue[] = [];
    for (const key of Object.keys(grid.vary)) {
      const root = key.split(".")[0];
      if (!VARY_ROOTS.includes(root) || key.split(".").some((p) => p === "")) {
        issues.push({
          path: `vary.${key}`,
          message: "Cannot vary this path",
          expected: `a dotted path under ${
            VARY_ROOTS.map((r) => `"${r}"`).join(", ")
          }`,
          file: path,
        });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, { file: path });

    const basePath = resolve(dirname(path), grid.base);
    const overrides = parseSets([...grid.set, ...(options.set ?? [])], path);
    const baseRaw = mergeExperiment(loadRawExperiment(basePath), overrides);
    if (typeof baseRaw.name !== "string" || baseRaw.name === "") {
      baseRaw.name = basename(basePath, extname(basePath));
    }
    const base = resolveExperiment(baseRaw, registry, { file: basePath });
    const baseHash = experimentHash(base);

    const variants: AblationVariant[] = [];
    for (const changes of combinations(grid.vary)) {
      const overlay: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(changes)) {
        setAt(overlay, key.split("."), value);
      }
      const label = variantLabel(changes);
      const raw = mergeExperiment(baseRaw, overlay);
      raw.name = `${name}: ${label}`;
      try {
        const experiment = resolveExperiment(raw, registry, { file: path });
        const sameAsBase =
          experimentHash({ ...experiment, name: base.name }) ===
            baseHash;
        const resolved = sameAsBase ? base : experiment;
        variants.push({
          label,
          changes,
          experiment: resolved,
          hash: sameAsBase ? baseHash : experimentHash(experiment),
        });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const issue of error.issues) {
          issues.push({ ...issue, path: `[${label}] ${issue.path}` });
        }
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, { file: path });
    return {
      name,
      file: path,
      base,
      baseHash,
      variants,
      gridJson: canonicalJson({ ...grid, name }),
    };
  });
}

function setAt(
  target: Record<string, unknown>,
  keys: string[],
  value: unknown,
): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = structuredClone(value);
}

/** Every combination of the varied values, the first key varying slowest. */
export function combinations(
  vary: Readonly<Record<string, readonly unknown[]>>,
): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(vary)) {
    const next: Record<string, unknown>[] = [];
    for (const partial of out) {
      for (const value of values) next.push({ ...partial, [key]: value });
    }
    out = next;
  }
  return out;
}

/**
 * A short label for a combination: `miner=topk(k=3) stages=2`.
 *
 * @example
 * ```ts
 * import { variantLabel } from "./ablation.ts";
 * variantLabel({ "model.miner": { plugin: "topk", options: { k: 3 } } }); // "miner=topk(k=3)"
 * ```
 */
export function variantLabel(
  changes: Readonly<Record<string, unknown>>,
): string {
  return Object.entries(changes).map(([key, value]) => {
    const short = key.split(".").at(-1)!;
    return `${short}=${describeValue(value)}`;
  }).join(" ");
}

function describeValue(value: unknown): string {
  if (
    value !== null && typeof value === "object" && !Array.isArray(value) &&
    typeof (value as { plugin?: unknown }).plugin === "string"
  ) {
    const slot = value as { plugin: string; options?: Record<string, unknown> };
    const options = Object.entries(slot.options ?? {}).map(([k, v]) =>
      `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`
    );
    return options.length > 0
      ? `${slot.plugin}(${options.join(",")})`
      : slot.plugin;
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
