/**
 * `GET /api/runs/:id/metrics[?name=loss]`: metric samples ordered by stage
 * and step (NaN as null); 404 for an unknown run.
 *
 * @module
 */

import { z } from "zod";
import { json, notFound, readQuery } from "../../../../server/http.ts";
import type { Handlers } from "../../../../server/router.ts";
import type { AppState } from "../../../../server/state.ts";

const querySchema = z.object({
  name: z.string().min(1).max(128).optional(),
}).strict();

/** Answers with the samples. */
export const handler: Handlers<AppState> = {
  GET(_request, { params, url, state }) {
    const query = readQuery(url, querySchema);
    if (!query.ok) return query.response;
    if (!state.store.getRun(params.id)) return notFound("run", params.id);
    const samples = state.store.metrics(params.id).filter((s) =>
      query.value.name === undefined || s.name === query.value.name
    );
    return json({ samples });
  },
};
