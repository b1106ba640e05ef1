import assert from "node:assert/strict";
import { join } from "node:path";
import { plugins } from "../../plugins/mod.ts";
import { loadExperiment } from "../experiment.ts";
import { createRegistry } from "../registry.ts";
import { writeSyntheticDataset } from "../synth/mod.ts";
import { testFoldFindings } from "./data.ts";

const registry = createRegistry(plugins);
const SHAPE = { size: 40, slices: 16 } as const;
const mm = (v: number) => v.toFixed(3);

Deno.test("testFoldFindings() reads the held-out fold from data.test_dataset when set, else from data.dataset", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_folds_" });
  try {
    const train = join(dir, "train"), test = join(dir, "test");
    const trainManifest = await writeSyntheticDataset(train, {
      scans: 2,
      seed: 21,
      shape: SHAPE,
      subsets: 2,
      nodules: [1, 1],
    });
    const testManifest = await writeSyntheticDataset(test, {
      scans: 3,
      seed: 22,
      shape: SHAPE,
      subsets: 3,
      nodules: [2, 2],
    });
    // The expectation, from each manifest: the scans of subset 1 and their nodules.
    const expected = (manifest: typeof trainManifest) => {
      const scans = manifest.scans.filter((s) => s.subset === 1);
      return {
        seriesuids: scans.map((s) => s.seriesuid),
        centres: scans.flatMap((s) =>
          s.nodules.map((n) => [
            s.seriesuid,
            ...[n.coordZ, n.coordY, n.coordX].map(mm),
          ])
        ),
      };
    };
    const found = async (set: string[]) => {
      const experiment = await loadExperiment(
        "configs/base/cpu.yaml",
        registry,
        {
          set: [`data.dataset=${train}`, "data.test_subsets=[1]", ...set],
        },
      );
      const fold = await testFoldFindings(experiment);
      return {
        seriesuids: fold.seriesuids,
        centres: fold.annotations.map((a) => [
          a.seriesuid,
          ...a.worldMm.map(mm),
        ]),
      };
    };
    assert.deepEqual(
      await found(["data.test_dataset=null"]),
      expected(trainManifest),
    );
    assert.deepEqual(
      await found([`data.test_dataset=${test}`]),
      expected(testManifest),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
