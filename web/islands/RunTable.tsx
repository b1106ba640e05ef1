/**
 * The runs table: filter by component, status or text, select runs to
 * compare, and live updates of status and progress from `/api/events`.
 *
 * @module
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { StatusBadge } from "../components/StatusBadge.tsx";
import {
  formatDuration,
  formatInterval,
  formatRate,
  formatTime,
} from "../components/format.ts";
import type { RunSummary } from "../server/views.ts";

/** Props of the runs table. */
export interface RunTableProps {
  /** Every run, newest first. */
  readonly runs: readonly RunSummary[];
  /** Slot kinds, in pipeline order (one column each). */
  readonly kinds: readonly string[];
  /** Initial component filter: kind → plugin id. */
  readonly filters: Readonly<Record<string, string>>;
}

const KIND_LABELS: Record<string, string> = {
  segmenter: "Segmenter",
  backbone: "Backbone",
  anchor_head: "Anchor head",
  miner: "Miner",
  loss: "Loss",
};

/** The island. */
export default function RunTable(props: RunTableProps) {
  const [runs, setRuns] = useState<readonly RunSummary[]>(props.runs);
  const [filters, setFilters] = useState<Record<string, string>>({
    ...props.filters,
  });
  const [status, setStatus] = useState("");
  const [text, setText] = useState("");
  const [selected, setSelected] = useState<readonly string[]>([]);

  useEffect(() => {
    const source = new EventSource("/api/events");
    source.addEventListener("run", (event) => {
      const run = JSON.parse((event as MessageEvent).data) as RunSummary;
      setRuns((list) => {
        const index = list.findIndex((r) => r.id === run.id);
        if (index < 0) return [run, ...list];
        const next = list.slice();
        next[index] = run;
        return next;
      });
    });
    return () => source.close();
  }, []);

  useEffect(() => {
    // Keep the component filter in the address so it can be shared.
    const url = new URL(location.href);
    for (const kind of props.kinds) {
      if (filters[kind]) url.searchParams.set(kind, filters[kind]);
      else url.searchParams.delete(kind);
    }
    history.replaceState(null, "", url);
  }, [filters]);

  const choices = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const kind of props.kinds) {
      out[kind] = [...new Set(runs.map((r) => r.components[kind]))]
        .filter((v): v is string => Boolean(v)).sort();
    }
    return out;
  }, [runs]);

  const needle = text.trim().toLowerCase();
  const visible = runs.filter((run) =>
    props.kinds.every((k) => !filters[k] || run.components[k] === filters[k]) &&
    (!status || run.status === status) &&
    (!needle || run.name.toLowerCase().includes(needle) ||
      run.id.includes(needle) ||
      (run.variant ?? "").toLowerCase().includes(needle))
  );

  const toggle = (id: string) =>
    setSelected((s) => s.includes(id) ? s.filter((x) => x !== id) : [...s, id]);
  const setFilter = (kind: string, value: string) =>
    setFilters((f) => ({ ...f, [kind]: value }));
  const active = props.kinds.filter((k) => filters[k]).length +
    (status ? 1 : 0) + (needle ? 1 : 0);

  return (
    <div class="run-table">
      <div class="toolbar">
        <input
          type="search"
          placeholder="Search name, id, variant"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          aria-label="Search runs"
        />
        <select
          value={status}
          onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
          aria-label="Filter by status"
        >
          <option value="">Any status</option>
          {["queued", "running", "done", "failed"].map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        {props.kinds.map((kind) => (
          <select
            name={kind}
            value={filters[kind] ?? ""}
            onChange={(e) =>
              setFilter(kind, (e.target as HTMLSelectElement).value)}
            aria-label={`Filter by ${KIND_LABELS[kind] ?? kind}`}
          >
            <option value="">
              Any {KIND_LABELS[kind]?.toLowerCase() ?? kind}
            </option>
            {choices[kind].map((id) => <option key={id} value={id}>{id}
            </option>)}
          </select>
        ))}
        {active > 0
          ? (
            <button
              type="button"
              class="link-button"
              onClick={() => {
                setFilters({});
                setStatus("");
                setText("");
              }}
            >
              Clear filters
            </button>
          )
          : null}
        <span class="spacer" />
        <span class="muted">
          {visible.length} of {runs.length} runs
        </span>
        <a
          class={`button primary${selected.length < 2 ? " disabled" : ""}`}
          id="compare-selected"
          href={selected.length >= 2
            ? `/compare?runs=${selected.join(",")}`
            : undefined}
          aria-disabled={selected.length < 2}
        >
          Compare {selected.length > 0 ? `(${selected.length})` : ""}
        </a>
      </div>
      <div class="table-scroll">
        <table class="data runs">
          <thead>
            <tr>
              <th class="narrow" aria-label="Select"></th>
              <th>Run</th>
              <th>Status</th>
              {props.kinds.map((k) => <th key={k}>{KIND_LABELS[k] ?? k}</th>)}
              <th class="num">CPM [95 % CI]</th>
              <th class="num">Duration</th>
              <th>Created (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((run) => (
              <tr
                key={run.id}
                data-run-id={run.id}
                class={selected.includes(run.id) ? "selected" : undefined}
              >
                <td class="narrow">
                  <input
                    type="checkbox"
                    checked={selected.includes(run.id)}
                    onChange={() => toggle(run.id)}
                    aria-label={`Select ${run.name}`}
                  />
                </td>
                <td>
                  <a href={`/runs/${run.id}`} class="run-name">{run.name}</a>
                  <div class="sub mono">
                    {run.id}
                    {run.variant ? ` · ${run.variant}` : ""}
                  </div>
                </td>
                <td>
                  <StatusBadge status={run.status} progress={run.progress} />
                  {run.status === "failed" && run.error
                    ? (
                      <div class="sub error-text" title={run.error}>
                        {run.error.split("\n").at(-1)}
                      </div>
                    )
                    : null}
                </td>
                {props.kinds.map((k) => (
                  <td>
                    {run.components[k]
                      ? (
                        <button
                          type="button"
                          class={`chip${
                            filters[k] === run.components[k] ? " on" : ""
                          }`}
                          title={`Show only runs with ${k} "${
                            run.components[k]
                          }"`}
                          onClick={() =>
                            setFilter(
                              k,
                              filters[k] === run.components[k]
                                ? ""
                                : run.components[k],
                            )}
                        >
                          {run.components[k]}
                        </button>
                      )
                      : <span class="muted">–</span>}
                  </td>
                ))}
                <td class="num">
                  <span class="strong">{formatRate(run.cpm)}</span>
                  <div class="sub">{formatInterval(run.cpmCi)}</div>
                </td>
                <td class="num">{formatDuration(run.durationMs)}</td>
                <td class="mono small">{formatTime(run.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {visible.length === 0
          ? <p class="empty">No run matches these filters.</p>
          : null}
      </div>
    </div>
  );
}
