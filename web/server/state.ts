/**
 * What every route handler receives: the dashboard's dependencies, built once
 * by the composition root (`web/main.ts`).
 *
 * @module
 */

import type { Registry, RunStore } from "../../core/mod.ts";
import type { EvaluationCache } from "./froc_data.ts";
import type { Launcher } from "./launcher.ts";
import type { ScanService } from "./scans.ts";

/** Builds the CLI arguments that perform a run (after `main.ts`). */
export type LaunchArgs = (input: {
  /** The saved experiment YAML (absolute path). */
  configFile: string;
  /** The run created for it. */
  runId: string;
  /** The run store's folder. */
  runsDir: string;
}) => string[];

/** The dashboard's dependencies. */
export interface AppState {
  /** The run store. */
  readonly store: RunStore;
  /** Every registered plugin. */
  readonly registry: Registry;
  /** The folder of experiment YAML files (`configs/`). */
  readonly configsDir: string;
  /** Starts runs in worker processes. */
  readonly launcher: Launcher;
  /** The CLI arguments of a launched run. */
  readonly launchArgs: LaunchArgs;
  /** Recomputed FROC evaluations. */
  readonly evaluations: EvaluationCache;
  /** Scans for the viewer. */
  readonly scans: ScanService;
  /** Aborted when the server closes (ends event streams). */
  readonly closing: AbortSignal;
  /** How often event streams poll the store, in ms. */
  readonly pollMs: number;
  /** Paired-bootstrap resamples for comparisons. */
  readonly compareResamples: number;
  /** Static files served under `/static/` (CSS, bundled islands), by path. */
  readonly assets: ReadonlyMap<string, StaticAsset>;
}

/** A file served from memory. */
export interface StaticAsset {
  /** Content. */
  readonly body: Uint8Array;
  /** Its content type. */
  readonly type: string;
}
