/**
 * `GET /api/runs/:id/scans`: the scans of the run's evaluation with their
 * nodule, detected and false-positive counts; 404 for an unknown run.
 *
 * @module
 */

import { json, notFound } from "../../../../../server/http.ts";
import type { Handlers } from "../../../../../server/router.ts";
import type { AppState } from "../../../../../server/state.ts";

/** Answers with the scan list. */
export const handler: Handlers<AppState> = {
  GET(_request, { params, state }) {
    const run = state.store.getRun(params.id);
    if (!run) return notFound("run", params.id);
    const evaluation = state.evaluations.get(state.store, run);
    if (!evaluation) return json({ scans: [] });
    const { pool } = evaluation.result;
    return json({
      scans: evaluation.input.seriesuids.map((seriesuid, i) => ({
        seriesuid,
        nodules: pool.scanNodules[i],
        detected: pool.scanDetected[i],
        falsePositives: pool.scanFalsePositives[i],
      })),
    });
  },
};
