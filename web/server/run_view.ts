/**
 * The data of one run's page: resolved config, curves grouped for charts,
 * hard-mining stages with their FROC, the final FROC with its lists of missed
 * nodules and top false positives, and the latest log lines.
 *
 * @module
 */

import { stringify as toYaml } from "yaml";
import type { MetricSample, RunRecord, StageRecord } from "../../core/mod.ts";
import {
  type FrocSummary,
  type ListedFinding,
  listedFromSummary,
  missedNodules,
  readFrocSummary,
  type SizeRow,
  sizeRows,
  topFalsePositives,
} from "./froc_data.ts";
import type { AppState } from "./state.ts";
import { configOf, type RunSummary, summarizeRun } from "./views.ts";

/** One chart of training curves. */
export interface CurveChart {
  /** Title. */
  readonly title: string;
  /** Log-scale y. */
  readonly logY: boolean;
  /** One line per metric: (global step, value). */
  readonly series: readonly {
    label: string;
    points: readonly (readonly [number, number])[];
  }[];
}

/** A stage with its FROC. */
export interface StageView {
  /** The stage record. */
  readonly stage: StageRecord;
  /** Its FROC summary (`froc.stage<N>`), when evaluated. */
  readonly froc: FrocSummary | null;
}

/** A log line. */
export interface LogLine {
  /** Event number. */
  readonly seq: number;
  /** ms since the epoch. */
  readonly time: number;
  /** Level. */
  readonly level: string;
  /** Message. */
  readonly message: string;
}

/** Everything the run page shows. */
export interface RunView {
  /** The run. */
  readonly run: RunSummary;
  /** When it started and ended. */
  readonly startedAt: number | null;
  /** When it ended. */
  readonly endedAt: number | null;
  /** The resolved experiment as YAML. */
  readonly configYaml: string;
  /** The resolved experiment. */
  readonly config: Record<string, unknown>;
  /** Training curves. */
  readonly charts: readonly CurveChart[];
  /** Global steps where stages 1, 2, … begin. */
  readonly stageStarts: readonly number[];
  /** Hard-mining stages. */
  readonly stages: readonly StageView[];
  /** Final FROC summary. */
  readonly froc: FrocSummary | null;
  /** Sensitivity by nodule size. */
  readonly sizes: readonly SizeRow[] | null;
  /** Missed nodules (null without `froc.input`). */
  readonly missed: readonly ListedFinding[] | null;
  /** Highest-scoring false positives (null without `froc.input`). */
  readonly falsePositives: readonly ListedFinding[] | null;
  /** Last log lines. */
  readonly log: readonly LogLine[];
  /** Sequence number of the newest event (for the live stream). */
  readonly lastSeq: number;
  /** A problem reading the artefacts, shown instead of crashing. */
  readonly artefactError: string | null;
}

const LR_NAME = /^(lr|learning_rate)$/i;

/** Groups metric samples into charts: loss terms together, learning rate apart. */
export function curveCharts(samples: readonly MetricSample[]): {
  charts: CurveChart[];
  stageStarts: number[];
} {
  // Stage k's steps follow stage k-1's on one axis.
  const lastStep = new Map<number, number>();
  for (const s of samples) {
    lastStep.set(s.stage, Math.max(lastStep.get(s.stage) ?? 0, s.step));
  }
  const stages = [...lastStep.keys()].sort((a, b) => a - b);
  const offset = new Map<number, number>();
  let next = 0;
  for (const stage of stages) {
    offset.set(stage, next);
    next += lastStep.get(stage)! + 1;
  }
  const byName = new Map<string, [number, number][]>();
  for (const s of samples) {
    let list = byName.get(s.name);
    if (!list) byName.set(s.name, list = []);
    list.push([offset.get(s.stage)! + s.step, s.value]);
  }
  const names = [...byName.keys()];
  const losses = names.filter((n) => !LR_NAME.test(n));
  const rates = names.filter((n) => LR_NAME.test(n));
  const charts: CurveChart[] = [];
  const series = (list: string[]) =>
    list.map((label) => ({ label, points: byName.get(label)! }));
  if (losses.length > 0 && losses.length <= 6) {
    charts.push({ title: "Loss terms", logY: false, series: series(losses) });
  } else {
    for (const name of losses) {
      charts.push({ title: name, logY: false, series: series([name]) });
    }
  }
  if (rates.length > 0) {
    const positive = rates.every((n) => byName.get(n)!.every(([, v]) => v > 0));
    charts.push({
      title: "Learning rate",
      logY: positive,
      series: series(rates),
    });
  }
  return { charts, stageStarts: stages.slice(1).map((s) => offset.get(s)!) };
}

/** Builds the run page's data. */
export function runView(state: AppState, run: RunRecord): RunView {
  const { store } = state;
  const config = configOf(run);
  const { charts, stageStarts } = curveCharts(store.metrics(run.id));
  let artefactError: string | null = null;
  const guard = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      artefactError = error instanceof Error ? error.message : String(error);
      return fallback;
    }
  };
  const stages = store.stages(run.id).map((stage): StageView => ({
    stage,
    froc: guard(
      () => readFrocSummary(store, run.id, `froc.stage${stage.index}`) ?? null,
      null,
    ),
  }));
  const froc = guard(() => readFrocSummary(store, run.id) ?? null, null);
  const evaluation = guard(() => state.evaluations.get(store, run), undefined);
  const events = store.events(run.id);
  const log = events.filter((e) => e.type === "log").slice(-30).map((e) => ({
    seq: e.seq,
    time: e.time,
    level: String(e.data.level ?? "info"),
    message: String(e.data.message ?? ""),
  }));
  return {
    run: summarizeRun(run),
    startedAt: run.startedAt ?? null,
    endedAt: run.endedAt ?? null,
    configYaml: toYaml(config, { lineWidth: 0 }),
    config,
    charts,
    stageStarts,
    stages,
    froc,
    sizes: sizeRows(froc ?? undefined, evaluation) ?? null,
    missed: evaluation
      ? missedNodules(evaluation)
      : froc?.missed
      ? listedFromSummary(froc.missed)
      : null,
    falsePositives: evaluation
      ? topFalsePositives(evaluation, 20)
      : froc?.topFalsePositives
      ? listedFromSummary(froc.topFalsePositives.slice(0, 20))
      : null,
    log,
    lastSeq: events.at(-1)?.seq ?? 0,
    artefactError,
  };
}
