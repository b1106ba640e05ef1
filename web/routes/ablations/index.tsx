/**
 * `/ablations`: every ablation grid with its number of variants.
 *
 * @module
 */

import { Empty, Page } from "../../components/Page.tsx";
import { formatTime } from "../../components/format.ts";
import type { Handlers, PageProps } from "../../server/router.ts";
import type { AppState } from "../../server/state.ts";

interface Row {
  id: string;
  name: string;
  createdAt: number;
  runs: number;
  done: number;
  varied: string[];
}

/** Lists the grids. */
export const handler: Handlers<AppState, Row[]> = {
  GET(_request, { state, render }) {
    return render(
      state.store.listAblations().map((a) => {
        const runs = state.store.listRuns({ ablationId: a.id });
        let varied: string[] = [];
        try {
          varied = Object.keys(JSON.parse(a.gridJson).vary ?? {});
        } catch {
          varied = [];
        }
        return {
          id: a.id,
          name: a.name,
          createdAt: a.createdAt,
          runs: runs.length,
          done: runs.filter((r) => r.status === "done").length,
          varied,
        };
      }),
    );
  },
};

/** The list page. */
export default function AblationsPage({ data }: PageProps<Row[]>) {
  return (
    <Page title="Ablations" section="ablations">
      <div class="page-head">
        <div>
          <h1>Ablations</h1>
          <p class="lede">Grids of variants run against a base experiment.</p>
        </div>
      </div>
      <section class="card">
        {data.length === 0
          ? (
            <Empty>
              No ablation grid has been run yet (grids are YAML files in{" "}
              <code>configs/ablations/</code>).
            </Empty>
          )
          : (
            <table class="data">
              <thead>
                <tr>
                  <th>Grid</th>
                  <th>Varied</th>
                  <th class="num">Runs</th>
                  <th>Created (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {data.map((a) => (
                  <tr>
                    <td>
                      <a href={`/ablations/${a.id}`} class="run-name">
                        {a.name}
                      </a>
                      <div class="sub mono">{a.id}</div>
                    </td>
                    <td class="mono small">{a.varied.join(", ")}</td>
                    <td class="num">{a.done} / {a.runs} done</td>
                    <td class="mono small">{formatTime(a.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
    </Page>
  );
}
