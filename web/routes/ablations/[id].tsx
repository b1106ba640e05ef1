/**
 * `/ablations/:id`: a grid's variants × metrics matrix and, per varied slot
 * or option, the effect of each choice (ΔCPM against the base with its
 * interval), both sortable.
 *
 * @module
 */

import { Island } from "../../components/Island.tsx";
import { Empty, Page, Section } from "../../components/Page.tsx";
import {
  formatDelta,
  formatInterval,
  formatPValue,
  formatRate,
} from "../../components/format.ts";
import SortableTable, {
  type SortableTableProps,
} from "../../islands/SortableTable.tsx";
import { type AblationView, ablationView } from "../../server/compare.ts";
import { notFoundPage } from "../../server/render.ts";
import type { Handlers, PageProps } from "../../server/router.ts";
import type { AppState } from "../../server/state.ts";

const RATE_LABELS = ["1/8", "1/4", "1/2", "1", "2", "4", "8"];

/** Builds the grid's view. */
export const handler: Handlers<AppState, AblationView> = {
  GET(_request, { params, state, render }) {
    const ablation = state.store.getAblation(params.id);
    if (!ablation) {
      return notFoundPage(
        `No ablation grid has the id ${JSON.stringify(params.id)}.`,
      );
    }
    return render(ablationView(state, ablation));
  },
};

function deltaCells(delta: AblationView["rows"][number]["delta"]) {
  const d = delta && "deltaCpm" in delta ? delta : null;
  const cls = d && d.ci[0] > 0 ? "pos" : d && d.ci[1] < 0 ? "neg" : undefined;
  return [
    { text: formatDelta(d?.deltaCpm), sort: d?.deltaCpm ?? null, cls },
    {
      text: d ? formatInterval(d.ci) : "",
      sort: d?.ci[0] ?? null,
      cls: "muted",
    },
    { text: d ? formatPValue(d.pValue) : "", sort: d?.pValue ?? null },
  ];
}

/** The grid page. */
export default function AblationPage({ data }: PageProps<AblationView>) {
  const { ablation, rows, effects, varied } = data;
  const matrix: SortableTableProps = {
    id: "ablation-matrix",
    columns: [
      { label: "Variant" },
      { label: "Status" },
      ...RATE_LABELS.map((r) => ({
        label: r,
        numeric: true,
        title: `Sensitivity at ${r} FP/scan`,
      })),
      { label: "CPM", numeric: true },
      { label: "ΔCPM", numeric: true },
      { label: "95 % CI", numeric: true },
      { label: "p", numeric: true },
    ],
    rows: rows.map((row) => ({
      cls: row.isBase ? "baseline" : undefined,
      cells: [
        {
          text: row.isBase
            ? `${row.run.variant ?? row.run.name} (base)`
            : row.run.variant ?? row.run.name,
          href: `/runs/${row.run.id}`,
          sub: row.changes.join(", ") || undefined,
          sort: row.run.variant ?? row.run.name,
        },
        { text: row.run.status },
        ...RATE_LABELS.map((_, k) => ({
          text: formatRate(row.sensitivities?.[k]),
          sort: row.sensitivities?.[k] ?? null,
        })),
        {
          text: formatRate(row.run.cpm),
          sort: row.run.cpm,
          cls: "strong",
          sub: formatInterval(row.run.cpmCi) || undefined,
        },
        ...deltaCells(row.delta),
      ],
    })),
    initialSort: { column: 9, descending: true },
  };
  const effectTable: SortableTableProps = {
    id: "ablation-effects",
    columns: [
      { label: "Slot" },
      { label: "Varied path" },
      { label: "Choice" },
      { label: "CPM", numeric: true },
      { label: "ΔCPM vs base", numeric: true },
      { label: "95 % CI", numeric: true },
      { label: "p", numeric: true },
    ],
    rows: effects.map((e) => ({
      cells: [
        { text: e.slot ?? "–" },
        { text: e.path, cls: "mono small" },
        { text: e.choice, href: `/runs/${e.runId}`, cls: "mono small" },
        { text: formatRate(e.cpm), sort: e.cpm },
        ...deltaCells(e.delta),
      ],
    })),
    initialSort: { column: 4, descending: true },
  };
  const compareIds = rows.map((r) => r.run.id).join(",");
  return (
    <Page title={`Ablation ${ablation.name}`} section="ablations">
      <div class="page-head">
        <div>
          <div class="crumbs">
            <a href="/ablations">Ablations</a> /{" "}
            <span class="mono">{ablation.id}</span>
          </div>
          <h1>Ablation: {ablation.name}</h1>
          <p class="lede">
            Varies <span class="mono">{varied.join(", ") || "—"}</span> ·{" "}
            {rows.length} runs
          </p>
        </div>
        {rows.length >= 2 && data.baseRunId
          ? (
            <a
              class="button"
              href={`/compare?runs=${compareIds}&baseline=${data.baseRunId}`}
            >
              Compare all
            </a>
          )
          : null}
      </div>
      {data.baseRunId === null
        ? (
          <div class="notice">
            This grid has no base run yet: differences cannot be computed.
          </div>
        )
        : null}
      <Section title="Effect of each choice against the base">
        {effects.length > 0
          ? <Island component={SortableTable} props={effectTable} />
          : (
            <Empty>
              No variant differs from the base in exactly one varied path.
            </Empty>
          )}
      </Section>
      <Section title="Variants × metrics">
        {rows.length > 0
          ? <Island component={SortableTable} props={matrix} />
          : <Empty>No run of this grid yet.</Empty>}
      </Section>
    </Page>
  );
}
