/**
 * Live status of a queued or running run: progress bar, latest metrics and
 * log lines, streamed from `/api/runs/:id/events` (server-sent events). When
 * the run ends the page reloads to show its results.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { formatValue } from "../components/format.ts";
import type { LogLine } from "../server/run_view.ts";
import type { RunSummary } from "../server/views.ts";

/** Props of the live panel. */
export interface LiveProgressProps {
  /** The run. */
  readonly run: RunSummary;
  /** Newest event already shown. */
  readonly lastSeq: number;
  /** Log lines already shown. */
  readonly log: readonly LogLine[];
}

/** The island. */
export default function LiveProgress(props: LiveProgressProps) {
  const [run, setRun] = useState<RunSummary>(props.run);
  const [log, setLog] = useState<readonly LogLine[]>(props.log);
  const [metrics, setMetrics] = useState<Record<string, number>>({});
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    // A finished run has nothing more to stream (and must not reload).
    if (props.run.status === "done" || props.run.status === "failed") return;
    const source = new EventSource(
      `/api/runs/${
        encodeURIComponent(props.run.id)
      }/events?after=${props.lastSeq}`,
    );
    source.onopen = () => setConnected(true);
    source.addEventListener("run", (event) => {
      const next = JSON.parse((event as MessageEvent).data) as RunSummary;
      setRun(next);
    });
    source.addEventListener("log", (event) => {
      const e = JSON.parse((event as MessageEvent).data);
      setLog((lines) =>
        [...lines, {
          seq: e.seq,
          time: e.time,
          level: String(e.data.level ?? "info"),
          message: String(e.data.message ?? ""),
        }].slice(-30)
      );
    });
    source.addEventListener("progress", (event) => {
      const e = JSON.parse((event as MessageEvent).data);
      if (e.data.metrics) setMetrics(e.data.metrics);
    });
    source.addEventListener("end", () => {
      source.close();
      setConnected(false);
      // Show the finished run's results.
      setTimeout(() => location.reload(), 800);
    });
    return () => source.close();
  }, []);

  const p = run.progress;
  const fraction = p?.total ? Math.min(1, p.done / p.total) : undefined;
  return (
    <div class="live" data-status={run.status}>
      <div class="card-head">
        <h2>Progress</h2>
        <div class="card-actions">
          <StatusBadge status={run.status} progress={run.progress} />
          <span class="muted small">{connected ? "live" : ""}</span>
        </div>
      </div>
      {p
        ? (
          <div>
            <div class="small">
              <strong>{p.task}</strong> {p.done}
              {p.total ? ` / ${p.total}` : ""}
              {Object.entries(metrics).map(([k, v]) => (
                <span class="muted">{` · ${k} ${formatValue(v)}`}</span>
              ))}
            </div>
            {fraction !== undefined
              ? (
                <div class="progress-bar">
                  <div style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
                </div>
              )
              : null}
          </div>
        )
        : <p class="muted small">Waiting for the worker to report progress…</p>}
      {run.status === "failed" && run.error
        ? <pre class="error-box">{run.error}</pre>
        : null}
      <pre class="log">
        {log.length === 0 ? <span class="muted">No log lines yet.</span> : null}
        {log.map((line) => (
          <div class={line.level}>
            {new Date(line.time).toISOString().slice(11, 19)} {line.message}
          </div>
        ))}
      </pre>
    </div>
  );
}
