/**
 * `GET /api/runs/:id/scans/:uid`: what the viewer needs before fetching
 * slices — shape, spacing, lung-mask availability, ground truth and
 * detections in voxels. 404 for an unknown run or a scan outside the data
 * folders.
 *
 * @module
 */

import { json, notFound, problem } from "../../../../../../server/http.ts";
import type { Handlers } from "../../../../../../server/router.ts";
import { ScanNotFound } from "../../../../../../server/scans.ts";
import type { AppState } from "../../../../../../server/state.ts";

/** Answers with the scan's metadata. */
export const handler: Handlers<AppState> = {
  async GET(_request, { params, state }) {
    const run = state.store.getRun(params.id);
    if (!run) return notFound("run", params.id);
    try {
      const evaluation = state.evaluations.get(state.store, run);
      return json(await state.scans.meta(run, params.uid, evaluation));
    } catch (error) {
      if (error instanceof ScanNotFound) return problem(404, error.message);
      throw error;
    }
  },
};
