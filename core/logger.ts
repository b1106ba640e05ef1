/**
 * Logging and progress reporting for core and plugins.
 *
 * Core and plugins never print: they report to a {@linkcode Logger} and a
 * {@linkcode Progress} handed to them in their context. The composition roots
 * (the CLI, the dashboard's worker) decide where messages go: the terminal, a
 * run's event log, or nowhere.
 *
 * @module
 */

/** Severity of a log record. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_ORDER: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** One log record. */
export interface LogRecord {
  /** Severity. */
  level: LogLevel;
  /** Human-readable message. */
  message: string;
  /** Structured details (plugin id, resolved options, counts…). */
  data?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  time: number;
}

/** Receives log records. */
export interface Logger {
  /** Records a message at the given level. */
  log(level: LogLevel, message: string, data?: Record<string, unknown>): void;
  /** Shorthand for `log("debug", …)`. */
  debug(message: string, data?: Record<string, unknown>): void;
  /** Shorthand for `log("info", …)`. */
  info(message: string, data?: Record<string, unknown>): void;
  /** Shorthand for `log("warn", …)`. */
  warn(message: string, data?: Record<string, unknown>): void;
  /** Shorthand for `log("error", …)`. */
  error(message: string, data?: Record<string, unknown>): void;
}

/** One progress event: a stage started or ended, a step advanced, metrics reported. */
export type ProgressEvent =
  | { kind: "start"; task: string; total?: number; unit?: string; time: number }
  | {
    kind: "step";
    task: string;
    done: number;
    total?: number;
    metrics?: Record<string, number>;
    time: number;
  }
  | { kind: "end"; task: string; time: number };

/** Receives progress: long work reports its steps so users see it move. */
export interface Progress {
  /** A task begins; `total` steps are expected when known. */
  start(task: string, total?: number, unit?: string): void;
  /** `done` steps of `task` are complete; `metrics` are per-step values (loss…). */
  step(task: string, done: number, metrics?: Record<string, number>): void;
  /** The task is finished. */
  end(task: string): void;
}

/** Creates a logger that calls `sink` with each record at or above `minLevel`. */
export function createLogger(
  sink: (record: LogRecord) => void,
  minLevel: LogLevel = "info",
): Logger {
  const log = (
    level: LogLevel,
    message: string,
    data?: Record<string, unknown>,
  ) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
    sink({ level, message, data, time: Date.now() });
  };
  return {
    log,
    debug: (m, d) => log("debug", m, d),
    info: (m, d) => log("info", m, d),
    warn: (m, d) => log("warn", m, d),
    error: (m, d) => log("error", m, d),
  };
}

/** A logger that drops everything. */
export const nullLogger: Logger = createLogger(() => {}, "error");

/** Creates a progress reporter that calls `sink` with each event. */
export function createProgress(sink: (event: ProgressEvent) => void): Progress {
  const totals = new Map<string, number | undefined>();
  return {
    start(task, total, unit) {
      totals.set(task, total);
      sink({ kind: "start", task, total, unit, time: Date.now() });
    },
    step(task, done, metrics) {
      sink({
        kind: "step",
        task,
        done,
        total: totals.get(task),
        metrics,
        time: Date.now(),
      });
    },
    end(task) {
      totals.delete(task);
      sink({ kind: "end", task, time: Date.now() });
    },
  };
}

/** A progress reporter that drops everything. */
export const nullProgress: Progress = createProgress(() => {});

/** A logger and a progress reporter that keep every record, for tests. */
export function createRecorder(): {
  logger: Logger;
  progress: Progress;
  records: LogRecord[];
  events: ProgressEvent[];
} {
  const records: LogRecord[] = [];
  const events: ProgressEvent[] = [];
  return {
    logger: createLogger((r) => records.push(r), "debug"),
    progress: createProgress((e) => events.push(e)),
    records,
    events,
  };
}
