/**
 * Comparisons behind the compare and ablation pages: FROC summaries side by
 * side, the paired ΔCPM of each run against a baseline, the config diff, and
 * for an ablation grid the effect of each varied choice against the base.
 *
 * @module
 */

import type { AblationRecord, RunRecord } from "../../core/mod.ts";
import { formatChoice } from "../components/format.ts";
import {
  type FrocSummary,
  type PairedDelta,
  readFrocSummary,
} from "./froc_data.ts";
import type { AppState } from "./state.ts";
import {
  configDiff,
  configOf,
  type DiffRow,
  type RunSummary,
  summarizeRun,
  valueAt,
} from "./views.ts";

/** One run in a comparison. */
export interface ComparedRun {
  /** The run. */
  readonly run: RunSummary;
  /** Its FROC summary, when evaluated. */
  readonly froc: FrocSummary | null;
  /** ΔCPM against the baseline (null for the baseline, or when not computable). */
  readonly delta: PairedDelta | { readonly error: string } | null;
}

/** Runs compared against a baseline. */
export interface Comparison {
  /** The baseline run's id. */
  readonly baselineId: string;
  /** The runs, in the order asked for. */
  readonly runs: readonly ComparedRun[];
  /** Paths whose values differ, components first. */
  readonly diff: readonly DiffRow[];
}

/**
 * Compares runs.
 *
 * @param state the dashboard state
 * @param ids run ids (unique)
 * @param baselineId the baseline (default: the first)
 * @returns the comparison, or the ids that do not exist
 */
export function compareRuns(
  state: AppState,
  ids: readonly string[],
  baselineId?: string,
): Comparison | { readonly missing: readonly string[] } {
  const records = ids.map((id) => state.store.getRun(id));
  const missing = ids.filter((_, i) => records[i] === undefined);
  if (missing.length > 0) return { missing };
  const runs = records as RunRecord[];
  const baseline = runs.find((r) => r.id === baselineId) ?? runs[0];
  const compared = runs.map((run): ComparedRun => ({
    run: summarizeRun(run),
    froc: readFrocSummary(state.store, run.id) ?? null,
    delta: run.id === baseline.id ? null : state.evaluations.delta(
      state.store,
      baseline,
      run,
      state.compareResamples,
    ) ?? null,
  }));
  return {
    baselineId: baseline.id,
    runs: compared,
    diff: configDiff(runs.map(configOf)),
  };
}

/** One variant of a grid. */
export interface AblationRow {
  /** The run. */
  readonly run: RunSummary;
  /** The seven sensitivities, when evaluated. */
  readonly sensitivities: readonly number[] | null;
  /** Whether it is the grid's base run. */
  readonly isBase: boolean;
  /** Varied paths where it differs from the base. */
  readonly changes: readonly string[];
  /** ΔCPM against the base. */
  readonly delta: PairedDelta | { readonly error: string } | null;
}

/** The effect of one choice: a run that differs from the base in one varied path only. */
export interface EffectRow {
  /** The varied path (`model.miner`, `train.hard_mining.stages`). */
  readonly path: string;
  /** The slot kind when the path is a slot or one of its options. */
  readonly slot: string | null;
  /** The value taken, e.g. `topk(k=3, per_sample=true)`. */
  readonly choice: string;
  /** The run with that choice. */
  readonly runId: string;
  /** Its CPM. */
  readonly cpm: number | null;
  /** ΔCPM against the base, its interval and p-value. */
  readonly delta: PairedDelta | { readonly error: string } | null;
}

/** An ablation grid's matrix and effects. */
export interface AblationView {
  /** The grid record. */
  readonly ablation: AblationRecord;
  /** The varied paths, from the grid file. */
  readonly varied: readonly string[];
  /** The base run, when known. */
  readonly baseRunId: string | null;
  /** One row per variant run. */
  readonly rows: readonly AblationRow[];
  /** One row per single-change variant. */
  readonly effects: readonly EffectRow[];
}

/** Builds the ablation page's data. */
export function ablationView(
  state: AppState,
  ablation: AblationRecord,
): AblationView {
  const { store } = state;
  const runs = store.listRuns({ ablationId: ablation.id }).reverse();
  let varied: string[] = [];
  try {
    const grid = JSON.parse(ablation.gridJson) as { vary?: unknown };
    if (grid.vary && typeof grid.vary === "object") {
      varied = Object.keys(grid.vary as Record<string, unknown>);
    }
  } catch {
    varied = [];
  }
  const base =
    (ablation.baseRunId ? store.getRun(ablation.baseRunId) : undefined) ??
      runs.find((r) => r.variant === "base");
  const baseConfig = base ? configOf(base) : undefined;
  const rows: AblationRow[] = [];
  const effects: EffectRow[] = [];
  const allRuns = base && !runs.some((r) => r.id === base.id)
    ? [base, ...runs]
    : runs;
  for (const run of allRuns) {
    const config = configOf(run);
    const changes = baseConfig
      ? varied.filter((path) =>
        JSON.stringify(valueAt(config, path)) !==
          JSON.stringify(valueAt(baseConfig, path))
      )
      : [];
    const froc = readFrocSummary(store, run.id);
    const isBase = run.id === base?.id;
    const delta = base && !isBase
      ? state.evaluations.delta(store, base, run, state.compareResamples) ??
        null
      : null;
    const summary = summarizeRun(run);
    rows.push({
      run: summary,
      sensitivities: froc ? froc.sensitivities : null,
      isBase,
      changes,
      delta,
    });
    if (!isBase && changes.length === 1) {
      const path = changes[0];
      const slot = /^model\.([a-z_]+)/.exec(path)?.[1] ?? null;
      effects.push({
        path,
        slot,
        choice: formatChoice(valueAt(config, path)),
        runId: run.id,
        cpm: summary.cpm,
        delta,
      });
    }
  }
  return {
    ablation,
    varied,
    baseRunId: base?.id ?? null,
    rows,
    effects,
  };
}
