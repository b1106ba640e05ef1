/**
 * `GET /api/ablations/:id`: the grid's variants × metrics matrix and the
 * effect of each single change against the base; 404 for an unknown grid.
 *
 * @module
 */

import { ablationView } from "../../../server/compare.ts";
import { json, notFound } from "../../../server/http.ts";
import type { Handlers } from "../../../server/router.ts";
import type { AppState } from "../../../server/state.ts";

/** Answers with the grid's view. */
export const handler: Handlers<AppState> = {
  GET(_request, { params, state }) {
    const ablation = state.store.getAblation(params.id);
    if (!ablation) return notFound("ablation", params.id);
    return json(ablationView(state, ablation));
  },
};
