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
}

/** A usage error: the CLI prints its message on one line and exits with code 2. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
