/**
 * What every CLI command receives from the composition root (`main.ts`).
 *
 * @module
 */

import type { Logger, Progress } from "../logger.ts";
import type { Registry } from "../registry.ts";

/** Dependencies handed to each command builder. */
export interface CliContext {
  /** Every registered plugin. */
  readonly registry: Registry;
  /** Logger that writes to stderr. */
  readonly logger: Logger;
  /** Progress bars on a terminal; quiet without one. */
  readonly progress: Progress;
  /** Writes one line of normal output (stdout). */
  readonly print: (line: string) => void;
  /**
   * Starts the web dashboard (`pleura serve`); supplied by the composition
   * root, since core does not import the web layer. Absent: no dashboard.
   */
  readonly startDashboard?: (
    options: DashboardServeOptions,
  ) => Promise<RunningDashboard>;
}

/** What `pleura serve` asks the dashboard for. */
export interface DashboardServeOptions {
  /** Interface to bind, e.g. `127.0.0.1`. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** The run store's folder. */
  readonly runsDir: string;
  /** Folders scans may be read from. */
  readonly dataDirs: readonly string[];
  /** Experiment YAML folder. */
  readonly configsDir: string;
}

/** A dashboard that is serving. */
export interface RunningDashboard {
  /** Its address, `http://host:port/`. */
  readonly url: string;
  /** Stops it (workers, streams, server, store). */
  close(): Promise<void>;
}

/** A usage error: the CLI prints its message on one line and exits with code 2. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
