/**
 * `/`: every run with its status, components, CPM and duration; filter by
 * component, select runs to compare.
 *
 * @module
 */

import { PLUGIN_KINDS } from "../../core/mod.ts";
import { Island } from "../components/Island.tsx";
import { Page } from "../components/Page.tsx";
import RunTable from "../islands/RunTable.tsx";
import type { Handlers, PageProps } from "../server/router.ts";
import type { AppState } from "../server/state.ts";
import { type RunSummary, summarizeRun } from "../server/views.ts";

interface Data {
  runs: RunSummary[];
  filters: Record<string, string>;
  counts: Record<string, number>;
}

/** Lists the runs. */
export const handler: Handlers<AppState, Data> = {
  GET(_request, { url, state, render }) {
    const now = Date.now();
    const runs = state.store.listRuns().map((r) => summarizeRun(r, now));
    const filters: Record<string, string> = {};
    for (const kind of PLUGIN_KINDS) {
      const value = url.searchParams.get(kind);
      if (value) filters[kind] = value;
    }
    const counts: Record<string, number> = {};
    for (const run of runs) counts[run.status] = (counts[run.status] ?? 0) + 1;
    return render({ runs, filters, counts });
  },
};

/** The runs page. */
export default function RunsPage({ data }: PageProps<Data>) {
  const { runs, counts } = data;
  return (
    <Page title="Runs" section="runs">
      <div class="page-head">
        <div>
          <h1>Runs</h1>
          <p class="lede">
            {runs.length} runs
            {(["running", "queued", "failed"] as const).filter((s) => counts[s])
              .map((s) => ` · ${counts[s]} ${s}`).join("")}
          </p>
        </div>
        <a class="button primary" href="/new">New run</a>
      </div>
      <section class="card flush">
        <Island
          component={RunTable}
          props={{ runs, kinds: PLUGIN_KINDS, filters: data.filters }}
        />
      </section>
    </Page>
  );
}
