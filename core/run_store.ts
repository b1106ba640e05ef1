/**
 * The run store interface. A run is one resolved experiment on one dataset
 * split: its config (canonical JSON + hash), stages, metrics per step,
 * checkpoints, predictions and FROC. Writes are atomic; a crashed run can be
 * resumed; readers (dashboard, CLI) never block a writer. The embedded
 * default is SQLite (`node:sqlite`) with files in a run folder.
 *
 * @module
 */

/** File name of a run's final exported detector inside its run folder. */
export const RUN_MODEL_FILE = "model.onnx";

/**
 * File name of hard-mining stage `stage`'s exported detector inside its run
 * folder.
 *
 * @example
 * ```ts
 * import { stageModelFile } from "./run_store.ts";
 * stageModelFile(0); // "model.stage0.onnx"
 * ```
 */
export function stageModelFile(stage: number): string {
  return `model.stage${stage}.onnx`;
}

/** Lifecycle of a run. */
export type RunStatus = "queued" | "running" | "done" | "failed";

/** What each slot was filled with. */
export type SlotChoice = {
  readonly plugin: string;
  readonly options: Record<string, unknown>;
};

/** The summary of one run, as listed. */
export interface RunRecord {
  /** Unique id (also the run folder's name). */
  readonly id: string;
  /** Experiment name (file stem or user-given). */
  readonly name: string;
  /** Lifecycle state. */
  readonly status: RunStatus;
  /** Error message when failed. */
  readonly error?: string;
  /** Resolved experiment, canonical JSON text. */
  readonly configJson: string;
  /** Hash of `configJson` (hex). */
  readonly configHash: string;
  /** Schema version of the resolved experiment. */
  readonly schemaVersion: number;
  /** Plugin and options per slot, from the resolved experiment. */
  readonly slots: Record<string, SlotChoice>;
  /** The ablation grid this run belongs to, if any. */
  readonly ablationId?: string;
  /** Variant label inside the ablation (e.g. `miner=topk k=3`). */
  readonly variant?: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** When work started. */
  readonly startedAt?: number;
  /** When it ended (done or failed). */
  readonly endedAt?: number;
  /** Latest progress: task, counts and when (ms since the epoch). */
  readonly progress?: {
    task: string;
    done: number;
    total?: number;
    at?: number;
  };
  /** Final FROC summary, once evaluated. */
  readonly cpm?: number;
  /** 95 % bootstrap interval of the CPM. */
  readonly cpmCi?: readonly [number, number];
}

/** One metric sample. */
export interface MetricSample {
  /** Stage index (0 for single-stage runs). */
  readonly stage: number;
  /** Global step within the stage. */
  readonly step: number;
  /** Metric name (`loss`, `lr`, `classPositive`…). */
  readonly name: string;
  /** Value. */
  readonly value: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

/** One stage of a (hard-mining) schedule. */
export interface StageRecord {
  /** 0-based index. */
  readonly index: number;
  /** Label, e.g. `stage 1 (hard negatives from stage 0)`. */
  readonly label: string;
  /** Lifecycle of the stage. */
  readonly status: RunStatus;
  /** Free-form results (CPM, counts of mined crops…). */
  readonly summary: Record<string, unknown>;
}

/** A saved checkpoint. */
export interface CheckpointRecord {
  /** Stage index. */
  readonly stage: number;
  /** Step the checkpoint was taken after. */
  readonly step: number;
  /** Path of the checkpoint file (inside the run folder). */
  readonly path: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

/** An event from the run's log (log records and progress). */
export interface RunEvent {
  /** Sequence number, increasing per run (for server-sent events). */
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** `log` or `progress`. */
  readonly type: "log" | "progress";
  /** The record (a LogRecord or a ProgressEvent). */
  readonly data: Record<string, unknown>;
}

/** A grid of variants. */
export interface AblationRecord {
  /** Unique id. */
  readonly id: string;
  /** Grid name (file stem). */
  readonly name: string;
  /** The grid file's content, canonical JSON. */
  readonly gridJson: string;
  /** Id of the base run. */
  readonly baseRunId?: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** Where runs are kept. */
export interface RunStore {
  /** The folder holding the store and run folders. */
  readonly root: string;
  /** Creates a run in state `queued` and its folder; returns it. */
  createRun(input: {
    name: string;
    configJson: string;
    configHash: string;
    schemaVersion: number;
    slots: Record<string, SlotChoice>;
    ablationId?: string;
    variant?: string;
    id?: string;
  }): RunRecord;
  /** The run with this id, or undefined. */
  getRun(id: string): RunRecord | undefined;
  /** Runs, newest first. */
  listRuns(filter?: { ablationId?: string; status?: RunStatus }): RunRecord[];
  /** Updates status, error, progress or FROC summary. */
  updateRun(
    id: string,
    patch: Partial<
      Pick<
        RunRecord,
        | "status"
        | "error"
        | "progress"
        | "cpm"
        | "cpmCi"
        | "startedAt"
        | "endedAt"
      >
    >,
  ): void;
  /** Absolute path of the run's folder. */
  runDir(id: string): string;
  /** Appends metric samples (one transaction). */
  appendMetrics(runId: string, samples: readonly MetricSample[]): void;
  /**
   * Deletes the samples of `stage` from `fromStep` on (and of later stages):
   * a resumed run repeats the steps after its last checkpoint.
   */
  truncateMetrics(runId: string, stage: number, fromStep: number): void;
  /** Every metric sample of a run, ordered by stage and step. */
  metrics(runId: string): MetricSample[];
  /** Creates or updates a stage. */
  putStage(runId: string, stage: StageRecord): void;
  /** Stages of a run, by index. */
  stages(runId: string): StageRecord[];
  /** Records a checkpoint written (atomically) to `path`. */
  addCheckpoint(runId: string, checkpoint: CheckpointRecord): void;
  /** The newest checkpoint of a run, or undefined. */
  latestCheckpoint(runId: string): CheckpointRecord | undefined;
  /** Appends an event to the run's log; returns its sequence number. */
  appendEvent(
    runId: string,
    type: RunEvent["type"],
    data: Record<string, unknown>,
  ): number;
  /** Events after `afterSeq` (all when omitted). */
  events(runId: string, afterSeq?: number): RunEvent[];
  /** Stores a named JSON artefact (e.g. `froc`, `froc.stage1`, `sizes`) atomically. */
  putArtifact(runId: string, name: string, value: unknown): void;
  /** A stored JSON artefact, or undefined. */
  getArtifact(runId: string, name: string): unknown;
  /** Creates an ablation grid record. */
  createAblation(
    input: { name: string; gridJson: string; id?: string },
  ): AblationRecord;
  /** Sets the base run of an ablation. */
  setAblationBase(id: string, baseRunId: string): void;
  /** The ablation, or undefined. */
  getAblation(id: string): AblationRecord | undefined;
  /** Every ablation, newest first. */
  listAblations(): AblationRecord[];
  /** Closes the database. */
  close(): void;
}
