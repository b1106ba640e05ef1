/**
 * `GET /api/experiments`: the experiment files under `configs/`;
 * `GET /api/experiments?file=base/x.yaml`: one of them, merged with what it
 * extends and resolved when it can be (else with its problems);
 * `POST /api/experiments` `{ experiment }`: validates and saves it as
 * `configs/dashboard/<name>.yaml` (201 `{ file, hash }`, 400 with every
 * problem). Only files inside `configs/` are ever read.
 *
 * @module
 */

import { z } from "zod";
import {
  experimentPath,
  listExperimentFiles,
  saveExperiment,
  startFromFile,
  validateExperiment,
} from "../../../server/experiments.ts";
import {
  json,
  problem,
  readJsonBody,
  readQuery,
} from "../../../server/http.ts";
import type { Handlers } from "../../../server/router.ts";
import type { AppState } from "../../../server/state.ts";

const querySchema = z.object({
  file: z.string().min(1).max(256).optional(),
}).strict();

const bodySchema = z.object({
  experiment: z.record(z.string(), z.unknown()),
}).strict();

/** Lists, reads and saves experiments. */
export const handler: Handlers<AppState> = {
  GET(_request, { url, state }) {
    const query = readQuery(url, querySchema);
    if (!query.ok) return query.response;
    const file = query.value.file;
    if (file === undefined) {
      return json({ experiments: listExperimentFiles(state.configsDir) });
    }
    if (!experimentPath(state.configsDir, file)) {
      return problem(
        404,
        `Cannot find experiment file ${
          JSON.stringify(file)
        }: expected a YAML file under configs/`,
      );
    }
    const start = startFromFile(state.registry, state.configsDir, file)!;
    return json({
      file,
      experiment: start.experiment,
      issues: start.issues,
    });
  },

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
        "Cannot save the experiment: it has problems",
        validation.issues,
      );
    }
    const saved = saveExperiment(state.configsDir, validation.resolved);
    return json({ file: saved.file, hash: validation.hash }, 201);
  },
};
