/**
 * `/compare?runs=a,b[&baseline=a]`: FROC curves overlaid, the seven
 * sensitivities and CPM with intervals, the paired ΔCPM of each run against
 * the baseline with its interval and p-value, and the config diff naming the
 * components and options that differ.
 *
 * @module
 */

import { FrocChart } from "../components/FrocChart.tsx";
import { Empty, Page, Section } from "../components/Page.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import {
  formatDelta,
  formatInterval,
  formatPValue,
  formatRate,
} from "../components/format.ts";
import { compareRuns, type Comparison } from "../server/compare.ts";
import type { Handlers, PageProps } from "../server/router.ts";
import type { AppState } from "../server/state.ts";
import { type RunSummary, summarizeRun } from "../server/views.ts";

const RATE_LABELS = ["1/8", "1/4", "1/2", "1", "2", "4", "8"];

type Data =
  | { kind: "pick"; runs: RunSummary[]; missing: string[] }
  | { kind: "compare"; comparison: Comparison };

/** Parses `runs` (comma-separated or repeated) into unique ids. */
export function runIdsOf(url: URL): string[] {
  const ids = url.searchParams.getAll("runs").flatMap((v) => v.split(","))
    .map((s) => s.trim()).filter((s) => s !== "");
  return [...new Set(ids)];
}

/** Builds the comparison, or the picker when fewer than two runs are named. */
export const handler: Handlers<AppState, Data> = {
  GET(_request, { url, state, render }) {
    const ids = runIdsOf(url);
    const baseline = url.searchParams.get("baseline") ?? undefined;
    const comparison = ids.length >= 2
      ? compareRuns(state, ids, baseline)
      : { missing: [] };
    if ("missing" in comparison) {
      const runs = state.store.listRuns({ status: "done" }).map((r) =>
        summarizeRun(r)
      );
      return render({ kind: "pick", runs, missing: [...comparison.missing] }, {
        status: comparison.missing.length > 0 ? 404 : 200,
      });
    }
    return render({ kind: "compare", comparison });
  },
};

function Picker({ runs, missing }: { runs: RunSummary[]; missing: string[] }) {
  return (
    <Page title="Compare" section="compare">
      <div class="page-head">
        <div>
          <h1>Compare runs</h1>
          <p class="lede">Choose two or more finished runs.</p>
        </div>
      </div>
      {missing.length > 0
        ? (
          <div class="notice" id="missing-runs">
            Unknown run {missing.map((m) => JSON.stringify(m)).join(", ")}
          </div>
        )
        : null}
      <form method="get" action="/compare" class="card">
        {runs.length === 0
          ? <Empty>No finished run yet.</Empty>
          : (
            <table class="data">
              <thead>
                <tr>
                  <th class="narrow"></th>
                  <th>Run</th>
                  <th>Components</th>
                  <th class="num">CPM</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr>
                    <td class="narrow">
                      <input type="checkbox" name="runs" value={run.id} />
                    </td>
                    <td>
                      <strong>{run.name}</strong>
                      <div class="sub mono">{run.id}</div>
                    </td>
                    <td class="mono small">
                      {Object.values(run.components).join(" · ")}
                    </td>
                    <td class="num">{formatRate(run.cpm)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        <div class="form-actions">
          <button type="submit" class="button primary">Compare</button>
        </div>
      </form>
    </Page>
  );
}

/** The compare page. */
export default function ComparePage({ data }: PageProps<Data>) {
  if (data.kind === "pick") {
    return <Picker runs={data.runs} missing={data.missing} />;
  }
  const { comparison } = data;
  const { runs, baselineId, diff } = comparison;
  const evaluated = runs.filter((r) => r.froc !== null);
  const baseline = runs.find((r) => r.run.id === baselineId)!;
  const ids = runs.map((r) => r.run.id).join(",");
  const label = (r: RunSummary) =>
    runs.filter((x) => x.run.name === r.name).length > 1
      ? `${r.name} (${r.id.slice(-4)})`
      : r.name;
  return (
    <Page title="Compare" section="compare">
      <div class="page-head">
        <div>
          <div class="crumbs">
            <a href="/">Runs</a> / compare
          </div>
          <h1>Compare {runs.length} runs</h1>
          <p class="lede">
            Baseline{" "}
            <strong>{label(baseline.run)}</strong>; ΔCPM from a paired bootstrap
            over scans.
          </p>
        </div>
        <form method="get" action="/compare" class="card-actions">
          <input type="hidden" name="runs" value={ids} />
          <label class="small muted" for="baseline">Baseline</label>
          <select name="baseline" id="baseline">
            {runs.map((r) => (
              <option value={r.run.id} selected={r.run.id === baselineId}>
                {label(r.run)}
              </option>
            ))}
          </select>
          <button type="submit" class="button">Set baseline</button>
        </form>
      </div>

      <div class="grid-2">
        <Section title="FROC" id="froc-overlay">
          {evaluated.length > 0
            ? (
              <FrocChart
                title="FROC curves"
                series={evaluated.map((r) => ({
                  label: label(r.run),
                  points: r.froc!.points,
                  band: r.froc!.ci?.band,
                  sensitivities: r.froc!.sensitivities,
                }))}
              />
            )
            : <Empty>None of these runs has been evaluated.</Empty>}
        </Section>
        <Section title="CPM against the baseline" id="deltas">
          <table class="data deltas">
            <thead>
              <tr>
                <th>Run</th>
                <th class="num">CPM</th>
                <th class="num">ΔCPM</th>
                <th class="num">95 % CI</th>
                <th class="num">p</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const delta = r.delta && "deltaCpm" in r.delta ? r.delta : null;
                const sign = delta && delta.ci[0] > 0
                  ? "pos"
                  : delta && delta.ci[1] < 0
                  ? "neg"
                  : undefined;
                return (
                  <tr
                    class={r.run.id === baselineId ? "baseline" : undefined}
                    data-run-id={r.run.id}
                  >
                    <td>
                      <a href={`/runs/${r.run.id}`}>{label(r.run)}</a>
                      {r.run.id === baselineId
                        ? <span class="kind-tag">baseline</span>
                        : null}
                    </td>
                    <td class="num strong">{formatRate(r.run.cpm)}</td>
                    <td class={`num ${sign ?? ""}`}>
                      {r.run.id === baselineId
                        ? "–"
                        : formatDelta(delta?.deltaCpm)}
                    </td>
                    <td class="num muted">
                      {delta ? formatInterval(delta.ci) : ""}
                    </td>
                    <td class="num">
                      {delta ? formatPValue(delta.pValue) : ""}
                      {r.delta && "error" in r.delta
                        ? (
                          <span class="muted small" title={r.delta.error}>
                            n/a
                          </span>
                        )
                        : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="sub">
            Paired bootstrap: each resample draws scans with replacement and
            evaluates both runs on the same draw; the interval is the 2.5–97.5
            percentile of ΔCPM, p is two-sided.
          </p>
        </Section>
      </div>

      <Section title="Sensitivity at the seven FP rates" id="sensitivities">
        <div class="table-scroll">
          <table class="data">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                {RATE_LABELS.map((r) => <th key={r} class="num">{r}</th>)}
                <th class="num">CPM</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr class={r.run.id === baselineId ? "baseline" : undefined}>
                  <td>{label(r.run)}</td>
                  <td>
                    <StatusBadge status={r.run.status} />
                  </td>
                  {r.froc
                    ? r.froc.sensitivities.map((s, k) => (
                      <td class="num">
                        {formatRate(s)}
                        <div class="sub">
                          {formatInterval(r.froc!.ci?.sensitivities[k])}
                        </div>
                      </td>
                    ))
                    : RATE_LABELS.map((r) => (
                      <td key={r} class="num muted">–</td>
                    ))}
                  <td class="num strong">
                    {formatRate(r.froc?.cpm ?? r.run.cpm)}
                    <div class="sub">
                      {formatInterval(r.froc?.ci?.cpm ?? r.run.cpmCi)}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>

      <Section title="Configuration differences" id="config-diff">
        {diff.length === 0
          ? <Empty>The resolved configurations are identical.</Empty>
          : (
            <div class="table-scroll">
              <table class="data diff">
                <thead>
                  <tr>
                    <th>Path</th>
                    {runs.map((r) => <th key={r.run.id}>{label(r.run)}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {diff.map((row) => {
                    const base = row.values[runs.indexOf(baseline)];
                    return (
                      <tr class={`diff-${row.kind}`} data-path={row.path}>
                        <td class="mono small">
                          {row.path}
                          <span class={`kind-tag ${row.kind}`}>{row.kind}</span>
                        </td>
                        {row.values.map((v) => (
                          <td
                            class={`mono small${v !== base ? " differs" : ""}`}
                          >
                            {v === undefined ? "—" : v}
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
      </Section>
    </Page>
  );
}
