/**
 * `GET /api/runs/:id/froc[?stage=N]`: the FROC summary (final, or of a
 * hard-mining stage), sensitivity by size, missed nodules and the
 * highest-scoring false positives; 404 for an unknown run or when the run
 * has no such FROC.
 *
 * @module
 */

import { z } from "zod";
import {
  missedNodules,
  readFrocSummary,
  sizeRows,
  topFalsePositives,
} from "../../../../server/froc_data.ts";
import { json, notFound, problem, readQuery } from "../../../../server/http.ts";
import type { Handlers } from "../../../../server/router.ts";
import type { AppState } from "../../../../server/state.ts";

const querySchema = z.object({
  stage: z.string().regex(/^\d{1,4}$/, "Expected a stage index (0, 1, …)")
    .optional(),
  limit: z.string().regex(/^\d{1,4}$/, "Expected a count").optional(),
}).strict();

/** Answers with the FROC. */
export const handler: Handlers<AppState> = {
  GET(_request, { params, url, state }) {
    const query = readQuery(url, querySchema);
    if (!query.ok) return query.response;
    const run = state.store.getRun(params.id);
    if (!run) return notFound("run", params.id);
    const name = query.value.stage === undefined
      ? "froc"
      : `froc.stage${Number(query.value.stage)}`;
    const summary = readFrocSummary(state.store, run.id, name);
    if (!summary) {
      return problem(
        404,
        `Cannot find FROC "${name}" of run ${
          JSON.stringify(run.id)
        }: not evaluated`,
      );
    }
    const evaluation = query.value.stage === undefined
      ? state.evaluations.get(state.store, run)
      : undefined;
    const limit = Number(query.value.limit ?? 20);
    return json({
      summary,
      sizes: sizeRows(summary, evaluation) ?? null,
      missed: evaluation ? missedNodules(evaluation) : null,
      falsePositives: evaluation ? topFalsePositives(evaluation, limit) : null,
    });
  },
};
