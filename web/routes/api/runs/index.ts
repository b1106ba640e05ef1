/**
 * `GET /api/runs[?status=&component=kind:plugin&ablation=]`: run summaries,
 * newest first. `POST /api/runs` `{ experiment }`: validates the experiment
 * (400 with every problem), saves it under `configs/dashboard/`, creates the
 * run and launches it in a worker process (201 `{ run, file }`).
 *
 * @module
 */

import { z } from "zod";
import { canonicalJson, PLUGIN_KINDS } from "../../../../core/mod.ts";
import {
  saveExperiment,
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
import {
  type ComponentFilter,
  matchesComponents,
  parseComponentFilter,
  summarizeRun,
} from "../../../server/views.ts";

const querySchema = z.object({
  status: z.enum(["queued", "running", "done", "failed"]).optional(),
  ablation: z.string().max(128).optional(),
  component: z.string().optional(),
}).strict();

/** Body of `POST /api/runs`. */
export const launchBodySchema = z.object({
  experiment: z.record(z.string(), z.unknown()),
}).strict();

/** Lists and launches runs. */
export const handler: Handlers<AppState> = {
  GET(_request, { url, state }) {
    const query = readQuery(url, querySchema);
    if (!query.ok) return query.response;
    const filters: ComponentFilter[] = [];
    for (const text of url.searchParams.getAll("component")) {
      const filter = parseComponentFilter(text);
      if (!filter) {
        return problem(400, "Cannot accept query: invalid component filter", [{
          path: "component",
          message: "Invalid component filter",
          expected: `kind:plugin with kind one of ${
            PLUGIN_KINDS.map((k) => `"${k}"`).join(", ")
          }`,
          received: JSON.stringify(text),
        }]);
      }
      filters.push(filter);
    }
    const now = Date.now();
    const runs = state.store.listRuns({
      status: query.value.status,
      ablationId: query.value.ablation,
    }).map((r) => summarizeRun(r, now)).filter((r) =>
      matchesComponents(r, filters)
    );
    return json({ runs });
  },

  async POST(request, { state }) {
    const body = await readJsonBody(request, launchBodySchema);
    if (!body.ok) return body.response;
    const validation = validateExperiment(
      state.registry,
      body.value.experiment,
    );
    if (!validation.ok) {
      return problem(
        400,
        "Cannot launch the run: the experiment has problems",
        validation.issues,
      );
    }
    const { resolved, hash } = validation;
    const saved = saveExperiment(state.configsDir, resolved);
    const run = state.store.createRun({
      name: resolved.name,
      configJson: canonicalJson(resolved),
      configHash: hash,
      schemaVersion: resolved.schemaVersion,
      slots: resolved.model,
    });
    state.launcher.launch({
      runId: run.id,
      args: state.launchArgs({
        configFile: saved.path,
        runId: run.id,
        runsDir: state.store.root,
      }),
    });
    return json(
      { run: summarizeRun(state.store.getRun(run.id)!), file: saved.file },
      201,
      { location: `/runs/${run.id}` },
    );
  },
};
