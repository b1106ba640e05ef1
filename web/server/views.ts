/**
 * Run records turned into what pages and the JSON API show: summaries for
 * the list (no config text), component filters, and the config diff that
 * names exactly which components and options differ between runs.
 *
 * @module
 */

import { PLUGIN_KINDS, type RunRecord } from "../../core/mod.ts";

/** A run as listed: everything but the config text. */
export interface RunSummary {
  /** Run id. */
  readonly id: string;
  /** Experiment name. */
  readonly name: string;
  /** Lifecycle state. */
  readonly status: RunRecord["status"];
  /** Error message when failed. */
  readonly error: string | null;
  /** Latest progress. */
  readonly progress: RunRecord["progress"] | null;
  /** Plugin id per slot. */
  readonly components: Readonly<Record<string, string>>;
  /** CPM, when evaluated (null for NaN or absent). */
  readonly cpm: number | null;
  /** Its 95 % interval. */
  readonly cpmCi: readonly [number, number] | null;
  /** Creation time (ms since the epoch). */
  readonly createdAt: number;
  /** Run time so far or in total, in ms; null before it starts. */
  readonly durationMs: number | null;
  /** Ablation grid, if any. */
  readonly ablationId: string | null;
  /** Variant label in the grid. */
  readonly variant: string | null;
  /** Hash of the resolved config. */
  readonly configHash: string;
}

/** The summary of a run record. */
export function summarizeRun(run: RunRecord, now = Date.now()): RunSummary {
  const components: Record<string, string> = {};
  for (const kind of PLUGIN_KINDS) {
    const slot = run.slots[kind];
    if (slot) components[kind] = slot.plugin;
  }
  const end = run.endedAt ??
    (run.status === "running" ? now : undefined);
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    error: run.error ?? null,
    progress: run.progress ?? null,
    components,
    cpm: run.cpm === undefined || Number.isNaN(run.cpm) ? null : run.cpm,
    cpmCi: run.cpmCi ? [run.cpmCi[0], run.cpmCi[1]] : null,
    createdAt: run.createdAt,
    durationMs: run.startedAt !== undefined && end !== undefined
      ? Math.max(0, end - run.startedAt)
      : null,
    ablationId: run.ablationId ?? null,
    variant: run.variant ?? null,
    configHash: run.configHash,
  };
}

/** A component filter: `kind:plugin`, e.g. `miner:topk`. */
export interface ComponentFilter {
  /** The slot. */
  readonly kind: string;
  /** The plugin id it must hold. */
  readonly plugin: string;
}

/** Parses `kind:plugin`; undefined when malformed. */
export function parseComponentFilter(
  text: string,
): ComponentFilter | undefined {
  const match = /^([a-z_]+):([A-Za-z0-9_.-]+)$/.exec(text);
  if (!match || !(PLUGIN_KINDS as readonly string[]).includes(match[1])) {
    return undefined;
  }
  return { kind: match[1], plugin: match[2] };
}

/** Whether a run holds every filtered component. */
export function matchesComponents(
  run: RunSummary,
  filters: readonly ComponentFilter[],
): boolean {
  return filters.every((f) => run.components[f.kind] === f.plugin);
}

/** One row of a config diff. */
export interface DiffRow {
  /** Dotted path, e.g. `model.miner.options.k`. */
  readonly path: string;
  /**
   * `component`: which plugin fills a slot; `option`: a plugin option;
   * `setting`: data, training or evaluation settings.
   */
  readonly kind: "component" | "option" | "setting";
  /** The value per run as compact JSON (`undefined` when absent). */
  readonly values: readonly (string | undefined)[];
}

/**
 * Flattens a config to dotted paths → compact JSON of the leaf; arrays are
 * leaves (they replace as a whole when merged).
 */
export function flattenConfig(
  value: unknown,
  prefix = "",
  out: Map<string, string> = new Map(),
): Map<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, "{}");
    for (const [key, child] of entries) {
      flattenConfig(child, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (prefix) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

function kindOf(path: string): DiffRow["kind"] {
  if (/^model\.[a-z_]+\.plugin$/.test(path)) return "component";
  if (/^train\.hard_mining\.final_loss\.plugin$/.test(path)) return "component";
  if (/^model\.[a-z_]+\.options(\.|$)/.test(path)) return "option";
  if (/^train\.hard_mining\.final_loss\.options(\.|$)/.test(path)) {
    return "option";
  }
  return "setting";
}

const KIND_ORDER = { component: 0, option: 1, setting: 2 } as const;

/**
 * The paths whose values differ between configs: components first, then
 * plugin options, then other settings. The experiment name is left out.
 *
 * @param configs resolved experiments (parsed canonical JSON)
 * @returns one row per differing path
 *
 * @example
 * ```ts
 * import { configDiff } from "./views.ts";
 * configDiff([
 *   { model: { miner: { plugin: "topk", options: { k: 2 } } } },
 *   { model: { miner: { plugin: "random", options: { k: 2 } } } },
 * ]); // [{ path: "model.miner.plugin", kind: "component", values: ['"topk"', '"random"'] }]
 * ```
 */
export function configDiff(configs: readonly unknown[]): DiffRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const paths = new Set(flat.flatMap((f) => [...f.keys()]));
  const rows: DiffRow[] = [];
  for (const path of paths) {
    if (path === "name") continue;
    const values = flat.map((f) => f.get(path));
    if (values.every((v) => v === values[0])) continue;
    rows.push({ path, kind: kindOf(path), values });
  }
  return rows.sort((a, b) =>
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}

/** Parses a run's canonical config JSON (an empty object when unreadable). */
export function configOf(run: RunRecord): Record<string, unknown> {
  try {
    const value = JSON.parse(run.configJson);
    return value !== null && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

/** The value at a dotted path of a config, or undefined. */
export function valueAt(config: unknown, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
