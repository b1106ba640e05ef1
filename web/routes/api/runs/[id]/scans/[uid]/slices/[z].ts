/**
 * `GET /api/runs/:id/scans/:uid/slices/:z[?layer=image|mask]`: one axial
 * slice as raw bytes — Hounsfield units as little-endian int16 (`image`) or
 * the lung mask as 0/1 bytes (`mask`), row-major; the shape is in the
 * `x-slice-shape` header (`rows,columns`).
 *
 * @module
 */

import { z } from "zod";
import {
  notFound,
  problem,
  readQuery,
} from "../../../../../../../server/http.ts";
import type { Handlers } from "../../../../../../../server/router.ts";
import { ScanNotFound } from "../../../../../../../server/scans.ts";
import type { AppState } from "../../../../../../../server/state.ts";

const querySchema = z.object({
  layer: z.enum(["image", "mask"]).default("image"),
}).strict();

/** Answers with the slice's bytes. */
export const handler: Handlers<AppState> = {
  async GET(_request, { params, url, state }) {
    const query = readQuery(url, querySchema);
    if (!query.ok) return query.response;
    if (!/^\d{1,6}$/.test(params.z)) {
      return problem(400, "Cannot read slice: invalid slice index", [{
        path: "z",
        message: "Invalid slice index",
        expected: "a non-negative integer",
        received: JSON.stringify(params.z),
      }]);
    }
    const run = state.store.getRun(params.id);
    if (!run) return notFound("run", params.id);
    try {
      const z = Number(params.z);
      const meta = await state.scans.load(run, params.uid);
      const [nz, ny, nx] = meta.volume.shape;
      if (z >= nz) {
        return problem(
          404,
          `Cannot find slice ${z} of scan ${
            JSON.stringify(params.uid)
          }: it has ${nz} slices`,
        );
      }
      if (query.value.layer === "mask" && !meta.mask) {
        return problem(
          404,
          `Cannot find a lung mask for scan ${
            JSON.stringify(params.uid)
          }: ${meta.maskSource}`,
        );
      }
      const bytes = await state.scans.slice(
        run,
        params.uid,
        z,
        query.value.layer,
      );
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: {
          "content-type": "application/octet-stream",
          "x-slice-shape": `${ny},${nx}`,
          "x-slice-type": query.value.layer === "image" ? "int16le" : "uint8",
          "cache-control": "private, max-age=3600",
        },
      });
    } catch (error) {
      if (error instanceof ScanNotFound) return problem(404, error.message);
      throw error;
    }
  },
};
