/**
 * `GET /api/compare?runs=a,b[&baseline=a]`: the comparison behind the
 * compare page — FROC summaries, paired ΔCPM against the baseline (interval
 * and p-value) and the config diff. 400 for fewer than two runs or more than
 * twelve, 404 naming unknown runs.
 *
 * @module
 */

import { compareRuns } from "../../server/compare.ts";
import { json, problem } from "../../server/http.ts";
import type { Handlers } from "../../server/router.ts";
import type { AppState } from "../../server/state.ts";
import { runIdsOf } from "../compare.tsx";

/** The most runs one comparison takes. */
export const MAX_COMPARED_RUNS = 12;

/** Answers with the comparison. */
export const handler: Handlers<AppState> = {
  GET(_request, { url, state }) {
    const ids = runIdsOf(url);
    if (ids.length < 2 || ids.length > MAX_COMPARED_RUNS) {
      return problem(400, "Cannot compare runs: wrong number of runs", [{
        path: "runs",
        message: "Wrong number of runs",
        expected: `2 to ${MAX_COMPARED_RUNS} comma-separated run ids`,
        received: String(ids.length),
      }]);
    }
    const baseline = url.searchParams.get("baseline") ?? undefined;
    if (baseline !== undefined && !ids.includes(baseline)) {
      return problem(400, "Cannot compare runs: the baseline is not compared", [
        {
          path: "baseline",
          message: "Baseline not among the runs",
          expected: "one of the ids in runs",
          received: JSON.stringify(baseline),
        },
      ]);
    }
    const comparison = compareRuns(state, ids, baseline);
    if ("missing" in comparison) {
      return problem(
        404,
        `Cannot find run ${
          comparison.missing.map((m) => JSON.stringify(m)).join(", ")
        }`,
      );
    }
    return json(comparison);
  },
};
