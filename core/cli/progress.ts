/**
 * Terminal progress bars (npm:cli-progress): drawn in place on a terminal,
 * quiet without one (CI, pipes), where only stage starts and ends are logged.
 *
 * @module
 */

import cliProgress from "cli-progress";
import { createProgress, type Progress } from "../logger.ts";

/**
 * Creates a progress reporter for the terminal.
 *
 * @param stream where bars are drawn (default stderr)
 */
export function createTerminalProgress(
  stream: { isTTY?: boolean; write(text: string): unknown } = globalThis
    .process?.stderr ?? { write: () => {} },
): Progress {
  const bars = new Map<string, cliProgress.SingleBar>();
  const interactive = Boolean(stream.isTTY);
  return createProgress((event) => {
    if (!interactive) {
      if (event.kind === "start") {
        stream.write(
          `${event.task}${
            event.total ? ` (${event.total} ${event.unit ?? "steps"})` : ""
          }…\n`,
        );
      }
      return;
    }
    if (event.kind === "start") {
      const bar = new cliProgress.SingleBar({
        format:
          `${event.task} [{bar}] {value}/{total} {unit} | {eta_formatted} left {metrics}`,
        stream: stream as unknown as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
      }, cliProgress.Presets.shades_classic);
      bar.start(event.total ?? 0, 0, { unit: event.unit ?? "", metrics: "" });
      bars.set(event.task, bar);
    } else if (event.kind === "step") {
      const metrics = event.metrics
        ? Object.entries(event.metrics).map(([k, v]) =>
          `${k}=${formatNumber(v)}`
        )
          .join(" ")
        : "";
      bars.get(event.task)?.update(event.done, { metrics });
    } else {
      bars.get(event.task)?.stop();
      bars.delete(event.task);
    }
  });
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 100 || value === 0
    ? value.toFixed(0)
    : value.toPrecision(3);
}
