/**
 * `GET /api/plugins`: every registered plugin with its options described
 * (as `pleura plugins --json`), and the fields of the experiment sections.
 *
 * @module
 */

import { formModel } from "../../server/experiments.ts";
import { json } from "../../server/http.ts";
import type { Handlers } from "../../server/router.ts";
import type { AppState } from "../../server/state.ts";

/** Answers with the plugins. */
export const handler: Handlers<AppState> = {
  GET(_request, { state }) {
    const model = formModel(state.registry);
    return json({
      plugins: model.kinds.flatMap((kind) =>
        model.plugins[kind].map((p) => ({ kind, ...p }))
      ),
      sections: model.sections,
    });
  },
};
