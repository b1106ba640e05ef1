/**
 * `GET /api/events`: server-sent `run` events (a run summary) whenever a
 * run is created or its status, progress or CPM changes — what keeps the
 * runs page live.
 *
 * @module
 */

import type { Handlers } from "../../server/router.ts";
import { eventStream } from "../../server/sse.ts";
import type { AppState } from "../../server/state.ts";
import { summarizeRun } from "../../server/views.ts";

/** Streams run changes. */
export const handler: Handlers<AppState> = {
  GET(_request, { state }) {
    const seen = new Map<string, string>();
    let first = true;
    return eventStream({
      signals: [state.closing],
      // The list changes slowly; poll it less often than one run's events.
      pollMs: state.pollMs * 4,
      tick(send) {
        for (const run of state.store.listRuns()) {
          const fingerprint = `${run.status}|${
            JSON.stringify(run.progress)
          }|${run.cpm}|${run.endedAt}`;
          if (seen.get(run.id) === fingerprint) continue;
          seen.set(run.id, fingerprint);
          // The page already shows the runs that exist when it connects.
          if (!first) send("run", summarizeRun(run));
        }
        first = false;
        return true;
      },
    });
  },
};
