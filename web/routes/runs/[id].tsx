/**
 * `/runs/:id`: one run — resolved config, training curves, hard-mining
 * stages, FROC with its band, sensitivity by size, missed nodules and top
 * false positives (each opening the CT viewer), live progress while running.
 *
 * @module
 */

import { PLUGIN_KINDS } from "../../../core/mod.ts";
import { FrocChart, type FrocSeries } from "../../components/FrocChart.tsx";
import {
  FindingTable,
  SensitivityTable,
  SizeTable,
} from "../../components/FrocTables.tsx";
import { Island } from "../../components/Island.tsx";
import { LineChart } from "../../components/LineChart.tsx";
import { Empty, Page, Section } from "../../components/Page.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import {
  formatDuration,
  formatInterval,
  formatRate,
  formatTime,
  formatValue,
} from "../../components/format.ts";
import LiveProgress from "../../islands/LiveProgress.tsx";
import type { FrocSummary } from "../../server/froc_data.ts";
import { notFoundPage } from "../../server/render.ts";
import type { Handlers, PageProps } from "../../server/router.ts";
import { type RunView, runView } from "../../server/run_view.ts";
import type { AppState } from "../../server/state.ts";

/** Loads the run. */
export const handler: Handlers<AppState, RunView> = {
  GET(_request, { params, state, render }) {
    const run = state.store.getRun(params.id);
    if (!run) {
      return notFoundPage(`No run has the id ${JSON.stringify(params.id)}.`);
    }
    return render(runView(state, run));
  },
};

function series(label: string, froc: FrocSummary): FrocSeries {
  return {
    label,
    points: froc.points,
    band: froc.ci?.band,
    sensitivities: froc.sensitivities,
  };
}

/** The run page. */
export default function RunPage({ data }: PageProps<RunView>) {
  const { run, froc } = data;
  const live = run.status === "queued" || run.status === "running";
  const stageFrocs = data.stages.filter((s) => s.froc !== null);
  return (
    <Page title={run.name} section="runs">
      <div class="page-head">
        <div>
          <div class="crumbs">
            <a href="/">Runs</a> / <span class="mono">{run.id}</span>
            {run.ablationId
              ? (
                <>
                  {" · "}
                  <a href={`/ablations/${run.ablationId}`}>ablation</a>
                  {run.variant ? ` ${run.variant}` : ""}
                </>
              )
              : null}
          </div>
          <h1>
            {run.name}{" "}
            <StatusBadge status={run.status} progress={run.progress} />
          </h1>
        </div>
        <div class="card-actions">
          <a class="button" href={`/new?run=${run.id}`}>New run from this</a>
          <a class="button" href={`/compare?runs=${run.id}`}>Compare…</a>
        </div>
      </div>

      <div class="figures">
        <div class="figure">
          <div class="label">CPM</div>
          <div class="value" id="run-cpm">{formatRate(run.cpm)}</div>
          <div class="sub">{formatInterval(run.cpmCi)}</div>
        </div>
        {PLUGIN_KINDS.map((kind) => (
          <div class="figure">
            <div class="label">{kind.replace("_", " ")}</div>
            <div class="value mono" style={{ fontSize: "15px" }}>
              {run.components[kind] ?? "–"}
            </div>
          </div>
        ))}
        <div class="figure">
          <div class="label">Duration</div>
          <div class="value" style={{ fontSize: "15px" }}>
            {formatDuration(run.durationMs)}
          </div>
          <div class="sub">started {formatTime(data.startedAt)}</div>
        </div>
      </div>

      {data.artefactError
        ? <div class="notice">{data.artefactError}</div>
        : null}

      {live || run.status === "failed"
        ? (
          <section class="card">
            <Island
              component={LiveProgress}
              props={{ run, lastSeq: data.lastSeq, log: data.log }}
            />
          </section>
        )
        : null}

      {froc
        ? (
          <div class="grid-2">
            <Section title="FROC" id="froc">
              <FrocChart
                series={[series(run.name, froc)]}
                title={`FROC of ${run.name}`}
              />
            </Section>
            <div class="stack">
              <Section title="Sensitivity by nodule size">
                {data.sizes
                  ? <SizeTable rows={data.sizes} />
                  : <Empty>No per-nodule results stored.</Empty>}
              </Section>
              {stageFrocs.length > 1
                ? (
                  <Section title="FROC per hard-mining stage">
                    <FrocChart
                      series={stageFrocs.map((s) =>
                        series(`stage ${s.stage.index}`, s.froc!)
                      )}
                      title="FROC per stage"
                      height={300}
                    />
                  </Section>
                )
                : null}
            </div>
          </div>
        )
        : (
          <Section title="FROC">
            <Empty>
              {run.status === "done"
                ? "This run has no FROC artefact."
                : "Not evaluated yet."}
            </Empty>
          </Section>
        )}

      {froc
        ? (
          <Section title="Sensitivity at the seven FP rates">
            <div class="table-scroll">
              <SensitivityTable froc={froc} />
            </div>
          </Section>
        )
        : null}

      {data.stages.length > 0
        ? (
          <Section title="Hard-mining stages">
            <table class="data stages">
              <thead>
                <tr>
                  <th>Stage</th>
                  <th>Status</th>
                  <th class="num">CPM</th>
                  <th class="num">95 % CI</th>
                  <th>Summary</th>
                </tr>
              </thead>
              <tbody>
                {data.stages.map(({ stage, froc }) => (
                  <tr>
                    <td>{stage.label}</td>
                    <td>
                      <StatusBadge status={stage.status} />
                    </td>
                    <td class="num strong">
                      {formatRate(
                        froc?.cpm ?? (stage.summary.cpm as number | undefined),
                      )}
                    </td>
                    <td class="num muted">{formatInterval(froc?.ci?.cpm)}</td>
                    <td class="small">
                      {Object.entries(stage.summary).filter(([k]) =>
                        k !== "cpm"
                      ).map(([k, v]) =>
                        `${k} ${
                          typeof v === "number"
                            ? formatValue(v)
                            : JSON.stringify(v)
                        }`
                      ).join(" · ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
        )
        : null}

      {data.missed !== null || data.falsePositives !== null
        ? (
          <div class="grid-2">
            <Section title={`Missed nodules (${data.missed?.length ?? 0})`}>
              <FindingTable
                runId={run.id}
                findings={data.missed ?? []}
                kind="missed"
              />
            </Section>
            <Section title="Highest-scoring false positives">
              <FindingTable
                runId={run.id}
                findings={data.falsePositives ?? []}
                kind="fp"
              />
            </Section>
          </div>
        )
        : null}

      <Section title="Training curves" id="curves">
        {data.charts.length > 0
          ? (
            <div class="charts">
              {data.charts.map((chart) => (
                <LineChart
                  title={chart.title}
                  series={chart.series}
                  logY={chart.logY}
                  stageStarts={data.stageStarts}
                />
              ))}
            </div>
          )
          : <Empty>No metrics recorded yet.</Empty>}
      </Section>

      <div class="grid-2">
        <Section title="Resolved configuration">
          <div class="sub" style={{ marginBottom: "8px" }}>
            hash <span class="mono">{run.configHash.slice(0, 16)}…</span>
          </div>
          <pre class="config">{data.configYaml}</pre>
        </Section>
        {!live && run.status !== "failed"
          ? (
            <Section title="Log">
              {data.log.length > 0
                ? (
                  <pre class="log">
                    {data.log.map((l) => (
                      <div class={l.level}>
                        {new Date(l.time).toISOString().slice(11, 19)} {l.message}
                      </div>
                    ))}
                  </pre>
                )
                : <Empty>No log lines.</Empty>}
            </Section>
          )
          : <div />}
      </div>
    </Page>
  );
}
