/**
 * A run's status as a coloured badge, with progress for running runs.
 *
 * @module
 */

/** Props of {@linkcode StatusBadge}. */
export interface StatusBadgeProps {
  /** `queued`, `running`, `done` or `failed`. */
  readonly status: string;
  /** Latest progress of a running run. */
  readonly progress?: { task: string; done: number; total?: number } | null;
}

/** The badge. */
export function StatusBadge({ status, progress }: StatusBadgeProps) {
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
