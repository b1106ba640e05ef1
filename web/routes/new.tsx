/**
 * `/new[?from=<file>|?run=<id>]`: the new-run form, starting from an
 * experiment file under `configs/`, from an existing run's resolved config,
 * or from every default.
 *
 * @module
 */

import { storedExperimentInput } from "../../core/mod.ts";
import { Island } from "../components/Island.tsx";
import { Page } from "../components/Page.tsx";
import NewRunForm, { type NewRunFormProps } from "../islands/NewRunForm.tsx";
import {
  blankExperiment,
  formModel,
  listExperimentFiles,
  startFrom,
  startFromFile,
  type StartingPoint,
} from "../server/experiments.ts";
import { notFoundPage } from "../server/render.ts";
import type { Handlers, PageProps } from "../server/router.ts";
import type { AppState } from "../server/state.ts";
import { configOf } from "../server/views.ts";

/** Picks the starting point and builds the form's model. */
export const handler: Handlers<AppState, NewRunFormProps> = {
  GET(_request, { url, state, render }) {
    const { registry, store, configsDir } = state;
    const files = listExperimentFiles(configsDir).filter((f) => !f.grid);
    const fromFile = url.searchParams.get("from");
    const fromRun = url.searchParams.get("run");
    let start: StartingPoint | undefined;
    if (fromFile !== null) {
      start = startFromFile(registry, configsDir, fromFile);
      if (!start) {
        return notFoundPage(
          `No experiment file ${JSON.stringify(fromFile)} under configs/.`,
        );
      }
    } else if (fromRun !== null) {
      const run = store.getRun(fromRun);
      if (!run) {
        return notFoundPage(`No run has the id ${JSON.stringify(fromRun)}.`);
      }
      const { schema_version: _v, ...config } = storedExperimentInput(
        configOf(run),
      );
      start = startFrom(registry, config, `run ${run.name} (${run.id})`);
    } else {
      const first = files.find((f) => f.file.startsWith("base/")) ?? files[0];
      start = first
        ? startFromFile(registry, configsDir, first.file)
        : undefined;
      start ??= {
        experiment: blankExperiment(registry),
        source: "defaults",
        issues: [],
      };
    }
    return render({
      model: formModel(registry),
      initial: start.experiment,
      source: start.source,
      issues: start.issues,
      sources: {
        experiments: files.map(({ file, name }) => ({ file, name })),
        runs: store.listRuns().slice(0, 30).map((r) => ({
          id: r.id,
          name: r.name,
        })),
      },
    });
  },
};

/** The page. */
export default function NewRunPage({ data }: PageProps<NewRunFormProps>) {
  return (
    <Page title="New run" section="new">
      <div class="page-head">
        <div>
          <h1>New run</h1>
          <p class="lede">
            Starting from{" "}
            <strong>{data.source}</strong>. Choose a plugin per slot and set its
            options; the server checks the experiment with the same rules as the
            CLI.
          </p>
        </div>
      </div>
      <Island component={NewRunForm} props={data} />
    </Page>
  );
}
