/**
 * `GET /static/<path>`: the stylesheet and the bundled islands, from memory.
 * Only names in the asset table are served; nothing is read from disk per
 * request.
 *
 * @module
 */

import { problem } from "../../server/http.ts";
import type { Handlers } from "../../server/router.ts";
import type { AppState } from "../../server/state.ts";

/** Serves one asset. */
export const handler: Handlers<AppState> = {
  GET(_request, { params, state }) {
    const asset = state.assets.get(params.path);
    if (!asset) {
      return problem(
        404,
        `Cannot find static file ${JSON.stringify(params.path)}`,
      );
    }
    return new Response(asset.body as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": asset.type, "cache-control": "no-cache" },
    });
  },
};
