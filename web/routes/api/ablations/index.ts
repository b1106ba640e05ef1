/**
 * `GET /api/ablations`: every ablation grid, newest first.
 *
 * @module
 */

import { json } from "../../../server/http.ts";
import type { Handlers } from "../../../server/router.ts";
import type { AppState } from "../../../server/state.ts";

/** Answers with the grids. */
export const handler: Handlers<AppState> = {
  GET(_request, { state }) {
    return json({
      ablations: state.store.listAblations().map((a) => ({
        ...a,
        runs: state.store.listRuns({ ablationId: a.id }).length,
      })),
    });
  },
};
