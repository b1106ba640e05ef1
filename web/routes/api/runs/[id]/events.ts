/**
 * `GET /api/runs/:id/events[?after=N]`: the run's events as server-sent
 * events — `log` and `progress` (id = sequence number, so `Last-Event-ID`
 * resumes), `run` when its status or progress changes, and `end` once it is
 * done or failed and every event was sent.
 *
 * @module
 */

import { z } from "zod";
import { notFound, readQuery } from "../../../../server/http.ts";
import type { Handlers } from "../../../../server/router.ts";
import { eventStream } from "../../../../server/sse.ts";
import type { AppState } from "../../../../server/state.ts";
import { summarizeRun } from "../../../../server/views.ts";

const querySchema = z.object({
  after: z.string().regex(/^\d{1,15}$/, "Expected a non-negative integer")
    .optional(),
}).strict();

/** Streams the run's events. */
export const handler: Handlers<AppState> = {
  GET(request, { params, url, state }) {
    const query = readQuery(url, querySchema);
    if (!query.ok) return query.response;
    const { store } = state;
    if (!store.getRun(params.id)) return notFound("run", params.id);
    const lastEventId = request.headers.get("last-event-id");
    let after = Number(
      query.value.after ??
        (lastEventId && /^\d{1,15}$/.test(lastEventId) ? lastEventId : 0),
    );
    let fingerprint = "";
    return eventStream({
      signals: [state.closing],
      pollMs: state.pollMs,
      tick(send) {
        const run = store.getRun(params.id);
        if (!run) return false;
        const events = store.events(params.id, after);
        for (const event of events) {
          send(event.type, event, event.seq);
          after = event.seq;
        }
        const summary = summarizeRun(run);
        const next = JSON.stringify([
          summary.status,
          summary.progress,
          summary.cpm,
          summary.error,
        ]);
        if (next !== fingerprint) {
          fingerprint = next;
          send("run", summary);
        }
        if (
          (run.status === "done" || run.status === "failed") &&
          events.length === 0
        ) {
          send("end", { status: run.status });
          return false;
        }
        return true;
      },
    });
  },
};
