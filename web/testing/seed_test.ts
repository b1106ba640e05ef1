import assert from "node:assert/strict";
import { join } from "node:path";
import { openLuna16Dataset } from "../../core/dataset/luna16.ts";
import { computeFroc } from "../../core/froc.ts";
import { openRunStore } from "../../core/mod.ts";
import { frocSummarySchema } from "../server/froc_data.ts";
import { seedStore, syntheticTruth, writePhantomDataset } from "./seed.ts";

Deno.test("seedStore() writes FROC artefacts that agree with computeFroc on their inputs", async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura_seed_" });
  const store = openRunStore(root);
  try {
    const seeded = seedStore(store, {
      dataset: "data/x",
      scans: 12,
      resamples: 20,
      steps: 10,
    });
    assert.equal(store.listRuns().length, seeded.runIds.length);
    for (const id of seeded.runIds) {
      const run = store.getRun(id)!;
      if (run.status !== "done") {
        assert.equal(store.getArtifact(id, "froc"), undefined);
        continue;
      }
      const summary = frocSummarySchema.parse(store.getArtifact(id, "froc"));
      const input = store.getArtifact(id, "froc.input") as Parameters<
        typeof computeFroc
      >[0];
      const result = computeFroc(input);
      assert.equal(summary.cpm, result.cpm);
      assert.equal(run.cpm, result.cpm);
      assert.deepEqual(run.cpmCi, summary.ci!.cpm);
      assert.ok(
        summary.ci!.cpm[0] <= result.cpm && result.cpm <= summary.ci!.cpm[1],
      );
    }
    assert.equal(store.stages(seeded.byName["reference"]).length, 2);
    assert.equal(store.getRun(seeded.byName["too-big"])!.status, "failed");
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("syntheticTruth() draws LUNA16-like nodule sizes, same seed same set", () => {
  const truth = syntheticTruth(300, 5);
  assert.deepEqual(syntheticTruth(300, 5), truth);
  const d = truth.annotations.map((n) => n.diameterMm).sort((a, b) => a - b);
  const median = d[Math.floor(d.length / 2)];
  assert.ok(median > 5.4 && median < 7.6, `median ${median}`);
  assert.ok(d.every((x) => x >= 3.2 && x <= 32));
});

Deno.test("writePhantomDataset() writes a LUNA16 layout core's reader accepts", async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura_phantom_" });
  try {
    const truth = syntheticTruth(3);
    await writePhantomDataset(root, truth, 1);
    const dataset = await openLuna16Dataset(root, { validate: true });
    assert.deepEqual(dataset.seriesuids, truth.seriesuids);
    assert.equal(dataset.scans.length, 1);
    assert.equal(
      dataset.scans[0].maskPath,
      join(root, "seg-lungs-LUNA16", `${truth.seriesuids[0]}.mhd`),
    );
    assert.equal(dataset.annotations.length, truth.annotations.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
