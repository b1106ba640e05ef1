/**
 * The FROC artefacts the dashboard reads from the run store, validated with
 * zod, and what it derives from them.
 *
 * - `froc` (and `froc.stage<N>` per hard-mining stage): the summary `pleura
 *   eval` writes to `froc.json` — CPM, the seven sensitivities, the operating
 *   points, bootstrap intervals and band, sensitivity by size, counts.
 *   JSON has no NaN: `null` stands for it.
 * - `froc.input`: what was evaluated — scan list, included nodules, excluded
 *   findings and the marks (with their diameters when known), in world mm
 *   (z, y, x). With it the dashboard recomputes the FROC (core/froc.ts) to
 *   list missed nodules and false positives, draw detections in the CT
 *   viewer and compare runs with a paired bootstrap.
 *
 * @module
 */

import { z } from "zod";
import {
  computeFroc,
  DEFAULT_MAX_MARKS_PER_SCAN,
  falsePositiveMarks,
  FROC_RATES,
  type FrocInput,
  type FrocResult,
  pairedBootstrapFroc,
  sensitivityBySize,
} from "../../core/froc.ts";
import { type RunRecord, type RunStore, zyxFromXyz } from "../../core/mod.ts";

/** A number where JSON `null` means NaN. */
const nullableNumber = z.number().nullable().transform((v) => v ?? NaN);
const interval = z.tuple([nullableNumber, nullableNumber]);
const zyx = z.tuple([z.number(), z.number(), z.number()]);

const sizeBand = z.looseObject({
  label: z.string(),
  nodules: z.number(),
  detected: z.number(),
  sensitivity: nullableNumber,
});

const listedNodule = z.looseObject({
  seriesuid: z.string(),
  coordX: z.number(),
  coordY: z.number(),
  coordZ: z.number(),
  diameter_mm: nullableNumber.optional(),
  probability: nullableNumber.optional(),
});

/**
 * Schema of the `froc` artefact (extra fields are kept): the object
 * `pleura eval` writes to froc.json. `rates` may be called `fpRates`;
 * `bySize` is a list or `{ bands: [...] }`; `ci` is null without bootstrap.
 */
export const frocSummarySchema = z.looseObject({
  cpm: nullableNumber,
  sensitivities: z.array(nullableNumber).length(7),
  rates: z.array(z.number()).length(7).optional(),
  fpRates: z.array(z.number()).length(7).optional(),
  points: z.array(
    z.looseObject({ fps: nullableNumber, sensitivity: nullableNumber }),
  ),
  ci: z.looseObject({
    cpm: interval,
    sensitivities: z.array(interval).length(7),
    band: z.looseObject({
      rates: z.array(z.number()),
      lower: z.array(nullableNumber),
      upper: z.array(nullableNumber),
      mean: z.array(nullableNumber).optional(),
    }).optional(),
  }).nullable().optional().transform((v) => v ?? undefined),
  bySize: z.union([
    z.array(sizeBand),
    z.looseObject({ bands: z.array(sizeBand) }).transform((o) => o.bands),
  ]).optional(),
  counts: z.record(z.string(), z.number().nullable()).optional(),
  missed: z.array(listedNodule).optional(),
  topFalsePositives: z.array(listedNodule).optional(),
});

/** The `froc` artefact, validated. */
export type FrocSummary = z.output<typeof frocSummarySchema>;

const finding = z.object({
  seriesuid: z.string(),
  worldMm: zyx,
  diameterMm: z.number(),
});

/** Schema of the `froc.input` artefact. */
export const frocInputSchema = z.object({
  seriesuids: z.array(z.string()),
  annotations: z.array(finding),
  excluded: z.array(finding).default([]),
  marks: z.array(z.object({
    seriesuid: z.string(),
    worldMm: zyx,
    score: z.number(),
    diameterMm: z.number().nullable().optional(),
  })),
  maxMarksPerScan: z.number().nullable().default(DEFAULT_MAX_MARKS_PER_SCAN),
});

/** The `froc.input` artefact, validated. */
export type FrocInputArtifact = z.output<typeof frocInputSchema>;

/** A run's evaluation recomputed from its `froc.input`. */
export interface FrocEvaluation {
  /** What was evaluated. */
  readonly input: FrocInputArtifact;
  /** The FROC of it. */
  readonly result: FrocResult;
}

/** Seven rate labels for tables: `1/8` … `8`. */
export const RATE_LABELS: readonly string[] = FROC_RATES.map((r) =>
  r < 1 ? `1/${1 / r}` : String(r)
);

/**
 * The run's FROC summary (`froc`, or `froc.stage<N>`), or undefined when
 * absent; a malformed artefact throws a TypeError naming the field.
 */
export function readFrocSummary(
  store: RunStore,
  runId: string,
  name = "froc",
): FrocSummary | undefined {
  const raw = store.getArtifact(runId, name);
  if (raw === undefined) return undefined;
  const parsed = frocSummarySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(
      `Cannot read artefact "${name}" of run "${runId}": field "${
        issue.path.join(".")
      }" ${issue.message.toLowerCase()}`,
    );
  }
  return parsed.data;
}

/** Caches recomputed evaluations: a finished run's artefacts do not change. */
export class EvaluationCache {
  readonly #entries = new Map<
    string,
    { key: string; value: FrocEvaluation | undefined }
  >();
  readonly #limit: number;

  /** @param limit most runs kept */
  constructor(limit = 32) {
    this.#limit = limit;
  }

  readonly #deltas = new Map<
    string,
    PairedDelta | { readonly error: string }
  >();

  /**
   * The paired ΔCPM of `other` against `baseline` (cached for finished runs);
   * undefined when either lacks a `froc.input` artefact.
   */
  delta(
    store: RunStore,
    baseline: RunRecord,
    other: RunRecord,
    resamples: number,
  ): PairedDelta | { readonly error: string } | undefined {
    const a = this.get(store, baseline), b = this.get(store, other);
    if (!a || !b) return undefined;
    const key =
      `${baseline.id}:${baseline.endedAt}:${other.id}:${other.endedAt}:${resamples}`;
    const hit = this.#deltas.get(key);
    if (hit) return hit;
    const value = pairedDelta(a, b, resamples);
    if (baseline.status === "done" && other.status === "done") {
      this.#deltas.set(key, value);
      while (this.#deltas.size > 256) {
        this.#deltas.delete(this.#deltas.keys().next().value!);
      }
    }
    return value;
  }

  /** The evaluation of `run` (undefined without a `froc.input` artefact). */
  get(store: RunStore, run: RunRecord): FrocEvaluation | undefined {
    const key = `${run.status}:${run.endedAt ?? ""}:${run.cpm ?? ""}`;
    const hit = this.#entries.get(run.id);
    if (hit && hit.key === key && run.status === "done") {
      // Refresh recency.
      this.#entries.delete(run.id);
      this.#entries.set(run.id, hit);
      return hit.value;
    }
    const value = loadEvaluation(store, run.id);
    this.#entries.set(run.id, { key, value });
    while (this.#entries.size > this.#limit) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return value;
  }
}

/** Reads `froc.input` and recomputes the FROC; undefined when absent. */
export function loadEvaluation(
  store: RunStore,
  runId: string,
): FrocEvaluation | undefined {
  const raw = store.getArtifact(runId, "froc.input");
  if (raw === undefined) return undefined;
  const parsed = frocInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(
      `Cannot read artefact "froc.input" of run "${runId}": field "${
        issue.path.join(".")
      }" ${issue.message.toLowerCase()}`,
    );
  }
  const input = parsed.data;
  const result = computeFroc(input as FrocInput, {
    maxMarksPerScan: input.maxMarksPerScan,
  });
  return { input, result };
}

/** A finding or mark shown in a list, with where to open it. */
export interface ListedFinding {
  /** The scan. */
  readonly seriesuid: string;
  /** Centre in world LPS mm (z, y, x). */
  readonly worldMm: readonly [number, number, number];
  /** Diameter in mm (NaN when unknown). */
  readonly diameterMm: number;
  /** The mark's score (false positives only). */
  readonly score?: number;
}

/** Findings listed in a froc.json (`coordX/Y/Z`, `diameter_mm`, `probability`). */
export function listedFromSummary(
  rows: NonNullable<FrocSummary["missed"]>,
): ListedFinding[] {
  return rows.map((row) => {
    const worldMm = zyxFromXyz([row.coordX, row.coordY, row.coordZ]);
    return {
      seriesuid: row.seriesuid,
      worldMm: [worldMm[0], worldMm[1], worldMm[2]],
      diameterMm: row.diameter_mm ?? NaN,
      ...(row.probability !== undefined ? { score: row.probability } : {}),
    };
  });
}

/** Included nodules no mark hit, largest first. */
export function missedNodules(evaluation: FrocEvaluation): ListedFinding[] {
  return evaluation.result.nodules.filter((n) => !n.detected).map((
    n,
  ): ListedFinding => ({
    seriesuid: n.nodule.seriesuid,
    worldMm: [n.nodule.worldMm[0], n.nodule.worldMm[1], n.nodule.worldMm[2]],
    diameterMm: n.nodule.diameterMm,
  })).sort((a, b) => b.diameterMm - a.diameterMm);
}

/** The highest-scoring false-positive marks. */
export function topFalsePositives(
  evaluation: FrocEvaluation,
  limit = 20,
): ListedFinding[] {
  const { marks } = evaluation.input;
  return falsePositiveMarks(evaluation.result, marks, limit).map((i) => ({
    seriesuid: marks[i].seriesuid,
    worldMm: marks[i].worldMm,
    diameterMm: marks[i].diameterMm ?? NaN,
    score: marks[i].score,
  }));
}

/** One row of the size table. */
export interface SizeRow {
  /** Band label (`<10 mm`, `10-30 mm`, `>30 mm`, `all`). */
  readonly label: string;
  /** Nodules in the band. */
  readonly nodules: number;
  /** Detected at any score. */
  readonly detected: number;
  /** `detected / nodules`. */
  readonly sensitivity: number;
}

/** Sensitivity by size: from the summary when it has it, else recomputed. */
export function sizeRows(
  summary: FrocSummary | undefined,
  evaluation: FrocEvaluation | undefined,
): SizeRow[] | undefined {
  if (summary?.bySize) return summary.bySize;
  if (evaluation) return sensitivityBySize(evaluation.result);
  return undefined;
}

/** ΔCPM of one run against a baseline, from a paired bootstrap. */
export interface PairedDelta {
  /** CPM of the run minus CPM of the baseline. */
  readonly deltaCpm: number;
  /** 95 % percentile interval of the per-resample ΔCPM. */
  readonly ci: readonly [number, number];
  /** Two-sided bootstrap p-value of no difference. */
  readonly pValue: number;
  /** Resamples drawn. */
  readonly resamples: number;
}

/**
 * Paired bootstrap of `other` against `baseline` (same scans resampled for
 * both); an explanation instead when they were not evaluated on the same scans.
 */
export function pairedDelta(
  baseline: FrocEvaluation,
  other: FrocEvaluation,
  resamples = 1000,
  seed = 0,
): PairedDelta | { readonly error: string } {
  try {
    const paired = pairedBootstrapFroc(baseline.result, other.result, {
      resamples,
      seed,
      bandRates: [],
    });
    return {
      deltaCpm: paired.deltaCpm,
      ci: [paired.delta.lower, paired.delta.upper],
      pValue: paired.pValue,
      resamples: paired.resamples,
    };
  } catch (error) {
    if (error instanceof RangeError) return { error: error.message };
    throw error;
  }
}
