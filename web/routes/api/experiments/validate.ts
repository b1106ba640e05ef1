/**
 * `POST /api/experiments/validate` `{ experiment }`: resolves it with the
 * CLI's rules; 200 `{ resolved, hash }` or 400 with every problem (the
 * `ConfigError` issues the CLI prints).
 *
 * @module
 */

import { z } from "zod";
import { validateExperiment } from "../../../server/experiments.ts";
import { json, problem, readJsonBody } from "../../../server/http.ts";
import type { Handlers } from "../../../server/router.ts";
import type { AppState } from "../../../server/state.ts";

const bodySchema = z.object({
  experiment: z.record(z.string(), z.unknown()),
}).strict();

/** Validates an experiment. */
export const handler: Handlers<AppState> = {
  async POST(request, { state }) {
    const body = await readJsonBody(request, bodySchema);
    if (!body.ok) return body.response;
    const validation = validateExperiment(
      state.registry,
      body.value.experiment,
    );
    if (!validation.ok) {
      return problem(
        400,
        "Cannot accept the experiment: it has problems",
        validation.issues,
      );
    }
    return json({ resolved: validation.resolved, hash: validation.hash });
  },
};
