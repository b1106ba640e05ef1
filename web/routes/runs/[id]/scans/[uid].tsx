/**
 * `/runs/:id/scans/:uid[?at=z,y,x]`: the CT viewer on one scan of a run's
 * evaluation, opened at a world position (mm) when given.
 *
 * @module
 */

import { Island } from "../../../../components/Island.tsx";
import { Page } from "../../../../components/Page.tsx";
import CtViewer, { type CtViewerProps } from "../../../../islands/CtViewer.tsx";
import { notFoundPage } from "../../../../server/render.ts";
import type { Handlers, PageProps } from "../../../../server/router.ts";
import { ScanNotFound } from "../../../../server/scans.ts";
import type { AppState } from "../../../../server/state.ts";

interface Data {
  runName: string;
  viewer: CtViewerProps;
}

/** Parses `z,y,x` (three finite numbers) or returns undefined. */
function parseAt(text: string | null): [number, number, number] | undefined {
  if (!text) return undefined;
  const parts = text.split(",").map(Number);
  return parts.length === 3 && parts.every(Number.isFinite)
    ? [parts[0], parts[1], parts[2]]
    : undefined;
}

/** Loads the scan's metadata. */
export const handler: Handlers<AppState, Data> = {
  async GET(_request, { params, url, state, render }) {
    const run = state.store.getRun(params.id);
    if (!run) {
      return notFoundPage(`No run has the id ${JSON.stringify(params.id)}.`);
    }
    try {
      const evaluation = state.evaluations.get(state.store, run);
      const meta = await state.scans.meta(run, params.uid, evaluation);
      const at = parseAt(url.searchParams.get("at"));
      const focus = at ? await state.scans.toVoxel(run, params.uid, at) : null;
      const first = meta.findings.find((f) => f.kind === "nodule") ??
        meta.detections[0];
      const initialZ = Math.round(
        focus?.[0] ?? first?.voxel[0] ?? (meta.shape[0] - 1) / 2,
      );
      return render({
        runName: run.name,
        viewer: { runId: run.id, meta, initialZ, focus },
      });
    } catch (error) {
      if (error instanceof ScanNotFound) return notFoundPage(error.message);
      throw error;
    }
  },
};

/** The viewer page. */
export default function ScanPage({ data }: PageProps<Data>) {
  const { viewer } = data;
  return (
    <Page title={`Scan …${viewer.meta.seriesuid.slice(-8)}`} section="runs">
      <div class="page-head">
        <div>
          <div class="crumbs">
            <a href="/">Runs</a> /{" "}
            <a href={`/runs/${viewer.runId}`}>{data.runName}</a> / scan
          </div>
          <h1 class="mono" style={{ fontSize: "17px" }}>
            {viewer.meta.seriesuid}
          </h1>
          <p class="lede">
            {viewer.meta.shape.join(" × ")} voxels ·{" "}
            {viewer.meta.spacingMm.map((s) =>
              s.toFixed(2)
            ).join(" × ")} mm
          </p>
        </div>
      </div>
      <Island component={CtViewer} props={viewer} />
    </Page>
  );
}
