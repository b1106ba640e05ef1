/**
 * `GET /api/runs/:id`: the run's summary, resolved config, stages and FROC
 * summary; 404 for an unknown run.
 *
 * @module
 */

import { readFrocSummary } from "../../../../server/froc_data.ts";
import { json, notFound } from "../../../../server/http.ts";
import type { Handlers } from "../../../../server/router.ts";
import type { AppState } from "../../../../server/state.ts";
import { configOf, summarizeRun } from "../../../../server/views.ts";

/** Answers with the run. */
export const handler: Handlers<AppState> = {
  GET(_request, { params, state }) {
    const run = state.store.getRun(params.id);
    if (!run) return notFound("run", params.id);
    return json({
      run: summarizeRun(run),
      startedAt: run.startedAt ?? null,
      endedAt: run.endedAt ?? null,
      config: configOf(run),
      stages: state.store.stages(run.id),
      froc: readFrocSummary(state.store, run.id) ?? null,
      latestCheckpoint: state.store.latestCheckpoint(run.id) ?? null,
    });
  },
};
