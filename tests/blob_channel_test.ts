/**
 * The blob channel end to end: `pleura train` with `data.blob_channel` on
 * the tiny experiment, then `pleura predict` with the run's model, with and
 * without the preprocessing cache.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readCandidatesCsv } from "../core/dataset/luna16.ts";
import { openRunStore } from "../core/run_store_sqlite.ts";
import { pleuraCommand, train, withTinyExperiment } from "./fixtures.ts";

async function predict(...args: string[]): Promise<void> {
  const output = await pleuraCommand(["predict", ...args]).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr.slice(-2000));
}

Deno.test({
  name:
    "pleura train with data.blob_channel caches each scan's blob channel, exports a two-channel model, and pleura predict repeats its held-out candidates with and without the cache",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTinyExperiment("pleura-blob-", async ({ dir, config, runs }) => {
      const output = await train(config, runs, [
        "data.blob_channel=true",
        "model.backbone.options.input_channels=2",
        "train.augmentation.blob_dropout=0.5",
        "eval.min_logit=-8",
      ]).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr.slice(-2000));
      const store = openRunStore(runs);
      let runId: string;
      try {
        const [run] = store.listRuns();
        assert.equal(run.status, "done");
        runId = run.id;
      } finally {
        store.close();
      }
      // Training (4 scans) and held-out (2 scans) folders each hold a blob
      // channel per scan.
      const folders = readdirSync(join(dir, "cache"));
      assert.equal(folders.length, 2);
      const blobs = folders.map((folder) =>
        readdirSync(join(dir, "cache", folder)).filter((f) =>
          f.endsWith("_blob.json")
        ).length
      ).sort();
      assert.deepEqual(blobs, [2, 4]);

      const held = await readCandidatesCsv(
        join(runs, runId, "candidates.csv"),
      );
      assert.ok(held.length > 0, "an untrained model still marks something");
      const cached = join(dir, "cached.csv");
      const fresh = join(dir, "fresh.csv");
      const common = [
        "--run",
        runId,
        "--runs",
        runs,
        "--input",
        join(dir, "data"),
        "--subsets",
        "2",
        "--set",
        "eval.min_logit=-8",
      ];
      await predict(...common, "--out", cached);
      await predict(...common, "--out", fresh, "--no-cache");
      const order = (csv: Awaited<ReturnType<typeof readCandidatesCsv>>) =>
        csv.toSorted((a, b) =>
          a.seriesuid.localeCompare(b.seriesuid) || b.score - a.score
        );
      assert.deepEqual(order(await readCandidatesCsv(cached)), order(held));
      assert.deepEqual(order(await readCandidatesCsv(fresh)), order(held));
    });
  },
});
