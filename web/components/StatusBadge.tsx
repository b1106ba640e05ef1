/**
 * A run's status as a coloured badge, with progress for running runs.
 *
 * @module
 */

/** Props of {@linkcode StatusBadge}. */
export interface StatusBadgeProps {
  /** `queued`, `running`, `done` or `failed`. */
  readonly status: string;
  /** Latest progress of a running run (`at`: when, ms since the epoch). */
  readonly progress?:
    | { task: string; done: number; total?: number; at?: number }
    | null;
  /** The current time (ms); defaults to `Date.now()`. */
  readonly now?: number;
}

/**
 * A running run whose progress has not moved for this long is shown as
 * stalled: its process was most likely killed (a resumed run moves again).
 */
export const STALL_MS = 10 * 60_000;

/** The badge. */
export function StatusBadge({ status, progress, now }: StatusBadgeProps) {
  const stalled = status === "running" && progress?.at !== undefined &&
    (now ?? Date.now()) - progress.at > STALL_MS;
  if (stalled) {
    const since = new Date(progress!.at!).toISOString().slice(0, 16)
      .replace("T", " ");
    return (
      <span
        class="badge badge-stalled"
        title={`No progress since ${since} UTC (${
          progress!.task
        }): the training process has probably stopped; run the same command again to resume from the last checkpoint`}
      >
        stalled
      </span>
    );
  }
  const fraction = status === "running" && progress?.total
    ? Math.min(1, progress.done / progress.total)
    : undefined;
  return (
    <span class={`badge badge-${status}`}>
      {status}
      {fraction !== undefined
        ? (
          <span
            class="badge-progress"
            title={`${progress!.task}: ${progress!.done}/${progress!.total}`}
          >
            {` ${Math.round(fraction * 100)}%`}
          </span>
        )
        : null}
    </span>
  );
}
